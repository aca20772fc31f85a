/**
 * Finds the key of the secret box, and makes sure it is the key the database was written with.
 *
 * Why: an operator who does nothing must still get encrypted passwords, and an operator
 * who restores a database without its key (or changes the key) must be told at start-up,
 * not by every user's connection failing later with a decryption error.
 *
 * Rules (decided for issue 4 §5):
 * - Source of the key, first found wins: `database.secret_key` from the config, into which
 *   `config/load.ts` has already merged the environment variable `JABIRC_SECRET_KEY` (the
 *   environment wins, as for the component secret); else the key file `<database>.key`
 *   beside the database; else a new key is generated into that file. A `:memory:` database
 *   with no configured key gets a throw-away key, since its data dies with the process.
 * - The key file holds the key in base64 on one line, mode 0600. It is created atomically:
 *   written and synced under a temporary name, then hard-linked to its name, which fails
 *   if another process created it first (then that process's key is used). A file with
 *   group or other permissions is used but warned about.
 * - Creating it logs a warning that names the file and says it must be backed up with the
 *   database. The key itself is registered with the logger's `addSecret` before anything
 *   is logged and appears in no message.
 * - The table `secret_key_check` (migration 2) holds one value sealed with the key. A key
 *   that cannot open it is refused at start-up; so is generating a new key for a database
 *   that already has that value (its key file was lost).
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { CoreLog } from '../core/log-port.js';
import type { Db } from './database.js';
import { generateSecretKey, parseSecretKey, SecretBox, SecretBoxError, type SecretPlace } from './secret-box.js';

const CHECK_PLACE: SecretPlace = { table: 'secret_key_check', row: ['1'], column: 'sealed' };
const CHECK_TEXT = 'jabirc secret key check';

export interface SecretKeyOptions {
  /** `config.database.secret_key` (environment already merged by the config loader). */
  configuredKey: string | undefined;
  /** `config.database.path`; the key file is this path plus `.key`. */
  databasePath: string;
  log: Pick<CoreLog, 'warn'>;
  /** The logger's secret registry: the key is added so no log line can ever carry it. */
  addSecret(secret: string): void;
}

/** `<database>.key`, absolute. */
export function keyFilePath(databasePath: string): string {
  return `${resolve(databasePath)}.key`;
}

function readKeyFile(path: string, log: Pick<CoreLog, 'warn'>): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretBoxError(`cannot read the secret key file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    log.warn({ keyFile: path, mode: mode.toString(8) }, 'secret key file is readable by other users; chmod 600 it');
  }
  try {
    return parseSecretKey(text);
  } catch (err) {
    throw new SecretBoxError(`secret key file ${path}: ${(err as Error).message}`);
  }
}

/** Creates the key file atomically; returns the key in it (another process's if it won the race). */
function createKeyFile(path: string, log: Pick<CoreLog, 'warn'>): Buffer {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${generateSecretKey()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  let created = true;
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false;
  } finally {
    unlinkSync(tmp);
  }
  if (created) {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    log.warn(
      { keyFile: path },
      'generated the key that encrypts stored passwords; back this file up together with the database (without it the passwords are lost), or set database.secret_key / JABIRC_SECRET_KEY',
    );
  }
  const key = readKeyFile(path, log);
  if (key === undefined) throw new SecretBoxError(`secret key file ${path} vanished while being created`);
  return key;
}

/** Resolves the key (see the module header), checks it against the database, returns the box. */
export function openSecretBox(db: Db, opts: SecretKeyOptions): SecretBox {
  const checkValue = db.prepare('SELECT sealed FROM secret_key_check WHERE id = 1').pluck().get() as string | undefined;
  let key: Buffer;
  let source: string;
  if (opts.configuredKey !== undefined) {
    try {
      key = parseSecretKey(opts.configuredKey);
    } catch (err) {
      throw new SecretBoxError(`database.secret_key / JABIRC_SECRET_KEY: ${(err as Error).message}`);
    }
    source = 'database.secret_key / JABIRC_SECRET_KEY';
  } else if (opts.databasePath === ':memory:') {
    key = randomBytes(32);
    source = 'a throw-away key (in-memory database)';
  } else {
    const path = keyFilePath(opts.databasePath);
    source = `the key file ${path}`;
    const existing = readKeyFile(path, opts.log);
    if (existing === undefined && checkValue !== undefined) {
      throw new SecretBoxError(
        `the database ${resolve(opts.databasePath)} holds encrypted passwords but its key file ${path} is missing: restore it from the backup, or set database.secret_key / JABIRC_SECRET_KEY to the key it was written with`,
      );
    }
    key = existing ?? createKeyFile(path, opts.log);
  }
  opts.addSecret(key.toString('base64'));
  const box = new SecretBox(key);
  // First use: record the key. ON CONFLICT, and reading back, let a racing process's key win.
  if (checkValue === undefined) {
    db.prepare('INSERT INTO secret_key_check (id, sealed) VALUES (1, ?) ON CONFLICT (id) DO NOTHING').run(
      box.seal(CHECK_TEXT, CHECK_PLACE),
    );
  }
  const stored = db.prepare('SELECT sealed FROM secret_key_check WHERE id = 1').pluck().get() as string;
  let opened: string | undefined;
  try {
    opened = box.open(stored, CHECK_PLACE);
  } catch {
    opened = undefined;
  }
  if (opened !== CHECK_TEXT) {
    throw new SecretBoxError(
      `the secret key from ${source} is not the key this database's passwords were encrypted with`,
    );
  }
  return box;
}
