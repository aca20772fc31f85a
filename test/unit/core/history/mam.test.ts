import { describe, expect, it } from 'vitest';
import { StanzaError } from '../../../../src/core/errors.js';
import type { Archive, ArchiveLine } from '../../../../src/core/history/archive-port.js';
import {
  MAM_DEFAULT_MAX,
  MAM_FEATURES,
  MAM_MAX_PAGE,
  answerMamIq,
  isMamIq,
  parseMamQuery,
} from '../../../../src/core/history/mam.js';
import { NET, ROOM, ROOM_JID, memoryArchive, parse } from './xml-helpers.js';

const T = Date.UTC(2026, 0, 10, 12);
const FORM = (fields: string) =>
  `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field>${fields}</x>`;
const field = (name: string, ...values: string[]) => `<field var="${name}">${values.map((v) => `<value>${v}</value>`).join('')}</field>`;
const RSM = (inner: string) => `<set xmlns="http://jabber.org/protocol/rsm">${inner}</set>`;
const query = (inner: string, attrs = '') => parse(`<query xmlns="urn:xmpp:mam:2"${attrs}>${inner}</query>`);
const iq = (type: 'get' | 'set', inner: string, id = 'q1') => parse(`<iq type="${type}" id="${id}" from="u@x/phone" to="${ROOM_JID}">${inner}</iq>`);

function refused(f: () => unknown): { condition: string; text: string | undefined } {
  try {
    f();
  } catch (err) {
    if (err instanceof StanzaError) return { condition: err.condition, text: err.text };
    throw err;
  }
  throw new Error('expected a StanzaError');
}

describe('isMamIq', () => {
  it.each([
    ['<iq type="set" id="a"><query xmlns="urn:xmpp:mam:2"/></iq>', true],
    ['<iq type="get" id="a"><query xmlns="urn:xmpp:mam:2"/></iq>', true],
    ['<iq type="get" id="a"><metadata xmlns="urn:xmpp:mam:2"/></iq>', true],
    ['<iq type="set" id="a"><metadata xmlns="urn:xmpp:mam:2"/></iq>', false],
    ['<iq type="set" id="a"><query xmlns="urn:xmpp:mam:1"/></iq>', false],
    ['<iq type="result" id="a"><query xmlns="urn:xmpp:mam:2"/></iq>', false],
    ['<iq type="get" id="a"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>', false],
    ['<message><query xmlns="urn:xmpp:mam:2"/></message>', false],
  ])('%s → %s', (text, want) => {
    expect(isMamIq(parse(text))).toBe(want);
  });

  it('the room advertises mam:2 and #extended (XEP-0313 §7)', () => {
    expect(MAM_FEATURES).toEqual(['urn:xmpp:mam:2', 'urn:xmpp:mam:2#extended']);
  });
});

