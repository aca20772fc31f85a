import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import type { Db } from '../../../src/store/database.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { SqliteRoomEncodingStore } from '../../../src/store/room-settings-store.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { DB_PLACES } from './db-places.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const LIBERA = 'irc.libera.chat';
const OFTC = 'irc.oftc.net';

function count(db: Db, table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

describe.each(DB_PLACES)('SqliteRoomEncodingStore on %s', (_where, open) => {
  function setup() {
    const db = open();
    return { db, rooms: new SqliteRoomEncodingStore(db, { now: () => 1234 }) };
  }

  it('stores and reads back an encoding per user, network and channel', () => {
    const { db, rooms } = setup();
    expect(rooms.get(ALICE, LIBERA, '#a')).toBeUndefined();
    rooms.set(ALICE, LIBERA, '#a', 'windows-1252');
    rooms.set(ALICE, OFTC, '#a', 'iso-8859-2');
    rooms.set(BOB, LIBERA, '#a', 'koi8-r');
    expect(rooms.get(ALICE, LIBERA, '#a')).toBe('windows-1252');
    expect(rooms.get(ALICE, OFTC, '#a')).toBe('iso-8859-2');
    expect(rooms.get(BOB, LIBERA, '#a')).toBe('koi8-r');
    expect(rooms.get(ALICE, LIBERA, '#b')).toBeUndefined();
    rooms.set(ALICE, LIBERA, '#a', 'utf-8');
    expect(rooms.get(ALICE, LIBERA, '#a')).toBe('utf-8');
    expect(count(db, 'room_settings')).toBe(3);
    // The users rows were created on first use, with the clock's time.
    expect(db.prepare('SELECT jid, created_at FROM users ORDER BY jid').all()).toEqual([
      { jid: ALICE, created_at: 1234 },
      { jid: BOB, created_at: 1234 },
    ]);
  });

  it('folds channel names with rfc1459 casemapping and keeps the latest spelling', () => {
    const { db, rooms } = setup();
    rooms.set(ALICE, LIBERA, '#Foo', 'windows-1252');
    expect(rooms.get(ALICE, LIBERA, '#foo')).toBe('windows-1252');
    expect(rooms.get(ALICE, LIBERA, '#FOO')).toBe('windows-1252');
    rooms.set(ALICE, LIBERA, '#x[1]\\~', 'koi8-r');
    expect(rooms.get(ALICE, LIBERA, '#X{1}|^')).toBe('koi8-r');
    expect(rooms.get(ALICE, LIBERA, '#x1')).toBeUndefined();
    rooms.set(ALICE, LIBERA, '#x{1}|^', 'iso-8859-5');
    expect(rooms.get(ALICE, LIBERA, '#x[1]\\~')).toBe('iso-8859-5');
    expect(db.prepare('SELECT channel_folded, channel FROM room_settings ORDER BY channel_folded').all()).toEqual([
      { channel_folded: '#foo', channel: '#Foo' },
      { channel_folded: '#x{1}|^', channel: '#x{1}|^' },
    ]);
  });

  it('unsetting deletes the row; unsetting what is not set is a no-op', () => {
    const { db, rooms } = setup();
    rooms.set(ALICE, LIBERA, '#a', 'windows-1252');
    rooms.set(ALICE, LIBERA, '#b', 'koi8-r');
    rooms.set(ALICE, LIBERA, '#A', undefined);
    expect(rooms.get(ALICE, LIBERA, '#a')).toBeUndefined();
    expect(rooms.get(ALICE, LIBERA, '#b')).toBe('koi8-r');
    expect(count(db, 'room_settings')).toBe(1);
    rooms.set(BOB, LIBERA, '#a', undefined);
    expect(count(db, 'room_settings')).toBe(1);
    // Unsetting creates no users row.
    expect(db.prepare('SELECT jid FROM users').pluck().all()).toEqual([ALICE]);
  });

  it('recording: on unless turned off; each setting is kept when the other changes; a row back at the defaults goes', () => {
    const { db, rooms } = setup();
    expect(rooms.recording(ALICE, LIBERA, '#a')).toBe(true);
    rooms.setRecording(ALICE, LIBERA, '#a', true); // the default where there is no row: nothing written
    expect(count(db, 'room_settings')).toBe(0);
    expect(count(db, 'users')).toBe(0);
    rooms.setRecording(ALICE, LIBERA, '#A', false);
    expect(rooms.recording(ALICE, LIBERA, '#a')).toBe(false);
    expect(rooms.recording(BOB, LIBERA, '#a')).toBe(true);
    expect(rooms.recording(ALICE, OFTC, '#a')).toBe(true);
    rooms.set(ALICE, LIBERA, '#a', 'koi8-r');
    expect(rooms.recording(ALICE, LIBERA, '#a')).toBe(false);
    rooms.set(ALICE, LIBERA, '#a', undefined);
    expect([rooms.get(ALICE, LIBERA, '#a'), rooms.recording(ALICE, LIBERA, '#a')]).toEqual([undefined, false]);
    expect(count(db, 'room_settings')).toBe(1);
    rooms.set(ALICE, LIBERA, '#a', 'koi8-r');
    rooms.setRecording(ALICE, LIBERA, '#a', true);
    expect([rooms.get(ALICE, LIBERA, '#a'), rooms.recording(ALICE, LIBERA, '#a')]).toEqual(['koi8-r', true]);
    rooms.set(ALICE, LIBERA, '#a', undefined);
    expect(count(db, 'room_settings')).toBe(0);
  });

  it('recording follows the network casemapping once learned, like the encoding', () => {
    const { rooms } = setup();
    rooms.setRecording(ALICE, LIBERA, '#x[1]', false);
    expect(rooms.recording(ALICE, LIBERA, '#X{1}')).toBe(false);
    rooms.useCaseMapping(LIBERA, 'ascii');
    expect(rooms.recording(ALICE, LIBERA, '#X[1]')).toBe(false);
    expect(rooms.recording(ALICE, LIBERA, '#x{1}')).toBe(true);
  });

  it('IdentityStore.remove(user) cascades to the room settings of that user only', () => {
    const { db, rooms } = setup();
    const box = new SecretBox(randomBytes(32));
    const ids = new SqliteIdentityStore(db, box);
    const channels = new SqliteChannelStore(db, box);
    ids.set(ALICE, LIBERA, { nick: 'alice' });
    channels.setPersistent({ user: ALICE, network: LIBERA, channel: '#a' }, true);
    rooms.set(ALICE, LIBERA, '#a', 'windows-1252');
    rooms.set(ALICE, OFTC, '#b', 'koi8-r');
    rooms.set(BOB, LIBERA, '#a', 'iso-8859-2');
    ids.remove(ALICE);
    expect(rooms.get(ALICE, LIBERA, '#a')).toBeUndefined();
    expect(rooms.get(ALICE, OFTC, '#b')).toBeUndefined();
    expect(rooms.get(BOB, LIBERA, '#a')).toBe('iso-8859-2');
    expect(count(db, 'room_settings')).toBe(1);
    expect(channels.all()).toEqual([]);
  });

  it('a user with room settings only is removed too', () => {
    const { db, rooms } = setup();
    rooms.set(ALICE, LIBERA, '#a', 'windows-1252');
    new SqliteIdentityStore(db, new SecretBox(randomBytes(32))).remove(ALICE);
    expect(count(db, 'users')).toBe(0);
    expect(count(db, 'room_settings')).toBe(0);
  });
});
