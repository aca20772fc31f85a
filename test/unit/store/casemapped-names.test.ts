/**
 * Stored channel names fold by the network's CASEMAPPING once the bridge has learned it,
 * as the live sessions fold them (issue 7 §2): on an `ascii` network `#a[` and `#a{` are
 * two channels; on an rfc1459 one they are one. Rows are refolded, keys re-sealed.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { SqliteChannelStore } from '../../../src/store/channel-store.js';
import { SqliteRoomEncodingStore } from '../../../src/store/room-settings-store.js';
import { SecretBox } from '../../../src/store/secret-box.js';

const ALICE = 'alice@example.org';
const NET = 'irc.example.net';
const OTHER = 'irc.other.net';

function setup() {
  const { db } = openDatabase(':memory:');
  const box = new SecretBox(randomBytes(32));
  return { db, box, channels: new SqliteChannelStore(db, box), rooms: new SqliteRoomEncodingStore(db, { now: () => 1 }) };
}

describe('channel names folded by the network casemapping', () => {
  it('keeps two channels apart on an ascii network that rfc1459 would merge', () => {
    const { channels } = setup();
    channels.useCaseMapping(NET, 'ascii');
    channels.setPersistent({ user: ALICE, network: NET, channel: '#a[' }, true);
    channels.setPersistent({ user: ALICE, network: NET, channel: '#a{' }, true);
    expect(channels.count(ALICE)).toBe(2);
    expect(channels.isPersistent(ALICE, NET, '#A[')).toBe(true);
    // Another network still folds with rfc1459.
    channels.setPersistent({ user: ALICE, network: OTHER, channel: '#b[' }, true);
    expect(channels.isPersistent(ALICE, OTHER, '#b{')).toBe(true);
  });

  it('refolds stored rows when the mapping is learned, keeping the key usable', () => {
    const { channels, db } = setup();
    channels.setPersistent({ user: ALICE, network: NET, channel: '#Chan[1]', key: 'k3y' }, true);
    expect(db.prepare('SELECT channel_folded FROM persistent_channels').pluck().all()).toEqual(['#chan{1}']);
    channels.useCaseMapping(NET, 'ascii');
    expect(db.prepare('SELECT channel_folded FROM persistent_channels').pluck().all()).toEqual(['#chan[1]']);
    expect(channels.isPersistent(ALICE, NET, '#chan[1]')).toBe(true);
    expect(channels.isPersistent(ALICE, NET, '#chan{1}')).toBe(false);
    expect(channels.get(ALICE, NET, '#CHAN[1]')).toEqual({ user: ALICE, network: NET, channel: '#Chan[1]', key: 'k3y' });
    expect(channels.all()).toEqual([{ user: ALICE, network: NET, channel: '#Chan[1]', key: 'k3y' }]);
  });

  it('merges rows that a wider fold makes one channel, keeping one', () => {
    const { channels } = setup();
    channels.useCaseMapping(NET, 'ascii');
    channels.setPersistent({ user: ALICE, network: NET, channel: '#x[' }, true);
    channels.setPersistent({ user: ALICE, network: NET, channel: '#x{' }, true);
    channels.useCaseMapping(NET, 'rfc1459');
    expect(channels.count(ALICE)).toBe(1);
    expect(channels.isPersistent(ALICE, NET, '#X[')).toBe(true);
  });

  it('refolds room settings the same way', () => {
    const { rooms } = setup();
    rooms.set(ALICE, NET, '#Room[', 'windows-1252');
    rooms.useCaseMapping(NET, 'ascii');
    expect(rooms.get(ALICE, NET, '#room[')).toBe('windows-1252');
    expect(rooms.get(ALICE, NET, '#room{')).toBeUndefined();
  });
});