describe('parseMamQuery', () => {
  it('an empty query: the first page of the default size', () => {
    expect(parseMamQuery(query(''), ROOM_JID)).toEqual({ query: { max: MAM_DEFAULT_MAX }, flip: false, matchesNothing: false });
    expect(MAM_DEFAULT_MAX).toBe(50);
    expect(MAM_MAX_PAGE).toBe(250);
  });

  it('reads every form field (XEP-0313 §4.1) and every RSM element (XEP-0059)', () => {
    const q = query(
      FORM(
        field('start', '2026-01-10T12:00:00Z') +
          field('end', '2026-01-10T14:30:00.250+02:00') +
          field('with', `${ROOM_JID}/Bob`) +
          field('before-id', 'b9') +
          field('after-id', 'a1') +
          field('ids', 'x', 'y'),
      ) +
        RSM('<max>10</max><after>p1</after><before>p2</before>') +
        '<flip-page/>',
      ' queryid="f27"',
    );
    expect(parseMamQuery(q, ROOM_JID)).toEqual({
      queryId: 'f27',
      query: {
        max: 10,
        start: T,
        end: Date.UTC(2026, 0, 10, 12, 30, 0, 250),
        nick: 'Bob',
        beforeId: 'b9',
        afterId: 'a1',
        ids: ['x', 'y'],
        after: 'p1',
        before: 'p2',
      },
      flip: true,
      matchesNothing: false,
    });
  });

  it.each([
    ['the occupant JID: that nick', `${ROOM_JID}/bob`, { nick: 'bob' }, false],
    ['a nick with a slash', `${ROOM_JID}/a/b`, { nick: 'a/b' }, false],
    ['the bare room JID: every line', ROOM_JID, {}, false],
    ['the room JID in another case', ROOM_JID.toUpperCase(), {}, false],
    ['another JID: no line', 'bob@example.org', {}, true],
    ['another room', `#other%${NET}@irc.gw/bob`, {}, true],
  ])('with = %s', (_what, jid, extra, nothing) => {
    const r = parseMamQuery(query(FORM(field('with', jid))), ROOM_JID);
    expect(r.query).toEqual({ max: 50, ...extra });
    expect(r.matchesNothing).toBe(nothing);
  });

  it('an empty <before/> asks for the last page (XEP-0059 §2.5); max 0 for the count only', () => {
    expect(parseMamQuery(query(RSM('<max>0</max><before/>')), ROOM_JID).query).toEqual({ max: 0, before: '' });
    expect(parseMamQuery(query(RSM(`<max>${MAM_MAX_PAGE}</max>`)), ROOM_JID).query).toEqual({ max: 250 });
  });

  it.each([
    ['a page over the cap', RSM('<max>251</max>'), 'policy-violation'],
    ['more ids than a page', FORM(field('ids', ...Array.from({ length: 251 }, (_, i) => `i${i}`))), 'policy-violation'],
    ['a max that is not a number', RSM('<max>ten</max>'), 'bad-request'],
    ['a negative max', RSM('<max>-1</max>'), 'bad-request'],
    ['an empty <after/>', RSM('<after/>'), 'bad-request'],
    ['paging by index (XEP-0059 §2.6)', RSM('<index>3</index>'), 'feature-not-implemented'],
    ['a field we do not know (XEP-0313 §4.1.5)', FORM(field('include-groupchat', 'true')), 'feature-not-implemented'],
    ['a start that is not a DateTime', FORM(field('start', 'yesterday')), 'bad-request'],
    ['a date that does not exist', FORM(field('end', '2026-02-30T00:00:00Z')), 'bad-request'],
    ['a field given twice', FORM(field('start', '2026-01-10T12:00:00Z') + field('start', '2026-01-10T12:00:00Z')), 'bad-request'],
    ['two values for a single field', FORM(field('after-id', 'a', 'b')), 'bad-request'],
    ['an empty before-id', FORM(field('before-id', '')), 'bad-request'],
    ['ids without a value', FORM(field('ids')), 'bad-request'],
    ['with that is not a JID', FORM(field('with', `${ROOM_JID}/`)), 'bad-request'],
    ['another FORM_TYPE', '<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:xmpp:mam:1</value></field></x>', 'bad-request'],
    ['a form that is not submitted', '<x xmlns="jabber:x:data" type="form"/>', 'bad-request'],
    ['a cancelled form', '<x xmlns="jabber:x:data" type="cancel"/>', 'bad-request'],
  ])('refuses %s', (_what, inner, condition) => {
    expect(refused(() => parseMamQuery(query(inner), ROOM_JID)).condition).toBe(condition);
  });

  it('accepts a form without FORM_TYPE', () => {
    const q = query('<x xmlns="jabber:x:data" type="submit"><field var="start"><value>2026-01-10T12:00:00Z</value></field></x>');
    expect(parseMamQuery(q, ROOM_JID).query).toEqual({ max: 50, start: T });
  });
});

