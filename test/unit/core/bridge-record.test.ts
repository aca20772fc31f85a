/**
 * A user who keeps a channel joined but turned its recording off (the `room` command's
 * `record`, issue 10 §5): nothing said there is archived through their connection and
 * they get no span, so they read none of it; another user's recording is untouched. The
 * setting is read when the channel opens and again when the room settings change.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { SqliteArchiveStore } from '../../../src/store/archive-store.js';
import { openDatabase } from '../../../src/store/database.js';
import { SqliteRoomEncodingStore } from '../../../src/store/room-settings-store.js';
import { IRC_SERVER, NET, Scenario, errorCondition, stanzasTo, user, type User } from './bridge-harness.js';

const alice = user('alice');
const bob = user('bob');
const NS_MAM = 'urn:xmpp:mam:2';

function setup(): { s: Scenario; archive: SqliteArchiveStore; rooms: SqliteRoomEncodingStore; lines: () => unknown[] } {
  const db = openDatabase(':memory:').db;
  const archive = new SqliteArchiveStore(db, { retentionDays: 30, maxPerChannel: 100_000, writer: 'inline' });
  const rooms = new SqliteRoomEncodingStore(db, { now: () => 1 });
  const lines = (): unknown[] => db.prepare('SELECT body FROM archive_lines ORDER BY seq').pluck().all();
  return { s: new Scenario({ archive, roomEncodings: rooms }), archive, rooms, lines };
}

function joinChan(s: Scenario, u: User): void {
  const out = s.join(u, '#chan');
  if (out.some((e) => e.kind === 'irc-connect')) s.register(u);
  s.ircOn(u, NET, `:${u.local}!${u.local}@h JOIN #chan`, `:${IRC_SERVER} 353 ${u.local} = #chan :${u.local} carol`, `:${IRC_SERVER} 366 ${u.local} #chan :End`);
}

function carolSays(s: Scenario, who: User[], text: string): void {
  for (const u of who) s.irc(u, `:carol!c@h PRIVMSG #chan :${text}`);
}

function mam(s: Scenario, u: User): Element[] {
  return stanzasTo(s.stanza(xml('iq', { from: u.full, to: s.room('#chan'), type: 'set', id: 'm' }, xml('query', { xmlns: NS_MAM }))), u.full);
}

const bodies = (out: Element[]): string[] =>
  out.filter((m) => m.name === 'message').map((m) => m.getChild('result', NS_MAM)!.getChild('forwarded')!.getChild('message')!.getChildText('body') ?? '');

describe('a room the user does not record', () => {
  it('archives nothing through their connection and opens no span for them; another user records as before', () => {
    const { s, archive, rooms, lines } = setup();
    rooms.setRecording(alice.bare, NET, '#Chan', false);
    joinChan(s, alice);
    carolSays(s, [alice], 'only alice hears this');
    joinChan(s, bob);
    carolSays(s, [alice, bob], 'both hear this');
    archive.flush();
    expect(lines()).toEqual(['both hear this']); // archived once, through Bob's connection
    expect(errorCondition(mam(s, alice)[0]!)).toBe('not-allowed'); // no span: nothing to read
    expect(bodies(mam(s, bob))).toEqual(['both hear this']);
  });

  it('turned off while joined: lines stop being archived through their connection once the bridge is told', () => {
    const { s, archive, rooms } = setup();
    joinChan(s, alice);
    carolSays(s, [alice], 'recorded');
    rooms.setRecording(alice.bare, NET, '#chan', false);
    s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#chan' });
    carolSays(s, [alice], 'not recorded');
    archive.flush();
    expect(bodies(mam(s, alice))).toEqual(['recorded']);
  });

  it('turned off while joined, the span ends then: what another user’s connection records later stays unreadable to them', () => {
    const { s, archive, rooms } = setup();
    joinChan(s, alice);
    joinChan(s, bob);
    carolSays(s, [alice, bob], 'before');
    rooms.setRecording(alice.bare, NET, '#chan', false);
    s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#chan' });
    // Said later than the change (the harness clock stands still; the server's time moves on).
    s.irc(bob, `@time=${new Date(1_700_000_010_000).toISOString()} :carol!c@h PRIVMSG #chan :after`);
    archive.flush();
    expect(bodies(mam(s, alice))).toEqual(['before']);
    expect(bodies(mam(s, bob))).toEqual(['before', 'after']);
  });

  it('turned on again while joined, recording resumes at once', () => {
    const { s, rooms } = setup();
    rooms.setRecording(alice.bare, NET, '#chan', false);
    joinChan(s, alice);
    rooms.setRecording(alice.bare, NET, '#chan', true);
    s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#chan' });
    carolSays(s, [alice], 'recorded now');
    expect(bodies(mam(s, alice))).toEqual(['recorded now']);
  });

  it('turned on again, the next join records', () => {
    const { s, rooms } = setup();
    rooms.setRecording(alice.bare, NET, '#chan', false);
    joinChan(s, alice);
    s.leave(alice, '#chan');
    rooms.setRecording(alice.bare, NET, '#chan', true);
    s.bridge.onAction({ kind: 'room-settings', user: alice.bare as never, network: NET, channel: '#chan' });
    joinChan(s, alice);
    carolSays(s, [alice], 'recorded again');
    expect(bodies(mam(s, alice))).toEqual(['recorded again']);
  });
});
