import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { databaseUnwritable } from '../../../src/store/health.js';

describe('databaseUnwritable', () => {
  const file = (): string => join(mkdtempSync(join(tmpdir(), 'jabirc-health-')), 'db.sqlite');

  it('passes on a writable database and leaves no trace', () => {
    const { db } = openDatabase(file());
    const before = db.prepare('SELECT name FROM sqlite_master ORDER BY name').all();
    expect(databaseUnwritable(db)).toBeUndefined();
    expect(db.prepare('SELECT name FROM sqlite_master ORDER BY name').all()).toEqual(before);
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('fails on a database it cannot write, and on a closed one', () => {
    const path = file();
    openDatabase(path).db.close();
    const ro = new Database(path, { readonly: true });
    expect(databaseUnwritable(ro)).toMatch(/not writable: attempt to write a readonly database/);
    expect(ro.inTransaction).toBe(false);
    ro.close();
    expect(databaseUnwritable(ro)).toBe('database closed');
  });

  it('fails at once while another connection holds the write lock', () => {
    const path = file();
    const { db } = openDatabase(path);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    expect(databaseUnwritable(db)).toMatch(/locked|busy/i);
    other.exec('ROLLBACK');
    expect(databaseUnwritable(db)).toBeUndefined();
  });
});
