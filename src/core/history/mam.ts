/**
 * XEP-0313 Message Archive Management on a room: parse the query, ask the archive
 * (archive-port.ts), build the result messages and the closing `<fin/>`.
 *
 * Why a module: MAM is a protocol of its own (forms, RSM paging, metadata, errors) that the
 * bridge only routes to; keeping it pure lets it be tested as XML in, XML out.
 *
 * How the bridge calls it: an iq to a room JID for which `isMamIq(iq)` is true goes to
 * `answerMamIq(iq, target)`, which returns the stanzas to send in order (result messages,
 * then the iq result) or throws a `StanzaError` for the one error boundary to answer. The
 * room's disco#info lists `MAM_FEATURES` (XEP-0313 §7). A user may query a room they are
 * not in now (clients query before joining); the archive decides what they may read.
 *
 * Rules kept:
 * - iq get `<query/>` → the form of supported fields (§4.1.5); iq set `<query/>` → a
 *   search (§4); iq get `<metadata/>` → the oldest and newest readable line (§5).
 * - Form fields (§4.1, all optional): `start`, `end` (XEP-0082 DateTime, inclusive),
 *   `with`, `before-id`, `after-id`, `ids` (§4.1.3, the #extended fields; at most
 *   MAM_MAX_PAGE ids, more is `policy-violation`). The FORM_TYPE,
 *   when given, must be urn:xmpp:mam:2. A field we do not know is `feature-not-implemented`
 *   (§4.1.5); a malformed value is `bad-request`.
 * - `with` (§4.1.1): the occupant JID `room/nick` selects that nick's lines (compared under
 *   the network's CASEMAPPING by the archive); the bare room JID matches every line (every
 *   line is from the room); any other JID matches none (IRC shows no real JIDs).
 * - RSM (XEP-0059): `max` (default MAM_DEFAULT_MAX; above MAM_MAX_PAGE is
 *   `policy-violation`, as issue 10 asks, rather than a silently shorter page), `after`,
 *   `before` (empty = the last page, §4.3.3), both together = the last page between them
 *   (XEP-0313 §4.3.2 leaves that undefined; this reading is the useful one); `index` is
 *   `feature-not-implemented` (XEP-0059 §2.6 allows it: a random jump would need OFFSET);
 *   `<flip-page/>` (§4.3.4) reverses the order of the result messages only: `first` is
 *   still the oldest line of the page and `last` the newest.
 * - Errors: an id the archive does not hold, or that this user cannot read, is
 *   `item-not-found` (§4.1.3, §4.3.2: the two are not told apart, so ids of lines a user
 *   could not see do not leak); a user without a span in the room is `not-allowed`
 *   (issue 10; XEP-0313 §8.1 suggests `forbidden`); a `with` that reads as much of the
 *   archive as the store allows (WITH_SCAN_LIMIT) without finding a line of that nick is
 *   `policy-violation`, saying to narrow the query with start and end.
 * - Results (§4.2, §6.1.2): one `<message from=room to=requester>` per line with
 *   `<result queryid id>` → `<forwarded>` → `<delay stamp/>` and the archived
 *   `<message type=groupchat from=room/nick>` in jabber:client with no `to`, carrying
 *   `<body/>` (or `<subject/>` for a topic change) and its XEP-0359 `<stanza-id/>`. Then the
 *   iq result `<fin complete?>` with `<set>`: `first` (with `index` when known), `last`,
 *   `count` when the archive knows it (archive-port.ts ArchivePage).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../errors.js';
import { InvalidFieldError, formField, singleValue, submittedFields } from '../data-form.js';
import { NS_DATA, NS_DELAY, NS_RSM, NS_STANZA_ID } from '../namespaces.js';
import { iqResult } from '../stanza.js';
import type { Archive, ArchiveBounds, ArchivedLine, ArchivePage, ArchiveQuery } from './archive-port.js';
import { formatDateTime, parseDateTime } from './datetime.js';
import { NS_CLIENT, NS_FORWARD, NS_MAM, NS_MAM_EXTENDED, NS_XDATA_VALIDATE } from './namespaces.js';

/** Page size when the query gives no RSM `max`. */
export const MAM_DEFAULT_MAX = 50;
/** The largest page served; a larger `max` is `policy-violation`. */
export const MAM_MAX_PAGE = 250;
/** disco#info features of a room with an archive (XEP-0313 §7). */
export const MAM_FEATURES: readonly string[] = [NS_MAM, NS_MAM_EXTENDED];

const FIELDS = new Set(['start', 'end', 'with', 'before-id', 'after-id', 'ids']);

/** The room as MAM addresses it. */
export interface MamRoom {
  /** The room's bare JID: where the archive lives (§3.3.2) and whom results come from. */
  readonly jid: string;
  /** The occupant JID of a nick (`room/nick`); the room JID itself for '' (the server). */
  occupantJid(nick: string): string;
}

/** A parsed search (iq set). */
export interface MamRequest {
  readonly queryId?: string;
  readonly query: ArchiveQuery;
  readonly flip: boolean;
  /** `with` named a JID no line can be from: the answer is an empty, complete page. */
  readonly matchesNothing: boolean;
}

