/**
 * Is the database writable right now? The readiness check (`/readyz`) asks this.
 *
 * Why a real write: SQLite takes a write lock (`BEGIN IMMEDIATE`) even on a connection
 * or file it cannot write; only changing a page fails with SQLITE_READONLY. So the
 * probe creates a table inside a transaction and rolls it back: nothing reaches the
 * file, but a read-only file, a full lock held by another process, or a closed
 * connection all show.
 *
 * Rules: never waits for a lock (busy_timeout 0 for the probe, then restored), so a
 * probe cannot stall the event loop; never throws.
 */
import type { Db } from './database.js';

/** Undefined when writable, else why not (for the `/readyz` body and the log). */
export function databaseUnwritable(db: Db): string | undefined {
  if (!db.open) return 'database closed';
  if (db.inTransaction) return undefined; // only our own synchronous code can be mid-transaction, and it is not now
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('CREATE TABLE jabirc_write_probe (x)');
    return undefined;
  } catch (err) {
    return `database not writable: ${(err as Error).message}`;
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
