/**
 * Builders for the XEP-0045 stanzas the bridge sends: occupant presence, self-presence,
 * subject, groupchat messages and join errors.
 *
 * IRC channel membership prefixes map to MUC affiliation and role (XEP-0045 §5) as:
 *
 * | prefix | IRC meaning | affiliation | role        |
 * | ------ | ----------- | ----------- | ----------- |
 * | `~`    | owner       | owner       | moderator   |
 * | `&`    | admin       | admin       | moderator   |
 * | `@`    | operator    | admin       | moderator   |
 * | `%`    | half-op     | member      | moderator   |
 * | `+`    | voice       | member      | participant |
 * | none   |             | none        | participant |
 *
 * The highest prefix a user holds decides (multi-prefix gives all of them). Prefix
 * symbols a server defines beyond these fall back by rank: above `@` as admin, below as
 * member.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from './errors.js';
import { NS_DELAY, NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID, NS_STANZA_ID } from './namespaces.js';
import { cloneElement, element, errorElement, escapeAttribute, isPlainAttribute, serializeElement, withSerialization } from './stanza.js';
import { hasXmlIllegalChar } from './xml-safe.js';

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

const PREFIX_TABLE: Record<string, { affiliation: Affiliation; role: Role }> = {
  '~': { affiliation: 'owner', role: 'moderator' },
  '&': { affiliation: 'admin', role: 'moderator' },
  '@': { affiliation: 'admin', role: 'moderator' },
  '%': { affiliation: 'member', role: 'moderator' },
  '+': { affiliation: 'member', role: 'participant' },
};

/** Affiliation and role for a member whose prefix symbols are given highest first. */
export function mucStanding(prefixes: string): { affiliation: Affiliation; role: Role } {
  const top = prefixes[0];
  if (top === undefined) return { affiliation: 'none', role: 'participant' };
  return PREFIX_TABLE[top] ?? { affiliation: 'member', role: 'participant' };
}

/** XEP-0045 §10.2 status codes used by the bridge. */
export const STATUS = {
  NON_ANONYMOUS: 100,
  SELF: 110,
  NICK_ASSIGNED: 210,
  BANNED: 301,
  NEW_NICK: 303,
  KICKED: 307,
  SHUTDOWN: 332,
  ERROR_REMOVED: 333,
} as const;

export interface OccupantPresenceInput {
  from: string; // occupant JID
  to: string; // full JID of the joined resource
  affiliation: Affiliation;
  role: Role;
  statuses?: number[];
  /** For status 303: the new nick. */
  nick?: string;
  unavailable?: boolean;
  actor?: string;
  reason?: string;
  show?: 'away' | 'xa' | 'dnd' | 'chat';
  status?: string;
  /** XEP-0421 occupant id, when the room offers it. */
  occupantId?: string;
}

/** Occupant presence, XEP-0045 §7.2.3 (and §7.6 nick change, §8.2 kick). */
export function occupantPresence(p: OccupantPresenceInput): Element {
  const item = xml(
    'item',
    { affiliation: p.affiliation, role: p.unavailable ? 'none' : p.role, nick: p.nick },
    p.actor !== undefined ? xml('actor', { nick: p.actor }) : null,
    p.reason !== undefined ? xml('reason', {}, p.reason) : null,
  );
  return xml(
    'presence',
    { from: p.from, to: p.to, type: p.unavailable ? 'unavailable' : undefined },
    p.show ? xml('show', {}, p.show) : null,
    p.status !== undefined ? xml('status', {}, p.status) : null,
    xml('x', { xmlns: NS_MUC_USER }, item, ...(p.statuses ?? []).map((code) => xml('status', { code: String(code) }))),
    p.occupantId !== undefined ? xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: p.occupantId }) : null,
  );
}

/** Room subject, XEP-0045 §7.2.15: sent last on join; empty when the channel has no topic. */
export function subjectMessage(from: string, to: string, subject: string, id: string): Element {
  return xml('message', { from, to, type: 'groupchat', id }, xml('subject', {}, subject));
}

export interface GroupchatInput {
  from: string;
  to: string;
  id: string;
  body: string;
  /** XEP-0359 stanza-id assigned by the room. */
  stanzaId: string;
  roomJid: string;
  /** XEP-0203 delay for history; live messages carry none. */
  delay?: string;
  /** XEP-0421 occupant id of the sender, when the room offers it. */
  occupantId?: string;
  /**
   * The sender's own extension payloads, for a reflection (XEP-0045 §7.4: the room sends
   * the message as received): origin-id (XEP-0359), replies, OOB, markers… Copied per
   * recipient, after the body and before the room's stanza-id.
   */
  payload?: readonly Element[];
}

/** Built once per recipient of every channel line: with `element`, not `xml` (stanza.ts). */
export function groupchatMessage(m: GroupchatInput): Element {
  const children: Element[] = [element('body', {}, m.body === '' ? [] : [m.body])];
  if (m.payload) for (const p of m.payload) children.push(cloneElement(p));
  children.push(element('stanza-id', { xmlns: NS_STANZA_ID, id: m.stanzaId, by: m.roomJid }));
  if (m.occupantId !== undefined) children.push(element('occupant-id', { xmlns: NS_OCCUPANT_ID, id: m.occupantId }));
  if (m.delay) children.push(element('delay', { xmlns: NS_DELAY, from: m.roomJid, stamp: m.delay }));
  return element('message', { from: m.from, to: m.to, type: 'groupchat', id: m.id }, children);
}

