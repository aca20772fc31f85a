/**
 * Discussion history on join (XEP-0045 §7.2.14), from the archive (archive-port.ts).
 *
 * Why: a client that joins a room expects the recent conversation before the live one,
 * each message marked as delayed (XEP-0203) so it is not shown as new. The archive holds
 * it; this module decides how much, as the joining presence asks, and builds the stanzas.
 *
 * How the bridge calls it: when a resource's join is complete (self-presence sent), call
 * `discussionHistory(presence, target)` and send the stanzas it returns, then the subject
 * message (XEP-0045 §7.2.15: the subject comes last; clients take it as the end of the
 * history). Only for the resource that joined, and only when history is enabled.
 *
 * Rules kept (XEP-0045 §7.2.14):
 * - `<history/>` in the join presence's `<x xmlns=muc/>` may carry `maxchars`,
 *   `maxstanzas`, `seconds` and `since`; all that are given apply together ("the smallest
 *   amount of traffic that meets any combination"). Without `<history/>`, or with one that
 *   carries none of them, the default count (config `history.on_join`) applies.
 * - `maxstanzas='0'` or `maxchars='0'` sends nothing. `maxchars` counts the characters of
 *   the complete stanzas as sent; only whole stanzas are sent, the newest that fit.
 * - An attribute with a malformed value (not a non-negative integer, not a XEP-0082
 *   DateTime) is ignored, as if absent: the join must not fail over its history.
 * - At most HISTORY_MAX_STANZAS messages, whatever is asked.
 * - The user sees only what the archive lets them read (their spans, their STATUSMSG
 *   lines); topic changes are left out: a `<subject/>` in the history would end it early.
 * - Each message is the groupchat message as it was live (same body, same XEP-0359
 *   stanza-id, from the occupant) with `<delay xmlns=urn:xmpp:delay from=room stamp/>`
 *   (XEP-0203 §4; XEP-0045 §7.2.14: `from` is the room JID).
 */
import type { Element } from '@xmpp/xml';
import { groupchatMessage } from '../muc-stanzas.js';
import { NS_MUC } from '../namespaces.js';
import type { Archive, ArchivedLine } from './archive-port.js';
import { formatDateTime, parseDateTime } from './datetime.js';
import type { MamRoom } from './mam.js';

/** The most messages history on join sends, whatever the client asks. */
export const HISTORY_MAX_STANZAS = 250;

/** What a join presence asks for (XEP-0045 §7.2.14); every field optional. */
export interface HistoryRequest {
  readonly maxchars?: number;
  readonly maxstanzas?: number;
  readonly seconds?: number;
  /** ms since the epoch. */
  readonly since?: number;
}

export interface HistoryTarget {
  readonly archive: Archive;
  /** The joining user's bare JID. */
  readonly user: string;
  /** The full JID of the resource that joined: the history goes to it only. */
  readonly to: string;
  readonly network: string;
  readonly channel: string;
  readonly room: MamRoom;
  /** Messages sent when the client asks for no particular amount (config `history.on_join`). */
  readonly defaultCount: number;
  /** ms since the epoch, for `seconds`. */
  readonly now: number;
}

/** A join without `<history/>` (or with one that carries no limit): the default count applies. */
export const NO_HISTORY_REQUEST: HistoryRequest = Object.freeze({});

/** The `<history/>` request of a join presence; undefined when it has none. */
export function parseHistoryRequest(presence: Element): HistoryRequest | undefined {
  const history = presence.getChild('x', NS_MUC)?.getChild('history');
  if (history === undefined) return undefined;
  const count = (name: string): number | undefined => {
    const v = history.attrs[name];
    return v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined;
  };
  const since = history.attrs.since === undefined ? undefined : parseDateTime(history.attrs.since);
  const req: { -readonly [K in keyof HistoryRequest]: HistoryRequest[K] } = {};
  const maxchars = count('maxchars');
  const maxstanzas = count('maxstanzas');
  const seconds = count('seconds');
  if (maxchars !== undefined) req.maxchars = maxchars;
  if (maxstanzas !== undefined) req.maxstanzas = maxstanzas;
  if (seconds !== undefined) req.seconds = seconds;
  if (since !== undefined) req.since = since;
  return req;
}

/** The lines to send, oldest first, before the `maxchars` cut (which needs the stanzas). */
export function selectHistory(req: HistoryRequest | undefined, t: HistoryTarget): ArchivedLine[] {
  const given = req !== undefined && Object.keys(req).length > 0;
  let max = req?.maxstanzas ?? (given ? HISTORY_MAX_STANZAS : t.defaultCount);
  max = Math.min(max, HISTORY_MAX_STANZAS);
  if (max === 0 || req?.maxchars === 0) return [];
  const starts = [req?.since, req?.seconds === undefined ? undefined : t.now - req.seconds * 1000].filter((s): s is number => s !== undefined);
  const result = t.archive.query(t.user, t.network, t.channel, {
    max,
    before: '',
    textOnly: true,
    ...(starts.length > 0 ? { start: Math.max(...starts) } : {}),
  });
  return result.kind === 'page' ? [...result.page.lines] : [];
}

/** A history message (XEP-0045 §7.2.14 example): the live message plus the room's delay. */
export function historyMessage(to: string, room: MamRoom, line: ArchivedLine): Element {
  return groupchatMessage({
    from: room.occupantJid(line.nick),
    to,
    id: line.id,
    body: line.body,
    stanzaId: line.id,
    roomJid: room.jid,
    delay: formatDateTime(line.at),
  });
}

/** The history a join presence asks for, as stanzas to send before the subject. */
export function discussionHistory(presence: Element, t: HistoryTarget): Element[] {
  return historyStanzas(parseHistoryRequest(presence), t);
}

/**
 * The history a parsed request asks for (`parseHistoryRequest`; undefined or
 * `NO_HISTORY_REQUEST` when the join carried no `<history/>`: the default count).
 */
export function historyStanzas(req: HistoryRequest | undefined, t: HistoryTarget): Element[] {
  const stanzas = selectHistory(req, t).map((line) => historyMessage(t.to, t.room, line));
  if (req?.maxchars === undefined) return stanzas;
  // The newest whole stanzas whose characters add up to at most maxchars.
  let chars = 0;
  let from = stanzas.length;
  while (from > 0) {
    const size = stanzas[from - 1]!.toString().length;
    if (chars + size > req.maxchars) break;
    chars += size;
    from--;
  }
  return stanzas.slice(from);
}
