import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { SecretBox, SecretBoxError } from '../../../src/store/secret-box.js';
import { DB_PLACES } from './db-places.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const LIBERA = 'irc.libera.chat';
const OFTC = 'irc.oftc.net';

describe.each(DB_PLACES)('SqliteChannelStore on %s', (_where, open) => {
  function setup() {
    const db = open();
    const box = new SecretBox(randomBytes(32));
    return { db, box, channels: new SqliteChannelStore(db, box) };
  }

  it('marks, lists and unmarks persistent channels, keys included', () => {
    const { channels } = setup();
    expect(channels.all()).toEqual([]);
    channels.setPersistent({ user: BOB, network: LIBERA, channel: '#b' }, true);
    channels.setPersistent({ user: ALICE, network: OFTC, channel: '#debian' }, true);
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#Secret', key: 'k3y' }, true);
    expect(channels.isPersistent(ALICE, LIBERA, '#Secret')).toBe(true);
    expect(channels.isPersistent(ALICE, OFTC, '#Secret')).toBe(false);
    expect(channels.isPersistent(BOB, LIBERA, '#Secret')).toBe(false);
    expect([channels.count(ALICE), channels.count(BOB), channels.count('nobody@example.org')]).toEqual([2, 1, 0]);
    expect(channels.all()).toEqual([
      { user: ALICE, network: LIBERA, channel: '#Secret', key: 'k3y' },
      { user: ALICE, network: OFTC, channel: '#debian' },
      { user: BOB, network: LIBERA, channel: '#b' },
    ]);
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#secret' }, false);
    expect(channels.isPersistent(ALICE, LIBERA, '#Secret')).toBe(false);
    expect(channels.all()).toHaveLength(2);
  });

  it('folds names with rfc1459 casemapping and keeps the latest spelling and key', () => {
    const { channels } = setup();
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#Foo[1]', key: 'old' }, true);
    expect(channels.isPersistent(ALICE, LIBERA, '#foo{1}')).toBe(true);
    expect(channels.isPersistent(ALICE, LIBERA, '#FOO[1]')).toBe(true);
    expect(channels.isPersistent(ALICE, LIBERA, '#foo1')).toBe(false);
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#foo{1}' }, true);
    expect(channels.all()).toEqual([{ user: ALICE, network: LIBERA, channel: '#foo{1}' }]);
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#foo{1}', key: 'new' }, true);
    expect(channels.all()).toEqual([{ user: ALICE, network: LIBERA, channel: '#foo{1}', key: 'new' }]);
  });

  it('unmarking a channel that is not persistent is a no-op', () => {
    const { db, channels } = setup();
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#x' }, false);
    expect(channels.all()).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM users').pluck().get()).toBe(0);
  });

  it('removeUser forgets the channels of one user and keeps their identities', () => {
    const { db, box, channels } = setup();
    const ids = new SqliteIdentityStore(db, box);
    ids.set(ALICE, LIBERA, { nick: 'alice' });
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#a' }, true);
    channels.setPersistent({ user: BOB, network: LIBERA, channel: '#b' }, true);
    channels.removeUser(ALICE);
    expect(channels.all()).toEqual([{ user: BOB, network: LIBERA, channel: '#b' }]);
    expect(ids.get(ALICE, LIBERA)).toEqual({ nick: 'alice' });
  });

  it('get: one channel by casemapped name, key included; undefined when not persistent', () => {
    const { channels } = setup();
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#Secret[1]', key: 'k3y' }, true);
    channels.setPersistent({ user: ALICE, network: OFTC, channel: '#open' }, true);
    expect(channels.get(ALICE, LIBERA, '#secret{1}')).toEqual({ user: ALICE, network: LIBERA, channel: '#Secret[1]', key: 'k3y' });
    expect(channels.get(ALICE, OFTC, '#OPEN')).toEqual({ user: ALICE, network: OFTC, channel: '#open' });
    expect(channels.get(ALICE, OFTC, '#Secret[1]')).toBeUndefined();
    expect(channels.get(BOB, LIBERA, '#Secret[1]')).toBeUndefined();
  });

  it('get reports a channel key it cannot decrypt as an error naming the field', () => {
    const { db, channels } = setup();
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#a', key: 'k' }, true);
    const other = new SqliteChannelStore(db, new SecretBox(randomBytes(32)));
    expect(() => other.get(ALICE, LIBERA, '#a')).toThrow(SecretBoxError);
    expect(() => other.get(ALICE, LIBERA, '#a')).toThrow(/persistent_channels\.key_sealed/);
  });

  it('all() returns a channel whose key cannot be decrypted without its key, and the others intact', () => {
    const { db, channels } = setup();
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#a', key: 'alice-key' }, true);
    channels.setPersistent({ user: BOB, network: LIBERA, channel: '#b', key: 'bob-key' }, true);
    // Bob's key copied into Alice's row: bound to Bob's row, it does not open there.
    db.prepare(
      `UPDATE persistent_channels SET key_sealed = (SELECT key_sealed FROM persistent_channels WHERE jid = ?) WHERE jid = ?`,
    ).run(BOB, ALICE);
    expect(channels.all()).toEqual([
      { user: ALICE, network: LIBERA, channel: '#a' },
      { user: BOB, network: LIBERA, channel: '#b', key: 'bob-key' },
    ]);
    expect(new SqliteChannelStore(db, new SecretBox(randomBytes(32))).all()).toEqual([
      { user: ALICE, network: LIBERA, channel: '#a' },
      { user: BOB, network: LIBERA, channel: '#b' },
    ]);
  });
});