/** What the bridge knows of the request's target. */
export interface MamTarget {
  readonly archive: Archive;
  /** The requester's bare JID. */
  readonly user: string;
  readonly network: string;
  /** The channel as IRC spells it. */
  readonly channel: string;
  readonly room: MamRoom;
}

/** Whether the iq is a MAM request for `answerMamIq`. */
export function isMamIq(iq: Element): boolean {
  if (iq.name !== 'iq') return false;
  const type = iq.attrs.type;
  if (type !== 'get' && type !== 'set') return false;
  return iq.getChild('query', NS_MAM) !== undefined || (type === 'get' && iq.getChild('metadata', NS_MAM) !== undefined);
}

/** Answers a MAM iq: the stanzas to send, in order. Throws StanzaError. */
export function answerMamIq(iq: Element, t: MamTarget): Element[] {
  const query = iq.getChild('query', NS_MAM);
  if (iq.attrs.type === 'get') {
    if (query !== undefined) return [iqResult(iq, mamQueryForm())];
    if (!t.archive.hasSpan(t.user, t.network, t.channel)) throw notAllowed(t);
    return [iqResult(iq, metadataElement(t.archive.metadata(t.user, t.network, t.channel)))];
  }
  if (query === undefined) throw new StanzaError('bad-request', 'a MAM request carries <query xmlns="urn:xmpp:mam:2"/>');
  const req = parseMamQuery(query, t.room.jid);
  let page: ArchivePage;
  if (req.matchesNothing) {
    if (!t.archive.hasSpan(t.user, t.network, t.channel)) throw notAllowed(t);
    page = { lines: [], complete: true, count: 0 };
  } else {
    const result = t.archive.query(t.user, t.network, t.channel, req.query);
    if (result.kind === 'no-span') throw notAllowed(t);
    if (result.kind === 'unknown-id') throw new StanzaError('item-not-found', `no archived message ${result.id} in ${t.channel}`);
    if (result.kind === 'too-costly') {
      throw new StanzaError('policy-violation', `no message of that nick in the ${result.scanned} read; narrow the query with start and end`);
    }
    page = result.page;
  }
  const to = iq.attrs.from;
  if (to === undefined) throw new StanzaError('bad-request', 'the request has no from');
  return [...mamResultMessages(to, t.room, req.queryId, page.lines, req.flip), iqResult(iq, finElement(page))];
}

function notAllowed(t: MamTarget): StanzaError {
  return new StanzaError('not-allowed', `you have not been in ${t.channel} through this gateway`);
}

/** Parses a `<query xmlns=urn:xmpp:mam:2>` search (§4.1, §4.3). Throws StanzaError. */
export function parseMamQuery(query: Element, roomJid: string): MamRequest {
  const q: { -readonly [K in keyof ArchiveQuery]: ArchiveQuery[K] } = { max: MAM_DEFAULT_MAX };
  let matchesNothing = false;
  const form = query.getChild('x', NS_DATA);
  if (form !== undefined) {
    let fields: Map<string, string[]> | undefined;
    try {
      fields = submittedFields(form, NS_MAM);
      if (fields === undefined) throw new StanzaError('bad-request', 'a MAM query form must be of type submit');
      for (const name of fields.keys()) {
        if (!FIELDS.has(name)) throw new StanzaError('feature-not-implemented', `the MAM field ${name} is not supported`);
      }
      const start = singleValue(fields, 'start');
      const end = singleValue(fields, 'end');
      if (start !== undefined) q.start = dateTime('start', start);
      if (end !== undefined) q.end = dateTime('end', end);
      const withJid = singleValue(fields, 'with');
      if (withJid !== undefined) {
        const w = parseWith(withJid, roomJid);
        if (w === 'nothing') matchesNothing = true;
        else if (w !== 'all') q.nick = w.nick;
      }
      const beforeId = singleValue(fields, 'before-id');
      const afterId = singleValue(fields, 'after-id');
      if (beforeId !== undefined) q.beforeId = nonEmpty('before-id', beforeId);
      if (afterId !== undefined) q.afterId = nonEmpty('after-id', afterId);
      const ids = fields.get('ids');
      if (ids !== undefined) {
        if (ids.length === 0) throw new InvalidFieldError('ids', 'needs at least one value');
        if (ids.length > MAM_MAX_PAGE) throw new StanzaError('policy-violation', `at most ${MAM_MAX_PAGE} ids per query`);
        q.ids = ids.map((id) => nonEmpty('ids', id));
      }
    } catch (err) {
      if (err instanceof InvalidFieldError) throw new StanzaError('bad-request', err.message);
      throw err;
    }
  }
  const set = query.getChild('set', NS_RSM);
  if (set !== undefined) {
    if (set.getChild('index') !== undefined) {
      throw new StanzaError('feature-not-implemented', 'paging by <index/> is not supported; page with <after/> or <before/>');
    }
    const max = set.getChild('max');
    if (max !== undefined) {
      const text = max.text().trim();
      if (!/^\d{1,9}$/.test(text)) throw new StanzaError('bad-request', `RSM <max/> must be a non-negative integer, not "${text}"`);
      q.max = Number(text);
      if (q.max > MAM_MAX_PAGE) throw new StanzaError('policy-violation', `at most ${MAM_MAX_PAGE} messages per page`);
    }
    const after = set.getChild('after');
    if (after !== undefined) q.after = nonEmptyRsm('after', after.text());
    const before = set.getChild('before');
    if (before !== undefined) q.before = before.text(); // '' = the last page (XEP-0059 §2.5)
  }
  const queryId = query.attrs.queryid;
  return {
    ...(queryId !== undefined ? { queryId } : {}),
    query: q,
    flip: query.getChild('flip-page', NS_MAM) !== undefined,
    matchesNothing,
  };
}

