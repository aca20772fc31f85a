import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import { migrate, openDatabase, schemaVersion, type Db } from '../../../src/store/database.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { SqliteRoomEncodingStore } from '../../../src/store/room-settings-store.js';
import { SecretBox } from '../../../src/store/secret-box.js';

function schemaOf(db: Db): unknown[] {
  return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
}

describe('migration 2 (identities, persistent channels, key check)', () => {
  it('upgrades a version-1 database file and keeps its users', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jabirc-mig-')), 'v1.sqlite');
    // A database as the previous Jabirc left it: schema version 1, with users.
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 1));
    expect(schemaVersion(old)).toBe(1);
    const insert = old.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)');
    insert.run('alice@example.org', 1_700_000_000_000);
    insert.run('bob@example.org', 1_700_000_000_001);
    old.close();

    const { db, applied } = openDatabase(path);
    // Migration 2 and every later one.
    expect(applied).toEqual(MIGRATIONS.slice(1).map((m, i) => `${i + 2}: ${m.description}`));
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT jid, created_at FROM users ORDER BY jid').all()).toEqual([
      { jid: 'alice@example.org', created_at: 1_700_000_000_000 },
      { jid: 'bob@example.org', created_at: 1_700_000_000_001 },
    ]);
    // The upgraded schema is the one a new database gets.
    expect(schemaOf(db)).toEqual(schemaOf(openDatabase(':memory:').db));

    // Existing users take identities and channels, and keep their creation time.
    const box = new SecretBox(randomBytes(32));
    const ids = new SqliteIdentityStore(db, box, { now: () => 2 });
    const channels = new SqliteChannelStore(db, box);
    ids.set('alice@example.org', 'irc.libera.chat', { nick: 'alice', saslPassword: 'pw' });
    channels.setPersistent({ user: 'alice@example.org', network: 'irc.libera.chat', channel: '#a' }, true);
    expect(db.prepare("SELECT created_at FROM users WHERE jid = 'alice@example.org'").pluck().get()).toBe(1_700_000_000_000);
    ids.remove('alice@example.org');
    expect(db.prepare('SELECT jid FROM users').pluck().all()).toEqual(['bob@example.org']);
    expect(channels.all()).toEqual([]);
    db.close();
  });

  it('enforces the foreign keys and checks of the new tables', () => {
    const { db } = openDatabase(':memory:');
    const identity = db.prepare('INSERT INTO identities (jid, network, port, tls, after_connect, updated_at) VALUES (?, ?, ?, ?, ?, 0)');
    expect(() => identity.run('ghost@example.org', '', null, null, null)).toThrow(/FOREIGN KEY/);
    db.prepare("INSERT INTO users (jid, created_at) VALUES ('a@b', 0)").run();
    expect(() => identity.run('a@b', 'n', 0, null, null)).toThrow(/CHECK/);
    expect(() => identity.run('a@b', 'n', null, 2, null)).toThrow(/CHECK/);
    expect(() => identity.run('a@b', 'n', null, null, '{"a":1}')).toThrow(/CHECK/);
    expect(() =>
      db.prepare("INSERT INTO persistent_channels (jid, network, channel_folded, channel, created_at) VALUES ('a@b', '', '#a', '#a', 0)").run(),
    ).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO secret_key_check (id, sealed) VALUES (2, 'x')").run()).toThrow(/CHECK/);
  });
});

