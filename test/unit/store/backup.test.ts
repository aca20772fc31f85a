/**
 * `backupDatabase` against a database another process keeps writing: the copy is a
 * whole database (integrity_check), at the same schema version, holding a prefix of
 * the writer's committed rows with no gap (one snapshot), and never overwrites.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupDatabase } from '../../../src/store/backup.js';
import { openDatabase, schemaVersion } from '../../../src/store/database.js';

/** Inserts users u0, u1, … one transaction each, as fast as it can; prints each 500th count. */
const WRITER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.pragma('busy_timeout = 5000');
const ins = db.prepare("INSERT INTO users (jid, created_at) VALUES (?, ?)");
for (let i = 0; ; i++) {
  ins.run('u' + String(i).padStart(7, '0') + '@example.org', i);
  if (i % 500 === 499) process.stdout.write((i + 1) + '\\n');
}`;

describe('backupDatabase', () => {
  it('copies a database that another process is writing to, consistently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-backup-'));
    const path = join(dir, 'live.sqlite');
    const { db } = openDatabase(path);
    const writer = spawn(process.execPath, ['-e', WRITER, createRequire(import.meta.url).resolve('better-sqlite3'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const counts: number[] = [];
    const progressed = (n: number) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if ((counts.at(-1) ?? 0) >= n) resolve();
          else writer.stdout.once('data', check);
        };
        check();
      });
    writer.stdout.setEncoding('utf8');
    writer.stdout.on('data', (d: string) => counts.push(...d.trim().split('\n').map(Number)));
    try {
      await progressed(2000);
      const dest = join(dir, 'copy.sqlite');
      const result = await backupDatabase(path, dest);
      const before = counts.at(-1)!;
      await progressed(before + 1000); // the writer went on after the copy
      const copy = new Database(dest, { readonly: true });
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(schemaVersion(copy)).toBe(schemaVersion(db));
      expect(result.schemaVersion).toBe(schemaVersion(db));
      const rows = copy.prepare('SELECT created_at FROM users ORDER BY created_at').pluck().all() as number[];
      expect(rows.length).toBeGreaterThanOrEqual(2000);
      expect(rows).toEqual(rows.map((_, i) => i)); // a prefix of what was committed, no gap
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      copy.close();
      expect(statSync(dest).mode & 0o777).toBe(0o600);
      expect(existsSync(`${dest}.partial`)).toBe(false);
      await expect(backupDatabase(path, dest)).rejects.toThrow(`${dest} exists; refusing to overwrite it`);
    } finally {
      writer.kill();
      db.close();
    }
  });

  it('copies a database nobody has open, without touching it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-backup-'));
    const path = join(dir, 'idle.sqlite');
    const { db } = openDatabase(path);
    db.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('a@example.org', 1);
    db.close();
    const mtime = statSync(path).mtimeMs;
    await backupDatabase(path, join(dir, 'copy.sqlite'));
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false); // none left for the gateway to trip on
    const copy = new Database(join(dir, 'copy.sqlite'), { readonly: true });
    expect(copy.prepare('SELECT jid FROM users').pluck().all()).toEqual(['a@example.org']);
    copy.close();
  });

  it('says why when the source is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-backup-'));
    await expect(backupDatabase(join(dir, 'nope.sqlite'), join(dir, 'c.sqlite'))).rejects.toThrow(/cannot open database .*nope\.sqlite/);
  });
});