/** Lines whose text `GroupchatTemplates` keeps: a socket read brings several lines, and a line's copies arrive reads apart. */
const MAX_TEMPLATES = 256;
/** Templates of one body (other senders, rooms, occupant ids or delays): rarely more than one. */
const MAX_VARIANTS = 8;
/** Where a template's per-copy values go: characters no IRC line or JID can hold. */
const SLOT = /\u0000([tis])\u0000/;

/** One line's text cut at `to`, `id` and the stanza-id, for the inputs it was made from. */
interface Template {
  readonly from: string;
  readonly roomJid: string;
  readonly occupantId: string | undefined;
  readonly delay: string | undefined;
  /** null when the text cannot be cut so: each copy is then serialised on its own. */
  readonly parts: readonly string[] | null;
  /** The parts hold no character `xmlSafe` replaces. */
  readonly safe: boolean;
}

/**
 * The text of the groupchat messages of one channel line, made once. Each gateway
 * connection in the channel receives the line and sends its user the same message but
 * for `to` and the ids; serialising every copy anew was a tenth of the fan-out's CPU
 * (issue 11 §2). The element is still built for each copy (it is what the core's tests
 * and the effect log read); only its text is shared.
 *
 * Found by body, then by the other inputs compared in place: the copies of a line share
 * their body string (irc-to-xmpp/text.ts), so the lookup hashes nothing new per copy; a
 * key joined from all the inputs cost more than the text it saved. A copy whose parts and
 * values hold nothing `xmlSafe` would replace is marked safe, and the link writes it
 * without scanning it again (stanza.ts `wireText`).
 */
export class GroupchatTemplates {
  readonly #byBody = new Map<string, Template[]>();

  message(m: GroupchatInput): Element {
    const el = groupchatMessage(m);
    if (m.payload) return el;
    const t = this.#template(m);
    if (t.parts === null) return el;
    copySafe = t.safe;
    const to = wireAttribute(m.to);
    const id = wireAttribute(m.id);
    const stanzaId = m.stanzaId === m.id ? id : wireAttribute(m.stanzaId);
    const parts = t.parts;
    return withSerialization(el, parts[0] + to + parts[1] + id + parts[2] + stanzaId + parts[3], copySafe);
  }

  #template(m: GroupchatInput): Template {
    let variants = this.#byBody.get(m.body);
    if (variants !== undefined) {
      for (const t of variants) {
        if (t.from === m.from && t.roomJid === m.roomJid && t.occupantId === m.occupantId && t.delay === m.delay) return t;
      }
    } else {
      if (this.#byBody.size >= MAX_TEMPLATES) this.#byBody.delete(this.#byBody.keys().next().value!);
      this.#byBody.set(m.body, (variants = []));
    }
    const parts = templateOf(m);
    const t: Template = { from: m.from, roomJid: m.roomJid, occupantId: m.occupantId, delay: m.delay, parts, safe: parts !== null && !parts.some(hasXmlIllegalChar) };
    if (variants.length >= MAX_VARIANTS) variants.shift();
    variants.push(t);
    return t;
  }
}

/** Cleared by `wireAttribute` when a value of the copy being written holds a character `xmlSafe` replaces. */
let copySafe = true;
/** An attribute value of a copy as `serializeElement` writes it. */
function wireAttribute(s: string): string {
  if (isPlainAttribute(s)) return s;
  if (hasXmlIllegalChar(s)) copySafe = false;
  return escapeAttribute(s);
}

/** The message's text cut at `to`, `id` and the stanza-id, in that order; null when it cannot be cut so. */
function templateOf(m: GroupchatInput): readonly string[] | null {
  const text = serializeElement(groupchatMessage({ ...m, to: '\u0000t\u0000', id: '\u0000i\u0000', stanzaId: '\u0000s\u0000' }));
  const cut = text.split(SLOT); // [text, slot, text, slot, text, slot, text]
  if (cut.length !== 7 || cut[1] !== 't' || cut[3] !== 'i' || cut[5] !== 's') return null;
  return [cut[0]!, cut[2]!, cut[4]!, cut[6]!];
}

/**
 * The children of a client's groupchat message a reflection keeps: everything but the
 * body (rebuilt), what the room itself stamps (stanza-id, occupant-id, delay: XEP-0359 §3
 * and XEP-0421 §4 have the room strip any a client sent) and MUC protocol payloads.
 */
export function reflectedPayload(message: Element): Element[] {
  return message.getChildElements().filter((c) => {
    const ns = c.attrs.xmlns;
    if (c.name === 'body' || c.name === 'subject') return false;
    if (ns === NS_STANZA_ID) return c.name === 'origin-id'; // the client's own id stays
    return ns !== NS_OCCUPANT_ID && ns !== NS_DELAY && ns !== NS_MUC_USER && ns !== NS_MUC;
  });
}

/** A join refused, XEP-0045 §7.2.6–§7.2.9: error presence echoing the MUC `<x/>`. */
export function joinErrorPresence(from: string, to: string, err: StanzaError): Element {
  return xml('presence', { from, to, type: 'error' }, xml('x', { xmlns: NS_MUC }), errorElement(err));
}