function dateTime(field: string, value: string): number {
  const ms = parseDateTime(value);
  if (ms === undefined) throw new InvalidFieldError(field, `must be a XEP-0082 DateTime such as 2026-01-31T12:00:00Z, not "${value}"`);
  return ms;
}

function nonEmpty(field: string, value: string): string {
  if (value === '') throw new InvalidFieldError(field, 'must not be empty');
  return value;
}

function nonEmptyRsm(name: string, value: string): string {
  if (value === '') throw new StanzaError('bad-request', `RSM <${name}/> must hold an id`);
  return value;
}

/** `with` (§4.1.1) against the room: a nick, every line, or none. */
function parseWith(jid: string, roomJid: string): { nick: string } | 'all' | 'nothing' {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  if (bare === '' || /[\s]/.test(bare) || (slash !== -1 && slash === jid.length - 1)) {
    throw new InvalidFieldError('with', `is not a JID: "${jid}"`);
  }
  if (bare.toLowerCase() !== roomJid.toLowerCase()) return 'nothing';
  return slash === -1 ? 'all' : { nick: jid.slice(slash + 1) };
}

/** The result messages of a page (§4.2), in chronological order or, flipped, newest first. */
export function mamResultMessages(
  to: string,
  room: MamRoom,
  queryId: string | undefined,
  lines: readonly ArchivedLine[],
  flip = false,
): Element[] {
  const ordered = flip ? [...lines].reverse() : lines;
  return ordered.map((line) =>
    xml(
      'message',
      { from: room.jid, to },
      xml(
        'result',
        { xmlns: NS_MAM, queryid: queryId, id: line.id },
        xml('forwarded', { xmlns: NS_FORWARD }, xml('delay', { xmlns: NS_DELAY, stamp: formatDateTime(line.at) }), archivedMessage(room, line)),
      ),
    ),
  );
}

/** The archived line as the groupchat message it was (§6.1.2: no `to`, from the occupant). */
export function archivedMessage(room: MamRoom, line: ArchivedLine): Element {
  return xml(
    'message',
    { xmlns: NS_CLIENT, type: 'groupchat', from: room.occupantJid(line.nick), id: line.id },
    line.kind === 'topic' ? xml('subject', {}, line.body) : xml('body', {}, line.body),
    xml('stanza-id', { xmlns: NS_STANZA_ID, id: line.id, by: room.jid }),
  );
}

/** `<fin/>` closing a page (§4.3.2, XEP-0059 §2.1). */
export function finElement(page: ArchivePage): Element {
  const first = page.lines[0];
  const last = page.lines.at(-1);
  return xml(
    'fin',
    { xmlns: NS_MAM, complete: page.complete ? 'true' : undefined },
    xml(
      'set',
      { xmlns: NS_RSM },
      first !== undefined ? xml('first', { index: page.firstIndex !== undefined ? String(page.firstIndex) : undefined }, first.id) : null,
      last !== undefined ? xml('last', {}, last.id) : null,
      page.count !== undefined ? xml('count', {}, String(page.count)) : null,
    ),
  );
}

/** `<metadata/>` (§5): the first and last readable line; empty when there is none. */
export function metadataElement(bounds: ArchiveBounds | undefined): Element {
  return xml(
    'metadata',
    { xmlns: NS_MAM },
    bounds !== undefined ? xml('start', { id: bounds.oldest.id, timestamp: formatDateTime(bounds.oldest.at) }) : null,
    bounds !== undefined ? xml('end', { id: bounds.newest.id, timestamp: formatDateTime(bounds.newest.at) }) : null,
  );
}

/** The form of supported fields (§4.1.5), with `ids` open to any value (XEP-0122). */
export function mamQueryForm(): Element {
  const ids = formField({ var: 'ids', type: 'list-multi' });
  ids.append(xml('validate', { xmlns: NS_XDATA_VALIDATE, datatype: 'xs:string' }, xml('open')));
  return xml(
    'query',
    { xmlns: NS_MAM },
    xml(
      'x',
      { xmlns: NS_DATA, type: 'form' },
      formField({ var: 'FORM_TYPE', type: 'hidden', values: [NS_MAM] }),
      formField({ var: 'with', type: 'jid-single' }),
      formField({ var: 'start', type: 'text-single' }),
      formField({ var: 'end', type: 'text-single' }),
      formField({ var: 'before-id', type: 'text-single' }),
      formField({ var: 'after-id', type: 'text-single' }),
      ids,
    ),
  );
}
