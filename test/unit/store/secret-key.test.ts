import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import { openDatabase } from '../../../src/store/database.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { generateSecretKey, SecretBoxError } from '../../../src/store/secret-box.js';
import { keyFilePath, openSecretBox } from '../../../src/store/secret-key.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const { log, addSecret } = createLogger('trace', stream);
  return { lines, log, addSecret };
}

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'jabirc-key-')), 'data', 'j.sqlite');
}

describe('openSecretBox', () => {
  it('generates the key file once (0600, beside the database), warns where it is, never logs the key', () => {
    const path = tempDb();
    const { lines, log, addSecret } = capture();
    const { db } = openDatabase(path);
    openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret });
    const keyFile = keyFilePath(path);
    expect(keyFile).toBe(`${path}.key`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(readdirSync(join(path, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(lines).toHaveLength(1);
    const warning = JSON.parse(lines[0]!) as { level: number; keyFile: string; msg: string };
    expect(warning.level).toBe(40);
    expect(warning.keyFile).toBe(keyFile);
    expect(warning.msg).toContain('back this file up together with the database');
    // The key is registered with the logger: a slip that logs it prints [Redacted].
    log.info({ oops: key }, `leaked ${key}`);
    expect(lines.join('')).not.toContain(key);

    openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret });
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    expect(lines).toHaveLength(2);
    db.close();
  });

  it('uses a configured key and writes no key file', () => {
    const path = tempDb();
    const { db } = openDatabase(path);
    const { lines, log, addSecret } = capture();
    const key = generateSecretKey();
    const box = openSecretBox(db, { configuredKey: key, databasePath: path, log, addSecret });
    expect(existsSync(keyFilePath(path))).toBe(false);
    expect(lines).toEqual([]);
    expect(box.open(box.seal('x', { table: 't', row: [], column: 'c' }), { table: 't', row: [], column: 'c' })).toBe('x');
    expect(() => openSecretBox(db, { configuredKey: key, databasePath: path, log, addSecret })).not.toThrow();
    db.close();
  });

  it('refuses at start-up a key that is not the one the database was written with', () => {
    const path = tempDb();
    const { db } = openDatabase(path);
    const { log, addSecret } = capture();
    openSecretBox(db, { configuredKey: generateSecretKey(), databasePath: path, log, addSecret });
    const other = generateSecretKey();
    let message = '';
    try {
      openSecretBox(db, { configuredKey: other, databasePath: path, log, addSecret });
    } catch (err) {
      expect(err).toBeInstanceOf(SecretBoxError);
      message = (err as Error).message;
    }
    expect(message).toBe(
      'the secret key from database.secret_key / JABIRC_SECRET_KEY is not the key this database\'s passwords were encrypted with',
    );
    expect(message).not.toContain(other);
    db.close();
  });

  it('refuses to generate a new key for a database whose key file was lost', () => {
    const path = tempDb();
    const { db } = openDatabase(path);
    const { log, addSecret } = capture();
    openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret });
    writeFileSync(keyFilePath(path), generateSecretKey());
    expect(() => openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret })).toThrow(
      /secret key from the key file .*j\.sqlite\.key is not the key/,
    );
    rmSync(keyFilePath(path));
    expect(() => openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret })).toThrow(
      /holds encrypted passwords but its key file .*j\.sqlite\.key is missing/,
    );
    expect(existsSync(keyFilePath(path))).toBe(false);
    db.close();
  });

  it('names a malformed key file, and warns about one others can read', () => {
    const path = tempDb();
    const { db } = openDatabase(path);
    const { lines, log, addSecret } = capture();
    writeFileSync(keyFilePath(path), 'not a key\n', { mode: 0o600 });
    expect(() => openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret })).toThrow(
      /^secret key file .*j\.sqlite\.key: the secret key must be 32 bytes in base64/,
    );
    writeFileSync(keyFilePath(path), generateSecretKey());
    chmodSync(keyFilePath(path), 0o644);
    openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret });
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'secret key file is readable by other users; chmod 600 it',
    ]);
    db.close();
  });

  it('gives an in-memory database a throw-away key, with no file and no warning', () => {
    const { db } = openDatabase(':memory:');
    const { lines, log, addSecret } = capture();
    openSecretBox(db, { configuredKey: undefined, databasePath: ':memory:', log, addSecret });
    expect(lines).toEqual([]);
    expect(existsSync(':memory:.key')).toBe(false);
  });
});

describe('secrets at rest', () => {
  it('leaves no password or channel key in clear in the SQLite file or its WAL', () => {
    const path = tempDb();
    const { log, addSecret } = capture();
    const { db } = openDatabase(path);
    const box = openSecretBox(db, { configuredKey: undefined, databasePath: path, log, addSecret });
    const ids = new SqliteIdentityStore(db, box);
    const channels = new SqliteChannelStore(db, box);
    const secrets = ['SaslPassw0rd-7f3a', 'NickServPassw0rd-91bc', 'ServerPassw0rd-c0de', 'ChannelKey-5eed', 'DefaultSasl-aa11'];
    ids.set('alice@example.org', '', { nick: 'plainnick-defaults', saslPassword: secrets[4] });
    ids.set('alice@example.org', 'irc.libera.chat', {
      nick: 'plainnick-libera',
      saslAccount: 'alice',
      saslPassword: secrets[0],
      nickservPassword: secrets[1],
      serverPassword: secrets[2],
    });
    channels.setPersistent({ user: 'alice@example.org', network: 'irc.libera.chat', channel: '#jabirc', key: secrets[3] }, true);

    const raw = (): string =>
      [path, `${path}-wal`]
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f).toString('latin1'))
        .join('\n');
    const whileOpen = raw();
    // The scan sees what it should: the clear fields are there, so the passwords would be too.
    expect(whileOpen).toContain('plainnick-libera');
    expect(existsSync(`${path}-wal`)).toBe(true);
    db.close();
    const afterClose = raw();
    expect(afterClose).toContain('plainnick-defaults');
    for (const s of secrets) {
      expect(whileOpen).not.toContain(s);
      expect(afterClose).not.toContain(s);
    }

    // And they come back with the key file that was created beside the database.
    const again = openDatabase(path).db;
    const box2 = openSecretBox(again, { configuredKey: undefined, databasePath: path, log, addSecret });
    expect(new SqliteIdentityStore(again, box2).get('alice@example.org', 'irc.libera.chat')?.nickservPassword).toBe(secrets[1]);
    expect(new SqliteChannelStore(again, box2).all()[0]?.key).toBe(secrets[3]);
    again.close();
  });
});