describe('migration 3 (room settings)', () => {
  it('upgrades a version-2 database file and keeps its data', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jabirc-mig-')), 'v2.sqlite');
    const key = randomBytes(32);
    // A database as the previous Jabirc left it: schema version 2, with a user, an identity
    // (a sealed password included), a persistent channel with a key, and the key check.
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    migrate(old, MIGRATIONS.slice(0, 2));
    expect(schemaVersion(old)).toBe(2);
    const oldBox = new SecretBox(key);
    // Written with SQL as version 2 had it: today's stores expect today's schema.
    old.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('alice@example.org', 1_700_000_000_000);
    old
      .prepare('INSERT INTO identities (jid, network, nick, sasl_password_sealed, encoding, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        'alice@example.org',
        'irc.libera.chat',
        'alice',
        oldBox.seal('pw', { table: 'identities', row: ['alice@example.org', 'irc.libera.chat'], column: 'sasl_password_sealed' }),
        'windows-1252',
        1_700_000_000_000,
      );
    old
      .prepare('INSERT INTO persistent_channels (jid, network, channel_folded, channel, key_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        'alice@example.org',
        'irc.libera.chat',
        '#secret',
        '#Secret',
        oldBox.seal('k3y', { table: 'persistent_channels', row: ['alice@example.org', 'irc.libera.chat', '#secret'], column: 'key_sealed' }),
        1_700_000_000_000,
      );
    old.prepare("INSERT INTO secret_key_check (id, sealed) VALUES (1, 'sealed-check')").run();
    const dump = (d: Db) => ({
      users: d.prepare('SELECT * FROM users ORDER BY jid').all(),
      identities: d.prepare('SELECT * FROM identities ORDER BY jid, network').all(),
      channels: d.prepare('SELECT * FROM persistent_channels ORDER BY jid, network, channel_folded').all(),
      check: d.prepare('SELECT * FROM secret_key_check').all(),
    });
    const before = dump(old);
    old.close();

    const { db, applied } = openDatabase(path);
    expect(applied).toEqual(MIGRATIONS.slice(2).map((m, i) => `${i + 3}: ${m.description}`));
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    // Later migrations only add columns: compare the columns version 2 had.
    const columnsOf = (rows: unknown[], keys: string[]) =>
      rows.map((r) => Object.fromEntries(keys.map((k) => [k, (r as Record<string, unknown>)[k]])));
    const after = dump(db);
    expect({
      ...after,
      identities: columnsOf(after.identities, Object.keys(before.identities[0] as object)),
      channels: columnsOf(after.channels, Object.keys(before.channels[0] as object)),
    }).toEqual(before);
    expect(schemaOf(db)).toEqual(schemaOf(openDatabase(':memory:').db));

    // The old rows still open with the same key, and the existing user takes room settings.
    const box = new SecretBox(key);
    const ids = new SqliteIdentityStore(db, box);
    expect(ids.get('alice@example.org', 'irc.libera.chat')).toEqual({ nick: 'alice', saslPassword: 'pw', encoding: 'windows-1252' });
    expect(new SqliteChannelStore(db, box).all()).toEqual([
      { user: 'alice@example.org', network: 'irc.libera.chat', channel: '#Secret', key: 'k3y' },
    ]);
    const rooms = new SqliteRoomEncodingStore(db, { now: () => 5 });
    rooms.set('alice@example.org', 'irc.libera.chat', '#secret', 'koi8-r');
    expect(rooms.get('alice@example.org', 'irc.libera.chat', '#SECRET')).toBe('koi8-r');
    expect(db.prepare("SELECT created_at FROM users WHERE jid = 'alice@example.org'").pluck().get()).toBe(1_700_000_000_000);
    ids.remove('alice@example.org');
    expect(rooms.get('alice@example.org', 'irc.libera.chat', '#secret')).toBeUndefined();
    db.close();
  });

  it('enforces the foreign key and check of room_settings', () => {
    const { db } = openDatabase(':memory:');
    const insert = db.prepare("INSERT INTO room_settings (jid, network, channel_folded, channel, encoding) VALUES (?, ?, '#a', '#a', 'utf-8')");
    expect(() => insert.run('ghost@example.org', 'n')).toThrow(/FOREIGN KEY/);
    db.prepare("INSERT INTO users (jid, created_at) VALUES ('a@b', 0)").run();
    expect(() => insert.run('a@b', '')).toThrow(/CHECK/);
    insert.run('a@b', 'n');
    expect(() => insert.run('a@b', 'n')).toThrow(/UNIQUE|PRIMARY KEY/);
  });
});

describe('migration 4 (after-connect commands sealed)', () => {
  it('upgrades a version-3 database: clear commands still read, and are sealed on the next write', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jabirc-mig-')), 'v3.sqlite');
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    migrate(old, MIGRATIONS.slice(0, 3));
    expect(schemaVersion(old)).toBe(3);
    old.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('alice@example.org', 1);
    old
      .prepare('INSERT INTO identities (jid, network, nick, after_connect, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run('alice@example.org', 'irc.libera.chat', 'alice', JSON.stringify(['PRIVMSG NickServ :IDENTIFY pw']), 1);
    old.close();

    const { db, applied } = openDatabase(path);
    // Migration 4 and every later one.
    expect(applied).toEqual(MIGRATIONS.slice(3).map((m, i) => `${i + 4}: ${m.description}`));
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(schemaOf(db)).toEqual(schemaOf(openDatabase(':memory:').db));
    const ids = new SqliteIdentityStore(db, new SecretBox(randomBytes(32)));
    const stored = ids.get('alice@example.org', 'irc.libera.chat');
    expect(stored).toEqual({ nick: 'alice', afterConnect: ['PRIVMSG NickServ :IDENTIFY pw'] });
    ids.set('alice@example.org', 'irc.libera.chat', stored!);
    expect(JSON.stringify(db.prepare('SELECT * FROM identities').all())).not.toContain('IDENTIFY');
    expect(ids.get('alice@example.org', 'irc.libera.chat')).toEqual(stored);
    db.close();
  });
});

