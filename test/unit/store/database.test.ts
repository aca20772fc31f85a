import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, StoreError } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';

describe('store', () => {
  it('applies every migration once on a new database and none on reopen', () => {
    const { db, applied } = openDatabase(':memory:');
    expect(applied).toHaveLength(MIGRATIONS.length);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(migrate(db)).toEqual([]);
    db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('a@b', 1);
    expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 1 });
  });

  it('creates the data directory and uses WAL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-db-'));
    const path = join(dir, 'a', 'b', 'j.sqlite');
    const { db } = openDatabase(path);
    expect(existsSync(path)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const again = openDatabase(path);
    expect(again.applied).toEqual([]);
    again.db.close();
  });

  it('rolls back a failing migration with its version bump', () => {
    const { db } = openDatabase(':memory:');
    const broken = [...MIGRATIONS, { description: 'bad', sql: 'CREATE TABLE t (x); SELECT * FROM nope;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
  });

  it('refuses a database made by a newer Jabirc', () => {
    const { db } = openDatabase(':memory:');
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(StoreError);
  });
});
