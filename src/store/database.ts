/**
 * Opens the SQLite store and brings its schema up to date.
 *
 * Why: every kind of persisted data (registrations, settings, history) lives in one
 * SQLite file, reached through small synchronous repositories. better-sqlite3 is
 * synchronous, which keeps the bridge core free of awaits (../shared/STYLE.md).
 *
 * Rules: WAL mode so readers never block the writer; the data directory is created
 * when missing; migrations from `migrations.ts` are applied at start, each with its
 * version bump in one transaction; a database newer than this code is refused rather
 * than silently misread.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;
/** A statement prepared once by a repository (positional or named parameters). */
export type Statement = Database.Statement<unknown[]>;

export class StoreError extends Error {
  override name = 'StoreError';
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the pending migrations; returns the descriptions of those applied. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): string[] {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new StoreError(
      `database schema version ${current} is newer than this Jabirc (knows ${migrations.length}); refusing to touch it`,
    );
  }
  const applied: string[] = [];
  for (let v = current; v < migrations.length; v++) {
    const m = migrations[v]!;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
    applied.push(`${v + 1}: ${m.description}`);
  }
  return applied;
}

/** Opens (creating when missing) the database at `path`, or in memory for `:memory:`. */
export function openDatabase(path: string): { db: Db; applied: string[] } {
  let db: Db;
  try {
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new StoreError(`cannot open database ${path}: ${(err as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return { db, applied: migrate(db) };
}
