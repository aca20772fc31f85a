import { describe, expect, it } from 'vitest';
import type { Archive } from '../../../../src/core/history/archive-port.js';
import {
  HISTORY_MAX_STANZAS,
  discussionHistory,
  historyMessage,
  parseHistoryRequest,
  selectHistory,
} from '../../../../src/core/history/on-join.js';
import { NET, ROOM, ROOM_JID, memoryArchive, parse } from './xml-helpers.js';

const T = Date.UTC(2026, 0, 10, 12);
const NOW = T + 3600_000;
const join = (history?: string) =>
  parse(`<presence from="u@x/phone" to="${ROOM_JID}/u"><x xmlns="http://jabber.org/protocol/muc">${history ?? ''}</x></presence>`);

/** 300 lines, one a minute back from NOW (l0 the oldest), a topic change among them; u was in all along. */
function archive(): Archive {
  const a = memoryArchive();
  a.openSpan('u@x', NET, '#chan', T - 10 * 3600_000);
  for (let i = 0; i < 300; i++) {
    a.record('u@x', { id: `l${i}`, serverId: true, network: NET, channel: '#chan', at: NOW - (300 - i) * 60_000, nick: 'bob', kind: 'privmsg', body: `line ${i}` });
  }
  a.record('u@x', { id: 'topic', serverId: true, network: NET, channel: '#chan', at: NOW - 30_000, nick: 'bob', kind: 'topic', body: 'new topic' });
  return a;
}

const target = (a: Archive, user = 'u@x') => ({ archive: a, user, to: 'u@x/phone', network: NET, channel: '#chan', room: ROOM, defaultCount: 20, now: NOW });
const ids = (els: ReturnType<typeof discussionHistory>) => els.map((e) => e.attrs.id);

describe('parseHistoryRequest (XEP-0045 §7.2.14)', () => {
  it.each([
    ['no <history/>', undefined, undefined],
    ['an empty <history/>', '<history/>', {}],
    ['maxstanzas', '<history maxstanzas="20"/>', { maxstanzas: 20 }],
    ['maxchars', '<history maxchars="65000"/>', { maxchars: 65000 }],
    ['seconds', '<history seconds="180"/>', { seconds: 180 }],
    ['since', '<history since="1970-01-01T00:00:00Z"/>', { since: 0 }],
    ['all four', '<history maxchars="1" maxstanzas="2" seconds="3" since="2026-01-10T12:00:00Z"/>', { maxchars: 1, maxstanzas: 2, seconds: 3, since: T }],
    ['malformed values, ignored', '<history maxchars="-1" maxstanzas="ten" seconds="1.5" since="yesterday"/>', {}],
  ])('%s', (_what, history, want) => {
    expect(parseHistoryRequest(join(history))).toEqual(want);
  });

  it('a presence without the MUC element asks nothing', () => {
    expect(parseHistoryRequest(parse('<presence><history maxstanzas="1"/></presence>'))).toBeUndefined();
  });
});

describe('discussionHistory', () => {
  it('sends the default count without <history/>, oldest first, without the topic change, each delayed from the room', () => {
    const out = discussionHistory(join(), target(archive()));
    expect(ids(out)).toEqual(Array.from({ length: 20 }, (_, i) => `l${280 + i}`));
    expect(out.at(-1)!.toString()).toBe(
      `<message from="${ROOM_JID}/bob" to="u@x/phone" type="groupchat" id="l299"><body>line 299</body>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="l299" by="${ROOM_JID}"/>` +
        `<delay xmlns="urn:xmpp:delay" from="${ROOM_JID}" stamp="2026-01-10T12:59:00.000Z"/></message>`,
    );
    expect(ids(discussionHistory(join('<history/>'), target(archive())))).toHaveLength(20);
    expect(ids(discussionHistory(join(), { ...target(archive()), defaultCount: 0 }))).toEqual([]);
  });

  it('maxstanzas limits the count; 0 sends none; more than the cap sends the cap', () => {
    const a = archive();
    expect(ids(discussionHistory(join('<history maxstanzas="3"/>'), target(a)))).toEqual(['l297', 'l298', 'l299']);
    expect(ids(discussionHistory(join('<history maxstanzas="0"/>'), target(a)))).toEqual([]);
    expect(ids(discussionHistory(join('<history maxstanzas="100000"/>'), target(a)))).toHaveLength(HISTORY_MAX_STANZAS);
  });

  it('seconds and since keep the lines from then on (inclusive); given alone, up to the cap', () => {
    const a = archive();
    expect(ids(discussionHistory(join('<history seconds="180"/>'), target(a)))).toEqual(['l297', 'l298', 'l299']);
    expect(ids(discussionHistory(join('<history since="2026-01-10T12:57:00Z"/>'), target(a)))).toEqual(['l297', 'l298', 'l299']);
    expect(ids(discussionHistory(join('<history since="2000-01-01T00:00:00Z"/>'), target(a)))).toHaveLength(HISTORY_MAX_STANZAS);
    expect(ids(discussionHistory(join('<history seconds="0"/>'), target(a)))).toEqual([]);
  });

  it('maxchars keeps the newest whole stanzas whose characters fit; 0 sends none', () => {
    const a = archive();
    const one = historyMessage('u@x/phone', ROOM, { id: 'l299', at: NOW - 60_000, nick: 'bob', kind: 'privmsg', body: 'line 299' }).toString().length;
    expect(ids(discussionHistory(join(`<history maxchars="${2 * one}"/>`), target(a)))).toEqual(['l298', 'l299']);
    expect(ids(discussionHistory(join(`<history maxchars="${2 * one - 1}"/>`), target(a)))).toEqual(['l299']);
    expect(ids(discussionHistory(join('<history maxchars="0"/>'), target(a)))).toEqual([]);
  });

  it('every attribute given applies: the smallest history that meets them all', () => {
    const a = archive();
    const h = (attrs: string) => ids(discussionHistory(join(`<history ${attrs}/>`), target(a)));
    expect(h('maxstanzas="10" seconds="180"')).toEqual(['l297', 'l298', 'l299']);
    expect(h('maxstanzas="2" seconds="180"')).toEqual(['l298', 'l299']);
    expect(h('seconds="600" since="2026-01-10T12:57:00Z"')).toEqual(['l297', 'l298', 'l299']);
    expect(h('maxstanzas="5" maxchars="1"')).toEqual([]);
  });

  it('sends only what the user may read: their spans, and nothing to a user who was never in', () => {
    const a = archive();
    a.openSpan('late@x', NET, '#chan', NOW - 2 * 60_000);
    expect(ids(discussionHistory(join(), target(a, 'late@x')))).toEqual(['l298', 'l299']);
    expect(selectHistory(undefined, target(a, 'stranger@x'))).toEqual([]);
  });
});
