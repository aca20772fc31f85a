import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NetworkIdentity } from '../../../src/core/ports.js';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import type { Db } from '../../../src/store/database.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { SecretBox, SecretBoxError } from '../../../src/store/secret-box.js';
import { DB_PLACES } from './db-places.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const LIBERA = 'irc.libera.chat';
const OFTC = 'irc.oftc.net';

const FULL: NetworkIdentity = {
  nick: 'alice',
  username: 'al',
  realname: 'Alice A.',
  saslAccount: 'alice_acct',
  saslPassword: 'sasl-pw-Ω',
  nickservPassword: 'ns-pw',
  serverPassword: 'server-pw',
  tls: false,
  verifyCertificate: false,
  port: 6667,
  afterConnect: ['MODE alice +x', 'PRIVMSG HostServ :ON'],
  encoding: 'windows-1252',
};

function count(db: Db, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

describe.each(DB_PLACES)('SqliteIdentityStore on %s', (_where, open) => {
  function setup() {
    const db = open();
    const box = new SecretBox(randomBytes(32));
    return { db, box, ids: new SqliteIdentityStore(db, box, { now: () => 1000 }), channels: new SqliteChannelStore(db, box) };
  }

  it('stores and returns every field, passwords included', () => {
    const { ids } = setup();
    expect(ids.get(ALICE, LIBERA)).toBeUndefined();
    ids.set(ALICE, LIBERA, FULL);
    expect(ids.get(ALICE, LIBERA)).toEqual(FULL);
    expect(ids.get(ALICE, OFTC)).toBeUndefined();
    expect(ids.get(BOB, LIBERA)).toBeUndefined();
  });

  it('keeps true flags and an empty after-connect list apart from unset ones', () => {
    const { ids } = setup();
    ids.set(ALICE, LIBERA, { tls: true, verifyCertificate: true, afterConnect: [] });
    expect(ids.get(ALICE, LIBERA)).toEqual({ tls: true, verifyCertificate: true, afterConnect: [] });
  });

  it('replaces the whole identity: undefined fields, passwords too, are cleared', () => {
    const { ids } = setup();
    ids.set(ALICE, LIBERA, FULL);
    ids.set(ALICE, LIBERA, { nick: 'alice2' });
    expect(ids.get(ALICE, LIBERA)).toEqual({ nick: 'alice2' });
  });

  it('keeps the gateway-wide defaults under network "" out of networks()', () => {
    const { ids } = setup();
    ids.set(ALICE, '', { nick: 'alice', realname: 'Alice' });
    ids.set(ALICE, OFTC, { nick: 'al' });
    ids.set(ALICE, LIBERA, {});
    ids.set(BOB, LIBERA, { nick: 'bob' });
    expect(ids.get(ALICE, '')).toEqual({ nick: 'alice', realname: 'Alice' });
    expect(ids.get(ALICE, LIBERA)).toEqual({});
    expect(ids.networks(ALICE)).toEqual([LIBERA, OFTC]);
    expect(ids.networks('nobody@example.org')).toEqual([]);
    expect(ids.users()).toEqual([ALICE, BOB]);
  });

  it('creates the users row once', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, {});
    ids.set(ALICE, OFTC, {});
    expect(db.prepare('SELECT jid, created_at FROM users').all()).toEqual([{ jid: ALICE, created_at: 1000 }]);
  });

  it('removes one network with its persistent channels, leaving the rest', () => {
    const { db, ids, channels } = setup();
    ids.set(ALICE, '', { nick: 'alice' });
    ids.set(ALICE, LIBERA, FULL);
    ids.set(ALICE, OFTC, { nick: 'al' });
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#jabirc' }, true);
    channels.setPersistent({ user: ALICE, network: OFTC, channel: '#debian' }, true);
    ids.remove(ALICE, LIBERA);
    expect(ids.get(ALICE, LIBERA)).toBeUndefined();
    expect(ids.networks(ALICE)).toEqual([OFTC]);
    expect(ids.get(ALICE, '')).toEqual({ nick: 'alice' });
    expect(channels.all()).toEqual([{ user: ALICE, network: OFTC, channel: '#debian' }]);
    expect(count(db, 'users')).toBe(1);
  });

  it('unregistering (remove(user)) removes identities and persistent channels by cascade', () => {
    const { db, ids, channels } = setup();
    ids.set(ALICE, '', { nick: 'alice' });
    ids.set(ALICE, LIBERA, FULL);
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#jabirc', key: 'k' }, true);
    ids.set(BOB, LIBERA, { nick: 'bob' });
    channels.setPersistent({ user: BOB, network: LIBERA, channel: '#bob' }, true);
    ids.remove(ALICE);
    expect(ids.users()).toEqual([BOB]);
    expect(ids.get(ALICE, '')).toBeUndefined();
    expect(channels.all()).toEqual([{ user: BOB, network: LIBERA, channel: '#bob' }]);
    expect(db.prepare('SELECT jid FROM users').pluck().all()).toEqual([BOB]);
    expect(count(db, 'identities')).toBe(1);
  });

  it('reports a password it cannot decrypt as an error naming the field', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, FULL);
    const other = new SqliteIdentityStore(db, new SecretBox(randomBytes(32)));
    expect(() => other.get(ALICE, LIBERA)).toThrow(SecretBoxError);
    expect(() => other.get(ALICE, LIBERA)).toThrow(/identities\.sasl_password_sealed of \("alice@example\.org", "irc\.libera\.chat"\)/);
  });

  it('refuses a password sealed for another user, copied into this row', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, { saslPassword: 'alice-secret' });
    ids.set(BOB, LIBERA, { saslPassword: 'bob-secret' });
    db.prepare(
      `UPDATE identities SET sasl_password_sealed =
         (SELECT sasl_password_sealed FROM identities WHERE jid = ?) WHERE jid = ?`,
    ).run(ALICE, BOB);
    expect(() => ids.get(BOB, LIBERA)).toThrow(SecretBoxError);
  });

  it('seals the after-connect commands at rest and never writes the clear column', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, { afterConnect: ['PRIVMSG NickServ :IDENTIFY hunter2', 'OPER alice oper-pw'] });
    const row = db.prepare('SELECT after_connect, after_connect_sealed FROM identities WHERE jid = ?').get(ALICE) as Record<string, string | null>;
    expect(row.after_connect).toBeNull();
    expect(row.after_connect_sealed).toMatch(/^v1:/);
    expect(JSON.stringify(db.prepare('SELECT * FROM identities').all())).not.toMatch(/hunter2|oper-pw/);
    expect(ids.get(ALICE, LIBERA)).toEqual({ afterConnect: ['PRIVMSG NickServ :IDENTIFY hunter2', 'OPER alice oper-pw'] });
  });

  it('reads clear after-connect commands of a row written before migration 4, and seals them on the next write', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, { nick: 'alice' });
    db.prepare('UPDATE identities SET after_connect = ? WHERE jid = ?').run(JSON.stringify(['PRIVMSG NickServ :IDENTIFY old-pw']), ALICE);
    const stored = ids.get(ALICE, LIBERA);
    expect(stored).toEqual({ nick: 'alice', afterConnect: ['PRIVMSG NickServ :IDENTIFY old-pw'] });
    ids.set(ALICE, LIBERA, stored!);
    const row = db.prepare('SELECT after_connect, after_connect_sealed FROM identities WHERE jid = ?').get(ALICE) as Record<string, string | null>;
    expect(row.after_connect).toBeNull();
    expect(row.after_connect_sealed).toMatch(/^v1:/);
    expect(ids.get(ALICE, LIBERA)).toEqual(stored);
  });

  it('refuses after-connect commands sealed for another network, copied into this row', () => {
    const { db, ids } = setup();
    ids.set(ALICE, LIBERA, { afterConnect: ['AWAY :a'] });
    ids.set(ALICE, OFTC, { nick: 'al' });
    db.prepare(
      `UPDATE identities SET after_connect_sealed =
         (SELECT after_connect_sealed FROM identities WHERE network = ?) WHERE network = ?`,
    ).run(LIBERA, OFTC);
    expect(() => ids.get(ALICE, OFTC)).toThrow(/identities\.after_connect_sealed/);
  });

  it('rolls back a write that fails half-way', () => {
    const { db, ids } = setup();
    expect(() => ids.set(ALICE, LIBERA, { port: 70000 })).toThrow();
    expect(count(db, 'users')).toBe(0);
    expect(ids.users()).toEqual([]);
  });
});