describe('migration 7 (channel history)', () => {
  it('upgrades a version-4 database and keeps its data', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jabirc-mig-')), 'v4.sqlite');
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    migrate(old, MIGRATIONS.slice(0, 4));
    old.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('alice@example.org', 1);
    old.close();

    const { db, applied } = openDatabase(path);
    expect(applied).toEqual(MIGRATIONS.slice(4).map((m, i) => `${i + 5}: ${m.description}`));
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(schemaOf(db)).toEqual(schemaOf(openDatabase(':memory:').db));
    expect(db.prepare('SELECT jid FROM users').pluck().all()).toEqual(['alice@example.org']);
    db.close();
  });

  it('enforces the keys, checks and cascades of the archive tables', () => {
    const { db } = openDatabase(':memory:');
    const line = db.prepare("INSERT INTO archive_lines (channel_id, at, seq, id, nick, kind, body, status_prefix) VALUES (?, 1, ?, ?, 'n', ?, 'b', ?)");
    expect(() => line.run(1, 1, 'a', 0, null)).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("INSERT INTO archive_channels (network, channel_folded, channel) VALUES ('', '#a', '#a')").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO archive_channels (network, channel_folded, channel) VALUES ('n', '#a', '#A')").run();
    expect(() => line.run(1, 1, 'a', 4, null)).toThrow(/CHECK/);
    expect(() => line.run(1, 1, 'a', 0, '')).toThrow(/CHECK/);
    line.run(1, 1, 'a', 0, '@');
    expect(() => line.run(1, 2, 'a', 0, null)).toThrow(/UNIQUE/); // one id per channel
    db.prepare("INSERT INTO archive_status_recipients (channel_id, at, seq, jid) VALUES (1, 1, 1, 'u@x')").run();
    expect(() => db.prepare("INSERT INTO archive_status_recipients (channel_id, at, seq, jid) VALUES (1, 1, 9, 'u@x')").run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("INSERT INTO archive_spans (jid, channel_id, start_at, end_at) VALUES ('u@x', 1, 5, 4)").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO archive_spans (jid, channel_id, start_at, end_at) VALUES ('u@x', 1, 5, NULL)").run();
    db.prepare('DELETE FROM archive_channels WHERE id = 1').run();
    for (const t of ['archive_lines', 'archive_status_recipients', 'archive_spans']) {
      expect(db.prepare(`SELECT count(*) FROM ${t}`).pluck().get()).toBe(0);
    }
  });
});

describe('migration room_settings.record', () => {
  // Found by its description: steps appended by other work may come before it.
  const step = MIGRATIONS.findIndex((m) => m.description.startsWith('room_settings.record'));

  it('upgrades the database before it: its room settings record, as before; record takes only 0 and 1', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'jabirc-mig-')), `v${step}.sqlite`);
    const old = new Database(path);
    old.pragma('foreign_keys = ON');
    migrate(old, MIGRATIONS.slice(0, step));
    old.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('alice@example.org', 1);
    old.prepare("INSERT INTO room_settings (jid, network, channel_folded, channel, encoding) VALUES ('alice@example.org', 'n', '#a', '#a', 'koi8-r')").run();
    old.close();

    const { db, applied } = openDatabase(path);
    expect(step).toBeGreaterThan(2);
    expect(applied).toEqual(MIGRATIONS.slice(step).map((m, i) => `${step + i + 1}: ${m.description}`));
    expect(schemaOf(db)).toEqual(schemaOf(openDatabase(':memory:').db));
    const rooms = new SqliteRoomEncodingStore(db);
    expect([rooms.get('alice@example.org', 'n', '#a'), rooms.recording('alice@example.org', 'n', '#a')]).toEqual(['koi8-r', true]);
    expect(() => db.prepare("UPDATE room_settings SET record = 2 WHERE channel_folded = '#a'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE room_settings SET record = NULL WHERE channel_folded = '#a'").run()).toThrow(/NOT NULL/);
    db.close();
  });
});
