/**
 * `jabirc backup PATH`: a consistent copy of the live database.
 *
 * Why SQLite's online backup (better-sqlite3 `backup()`): copying the file while the
 * gateway writes can catch a half-written page or miss what is still in the WAL; the
 * backup API copies pages through SQLite itself, from one read snapshot.
 *
 * Rules kept:
 * - all pages are copied in one step, so the copy is one snapshot and cannot be
 *   restarted by the gateway's writes (SQLite restarts a stepwise backup whenever
 *   another connection writes); in WAL mode that read does not block the writer;
 * - the copy is written beside the destination and renamed into place only once
 *   `PRAGMA integrity_check` passes, so PATH is either a whole, checked database or
 *   absent; an existing PATH is never overwritten;
 * - the copy gets mode 0600: it holds the sealed passwords (the key is a separate file,
 *   never copied here, see the README "Backups");
 * - the source is only read: no migration, no write of its content; the WAL files
 *   this connection needed are gone again after it when the gateway is not running.
 */
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { schemaVersion, StoreError } from './database.js';

export interface BackupResult {
  pages: number;
  schemaVersion: number;
}

export async function backupDatabase(source: string, dest: string): Promise<BackupResult> {
  if (existsSync(dest)) throw new StoreError(`${dest} exists; refusing to overwrite it`);
  let db;
  try {
    // Read-write although it only reads: a read-only connection to an idle WAL database
    // creates -wal and -shm files it cannot remove (root-owned ones, when root runs this,
    // would lock the gateway out); a read-write one, when last, removes them on close.
    db = new Database(source, { fileMustExist: true });
  } catch (err) {
    throw new StoreError(`cannot open database ${source}: ${(err as Error).message}`);
  }
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });
  try {
    db.pragma('busy_timeout = 5000');
    const { totalPages } = await db.backup(partial, { progress: () => 0x7fffffff });
    const copy = new Database(partial, { fileMustExist: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new StoreError(`the copy failed its integrity check: ${String(check)}`);
      // A single file: fold the copy's own WAL, if any, back into it.
      copy.pragma('journal_mode = DELETE');
      const version = schemaVersion(copy);
      copy.close();
      chmodSync(partial, 0o600);
      renameSync(partial, dest);
      return { pages: totalPages, schemaVersion: version };
    } finally {
      if (copy.open) copy.close();
    }
  } catch (err) {
    rmSync(partial, { force: true });
    if (err instanceof StoreError) throw err;
    throw new StoreError(`backup of ${source} to ${dest} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}