describe('answerMamIq', () => {
  function withLines(): Archive {
    const archive = memoryArchive();
    archive.openSpan('u@x', NET, '#chan', T);
    const rec = (l: Partial<ArchiveLine> & { id: string; at: number }) =>
      archive.record('u@x', { serverId: true, network: NET, channel: '#chan', nick: 'bob', kind: 'privmsg', body: 'hi', ...l });
    rec({ id: 'm1', at: T + 1000, body: 'hi & <b>' });
    rec({ id: 'm2', at: T + 2000, nick: '', kind: 'topic', body: 'the topic' });
    rec({ id: 'm3', at: T + 3000, nick: 'carol', kind: 'action', body: '/me waves' });
    return archive;
  }
  const target = (archive: Archive, user = 'u@x') => ({ archive, user, network: NET, channel: '#Chan', room: ROOM });
  const strings = (els: ReturnType<typeof answerMamIq>) => els.map((e) => e.toString());

  it('sends one result message per line, then the iq result with fin (XEP-0313 §4.2, §6.1.2)', () => {
    const out = strings(answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2" queryid="f27">${RSM('<max>2</max>')}</query>`), target(withLines())));
    expect(out).toEqual([
      `<message from="${ROOM_JID}" to="u@x/phone"><result xmlns="urn:xmpp:mam:2" queryid="f27" id="m1"><forwarded xmlns="urn:xmpp:forward:0">` +
        `<delay xmlns="urn:xmpp:delay" stamp="2026-01-10T12:00:01.000Z"/>` +
        `<message xmlns="jabber:client" type="groupchat" from="${ROOM_JID}/bob" id="m1"><body>hi &amp; &lt;b&gt;</body>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="m1" by="${ROOM_JID}"/></message></forwarded></result></message>`,
      // a topic change is a subject message, from the room when the server set it
      `<message from="${ROOM_JID}" to="u@x/phone"><result xmlns="urn:xmpp:mam:2" queryid="f27" id="m2"><forwarded xmlns="urn:xmpp:forward:0">` +
        `<delay xmlns="urn:xmpp:delay" stamp="2026-01-10T12:00:02.000Z"/>` +
        `<message xmlns="jabber:client" type="groupchat" from="${ROOM_JID}" id="m2"><subject>the topic</subject>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="m2" by="${ROOM_JID}"/></message></forwarded></result></message>`,
      // not complete: m3 remains; no count, as it is not known without counting
      `<iq type="result" id="q1" from="${ROOM_JID}" to="u@x/phone"><fin xmlns="urn:xmpp:mam:2">` +
        `<set xmlns="http://jabber.org/protocol/rsm"><first>m1</first><last>m2</last></set></fin></iq>`,
    ]);
  });

  it('the last page, flipped: newest first, first/last still oldest/newest, complete with count when the whole set fits', () => {
    const out = answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${RSM('<before/>')}<flip-page/></query>`), target(withLines()));
    expect(out.slice(0, -1).map((m) => m.getChild('result')?.attrs.id)).toEqual(['m3', 'm2', 'm1']);
    expect(out[0]!.getChild('result')?.attrs.queryid).toBeUndefined();
    expect(out.at(-1)!.toString()).toBe(
      `<iq type="result" id="q1" from="${ROOM_JID}" to="u@x/phone"><fin xmlns="urn:xmpp:mam:2" complete="true">` +
        `<set xmlns="http://jabber.org/protocol/rsm"><first index="0">m1</first><last>m3</last><count>3</count></set></fin></iq>`,
    );
  });

  it('pages forward with <after/> and by with, the count only with max 0, and an empty set', () => {
    const archive = withLines();
    const ids = (inner: string) =>
      answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${inner}</query>`), target(archive))
        .slice(0, -1)
        .map((m) => m.getChild('result')?.attrs.id);
    expect(ids(RSM('<after>m1</after>'))).toEqual(['m2', 'm3']);
    expect(ids(FORM(field('with', `${ROOM_JID}/Carol`)))).toEqual(['m3']);
    expect(ids(FORM(field('after-id', 'm1') + field('before-id', 'm3')))).toEqual(['m2']);
    expect(ids(FORM(field('ids', 'm3', 'm1')))).toEqual(['m1', 'm3']);
    expect(ids(FORM(field('start', '2026-01-10T12:00:02Z') + field('end', '2026-01-10T12:00:02Z')))).toEqual(['m2']);
    const count = answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${RSM('<max>0</max>')}</query>`), target(archive));
    expect(count.map(String)).toEqual([
      `<iq type="result" id="q1" from="${ROOM_JID}" to="u@x/phone"><fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><count>3</count></set></fin></iq>`,
    ]);
    // a JID no line is from: an empty, complete page
    const none = answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${FORM(field('with', 'bob@example.org'))}</query>`), target(archive));
    expect(none.map(String)).toEqual([
      `<iq type="result" id="q1" from="${ROOM_JID}" to="u@x/phone"><fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><count>0</count></set></fin></iq>`,
    ]);
  });

  it('answers item-not-found for an unknown id and not-allowed for a user who was never in the room', () => {
    const archive = withLines();
    for (const inner of [RSM('<after>nope</after>'), RSM('<before>nope</before>'), FORM(field('ids', 'm1', 'nope')), FORM(field('after-id', 'nope'))]) {
      expect(refused(() => answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${inner}</query>`), target(archive)))).toEqual({
        condition: 'item-not-found',
        text: 'no archived message nope in #Chan',
      });
    }
    for (const inner of ['', FORM(field('with', 'bob@example.org'))]) {
      expect(refused(() => answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${inner}</query>`), target(archive, 'stranger@x'))).condition).toBe('not-allowed');
    }
    expect(refused(() => answerMamIq(iq('get', '<metadata xmlns="urn:xmpp:mam:2"/>'), target(archive, 'stranger@x'))).condition).toBe('not-allowed');
    expect(refused(() => answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${RSM('<max>1000</max>')}</query>`), target(archive))).condition).toBe('policy-violation');
  });

  it('answers policy-violation when a with filter would read too much of the archive', () => {
    // Only query() is reached on this path.
    const archive = { query: () => ({ kind: 'too-costly', scanned: 20_000 }) } as unknown as Archive;
    expect(refused(() => answerMamIq(iq('set', `<query xmlns="urn:xmpp:mam:2">${FORM(field('with', `${ROOM_JID}/nobody`))}</query>`), target(archive)))).toEqual({
      condition: 'policy-violation',
      text: 'no message of that nick in the 20000 read; narrow the query with start and end',
    });
  });

  it('answers the metadata query (XEP-0313 §5), empty when the user can read nothing', () => {
    const archive = withLines();
    expect(answerMamIq(iq('get', '<metadata xmlns="urn:xmpp:mam:2"/>', 'md'), target(archive)).map(String)).toEqual([
      `<iq type="result" id="md" from="${ROOM_JID}" to="u@x/phone"><metadata xmlns="urn:xmpp:mam:2">` +
        `<start id="m1" timestamp="2026-01-10T12:00:01.000Z"/><end id="m3" timestamp="2026-01-10T12:00:03.000Z"/></metadata></iq>`,
    ]);
    archive.openSpan('late@x', NET, '#chan', T + 10_000);
    expect(answerMamIq(iq('get', '<metadata xmlns="urn:xmpp:mam:2"/>', 'md'), target(archive, 'late@x')).map(String)).toEqual([
      `<iq type="result" id="md" from="${ROOM_JID}" to="u@x/phone"><metadata xmlns="urn:xmpp:mam:2"/></iq>`,
    ]);
  });

  it('answers the form request (XEP-0313 §4.1.5) to anybody', () => {
    expect(answerMamIq(iq('get', '<query xmlns="urn:xmpp:mam:2"/>', 'f'), target(memoryArchive(), 'stranger@x')).map(String)).toEqual([
      `<iq type="result" id="f" from="${ROOM_JID}" to="u@x/phone"><query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data" type="form">` +
        '<field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field>' +
        '<field var="with" type="jid-single"/><field var="start" type="text-single"/><field var="end" type="text-single"/>' +
        '<field var="before-id" type="text-single"/><field var="after-id" type="text-single"/>' +
        '<field var="ids" type="list-multi"><validate xmlns="http://jabber.org/protocol/xdata-validate" datatype="xs:string"><open/></validate></field>' +
        '</x></query></iq>',
    ]);
  });
});
