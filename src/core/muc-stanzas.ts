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
import { BoundedCache } from './bounded-cache.js';
import { StanzaError } from './errors.js';
import { NS_DELAY, NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID, NS_STANZA_ID } from './namespaces.js';
import { cloneElement, element, errorElement, escapeAttribute, escapeText, isPlainAttribute, isPlainText, serializeElement, withSerialization } from './stanza.js';
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

/** A text child as `xml` adds one: none for the empty string. */
function textOf(text: string): string[] {
  return text === '' ? [] : [text];
}

/**
 * Occupant presence, XEP-0045 §7.2.3 (and §7.6 nick change, §8.2 kick). Built with
 * `element`, not `xml` (stanza.ts): a join burst builds one per occupant for every joining
 * resource, and `xml`'s per-call arrays (rest children, `Object.entries` pairs, rewritten
 * values) were most of the garbage of a 5,000-join burst (issue 11 §3). Same elements,
 * same attribute and child order, so the same text on the wire.
 */
export function occupantPresence(p: OccupantPresenceInput): Element {
  const itemAttrs: Record<string, string> = { affiliation: p.affiliation, role: p.unavailable ? 'none' : p.role };
  if (p.nick !== undefined) itemAttrs.nick = p.nick;
  const itemChildren: Element[] = [];
  if (p.actor !== undefined) itemChildren.push(element('actor', { nick: p.actor }));
  if (p.reason !== undefined) itemChildren.push(element('reason', {}, textOf(p.reason)));
  const x: Element[] = [element('item', itemAttrs, itemChildren)];
  if (p.statuses) for (const code of p.statuses) x.push(element('status', { code: String(code) }));
  const attrs: Record<string, string> = { from: p.from, to: p.to };
  if (p.unavailable) attrs.type = 'unavailable';
  const children: Element[] = [];
  if (p.show) children.push(element('show', {}, [p.show]));
  if (p.status !== undefined) children.push(element('status', {}, textOf(p.status)));
  children.push(element('x', { xmlns: NS_MUC_USER }, x));
  if (p.occupantId !== undefined) children.push(element('occupant-id', { xmlns: NS_OCCUPANT_ID, id: p.occupantId }));
  return element('presence', attrs, children);
}

/** Room subject, XEP-0045 §7.2.15: sent last on join; empty when the channel has no topic. */
export function subjectMessage(from: string, to: string, subject: string, id: string): Element {
  return element('message', { from, to, type: 'groupchat', id }, [element('subject', {}, textOf(subject))]);
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
const SLOT = /\u0000([tibs])\u0000/;

/** A message's text cut at its per-copy values, for the inputs it was made from. */
interface Template {
  readonly from: string;
  readonly roomJid: string;
  readonly occupantId: string | undefined;
  readonly delay: string | undefined;
  /** null when the text cannot be cut so: each copy is then serialised on its own. */
  readonly parts: readonly string[] | null;
  /** The parts hold no character `xmlSafe` replaces. */
  readonly safe: boolean;
  /** The id last written with it, as written, and whether that was safe (`lineId`). */
  id: string | undefined;
  idText: string;
  idSafe: boolean;
  /** A reflection's text up to its id, for the last few recipients (`recipientHead`). */
  heads?: Array<{ readonly to: string; readonly text: string; readonly safe: boolean }>;
}

/**
 * The text of the groupchat messages the bridge sends most, made once per shape and cut
 * where the copies differ (issue 11 §2). An element is still made for each copy (it is
 * what the core's tests and the effect log read), its children only when read
 * (`LazyGroupchat`); its text is shared.
 *
 * - `message`: a channel line. Each gateway connection in the channel receives the line
 *   and sends its user the same message but for `to` and the ids; serialising every copy
 *   anew was a tenth of the fan-out's CPU. Found by body, then by the other inputs
 *   compared in place: the copies of a line share their body string
 *   (irc-to-xmpp/text.ts), so the lookup hashes nothing new per copy; a key joined from
 *   all the inputs cost more than the text it saved.
 * - `ownMessage`: the reflection of a user's own message (reflection.ts). Every message
 *   has a new body but comes from the same occupant into the same room: cut at the body
 *   too, found by the sender.
 *
 * A copy whose parts and values hold nothing `xmlSafe` would replace is marked safe, and
 * the link writes it without scanning it again (stanza.ts `wireText`). Messages with
 * payloads, and reflections of an empty body, are serialised on their own.
 */
export class GroupchatTemplates {
  readonly #byBody = new Map<string, Template[]>();
  readonly #bySender = new Map<string, Template[]>();

  message(m: GroupchatInput): Element {
    if (m.payload && m.payload.length > 0) return groupchatMessage(m);
    const t = findTemplate(this.#byBody, m.body, m, false);
    const parts = t.parts;
    if (parts === null) return groupchatMessage(m);
    const to = wireRecipient(m.to);
    const id = lineId(t, m.id);
    const stanzaId = m.stanzaId === m.id ? id : wireAttribute(m.stanzaId);
    return withSerialization(lazyGroupchat(m), parts[0] + to + parts[1] + id + parts[2] + stanzaId + parts[3], copySafe);
  }

  /**
   * `memo` keeps the template last used for it (reflection.ts keeps one per channel): a
   * user's messages to a room are all of one shape, so the lookup by sender is skipped
   * while the shape stays (a template is right for its inputs even once dropped here).
   */
  ownMessage(m: GroupchatInput, memo?: TemplateMemo): Element {
    if ((m.payload && m.payload.length > 0) || m.body === '') return groupchatMessage(m);
    let t = memo?.template as Template | undefined;
    if (t !== undefined && sameShape(t, m)) copySafe = t.safe;
    else {
      t = findTemplate(this.#bySender, m.from, m, true);
      if (memo !== undefined) memo.template = t;
    }
    const parts = t.parts;
    if (parts === null) return groupchatMessage(m);
    const head = recipientHead(t, parts, m.to);
    const id = wireAttribute(m.id);
    const body = wireText(m.body);
    const stanzaId = wireAttribute(m.stanzaId);
    return withSerialization(lazyGroupchat(m), head + id + parts[2] + body + parts[3] + stanzaId + parts[4], copySafe);
  }
}

/** Where a `LazyGroupchat` keeps its children once built, and what it builds them from. */
const CHILDREN = Symbol('children');
const INPUT = Symbol('input');

/**
 * A groupchat message whose children are built the first time someone reads them: a
 * copy with a shared text (`withSerialization`) is written from that text, so in the
 * gateway nothing reads its children, and building body, stanza-id and occupant-id for
 * every copy was the fan-out's largest cost after the socket (issue 11 §2). The core's
 * tests and the effect log still read the same tree `groupchatMessage` builds. `children`
 * is an accessor on the prototype, which every ltx method reads through `this.children`.
 *
 * An ltx Element (its prototype is ltx's) with a constructor of its own, not ltx's: that
 * one made a children array and an attributes object per copy, both dropped at once, and
 * an object made by `Object.create` keeps only four fields in itself (issue 11 §2). This
 * one sets ltx's four fields in ltx's order, and the input.
 */
class LazyGroupchat {
  declare name: string;
  declare parent: Element | null;
  declare attrs: Element['attrs'];
  declare [CHILDREN]: Element['children'] | undefined;
  declare [INPUT]: GroupchatInput;

  constructor(m: GroupchatInput) {
    this.name = 'message';
    this.parent = null;
    this[CHILDREN] = undefined;
    this.attrs = { from: m.from, to: m.to, type: 'groupchat', id: m.id };
    this[INPUT] = m;
  }
}
Object.setPrototypeOf(LazyGroupchat.prototype, xml.Element.prototype);
Object.defineProperty(LazyGroupchat.prototype, 'children', {
  get(this: LazyGroupchat): Element['children'] {
    let children = this[CHILDREN];
    if (children === undefined) {
      children = groupchatMessage(this[INPUT]).children;
      for (const child of children) if (typeof child !== 'string') child.parent = this as unknown as Element;
      this[CHILDREN] = children;
    }
    return children;
  },
  set(this: LazyGroupchat, children: Element['children']) {
    this[CHILDREN] = children;
  },
});

/** `groupchatMessage(m)` with its children built when first read. */
function lazyGroupchat(m: GroupchatInput): Element {
  return new LazyGroupchat(m) as unknown as Element;
}

/**
 * Whether `el` has a `<body/>` child, as `el.getChild('body') !== undefined` says, without
 * building the children of a groupchat copy (`lazyGroupchat`: `groupchatMessage` always
 * gives it one). For observers of every outgoing stanza (the metrics), which would otherwise
 * build, for each copy and reflection, the tree the lazy copy exists to avoid.
 */
export function hasBodyChild(el: Element): boolean {
  return el instanceof LazyGroupchat || el.getChild('body') !== undefined;
}

/** Where a caller keeps the template it used last (`GroupchatTemplates#ownMessage`). */
export interface TemplateMemo {
  template?: object;
}

/** Whether `t` was made for inputs of `m`'s shape: the same values besides recipient, ids and body. */
function sameShape(t: Template, m: GroupchatInput): boolean {
  return t.from === m.from && t.roomJid === m.roomJid && t.occupantId === m.occupantId && t.delay === m.delay;
}

/** `m`'s template, found under `key` (made when missing); sets `copySafe` from it. */
function findTemplate(templates: Map<string, Template[]>, key: string, m: GroupchatInput, cutBody: boolean): Template {
  let variants = templates.get(key);
  let found: Template | undefined;
  if (variants !== undefined) {
    for (const t of variants) {
      if (sameShape(t, m)) {
        found = t;
        break;
      }
    }
  } else {
    if (templates.size >= MAX_TEMPLATES) templates.delete(templates.keys().next().value!);
    templates.set(key, (variants = []));
  }
  if (found === undefined) {
    const parts = templateOf(m, cutBody);
    const safe = parts !== null && !parts.some(hasXmlIllegalChar);
    found = { from: m.from, roomJid: m.roomJid, occupantId: m.occupantId, delay: m.delay, parts, safe, id: undefined, idText: '', idSafe: true };
    if (variants.length >= MAX_VARIANTS) variants.shift();
    variants.push(found);
  }
  copySafe = found.safe;
  return found;
}

/** The id of a channel line's copy: the copies share it (history.ts), so it is tested once per template. */
function lineId(t: Template, id: string): string {
  if (t.id !== id) {
    const before = copySafe;
    copySafe = true;
    t.idText = wireAttribute(id);
    t.idSafe = copySafe;
    t.id = id;
    copySafe = before;
  }
  if (!t.idSafe) copySafe = false;
  return t.idText;
}

/** Recipients whose head a reflection template keeps: a user's own resources, rarely more than a few. */
const MAX_HEADS = 8;

/**
 * `parts[0] + to + parts[1]` of a reflection, kept on its template per recipient: a user's
 * messages all go to the same resources from the same occupant, so the text up to the id
 * is the same for every message to one resource (issue 11 §2: the recipient's lookup and
 * two concatenations per message saved).
 */
function recipientHead(t: Template, parts: readonly string[], to: string): string {
  const heads = (t.heads ??= []);
  for (const h of heads) {
    if (h.to !== to) continue;
    if (!h.safe) copySafe = false;
    return h.text;
  }
  const before = copySafe;
  copySafe = true;
  const text = parts[0] + wireRecipient(to) + parts[1];
  const safe = copySafe;
  copySafe = before && safe;
  if (heads.length >= MAX_HEADS) heads.shift();
  heads.push({ to, text, safe });
  return text;
}

/** Cleared when a value of the copy being written holds a character `xmlSafe` replaces. */
let copySafe = true;
/** An attribute value of a copy as `serializeElement` writes it. */
function wireAttribute(s: string): string {
  if (isPlainAttribute(s)) return s;
  if (hasXmlIllegalChar(s)) copySafe = false;
  return escapeAttribute(s);
}
/**
 * Recipients (full JIDs) that go into `to` as they are, remembered: every copy and every
 * reflection to a resource tests the same string again, and a test cost more than a
 * lookup by a string whose hash is kept (issue 11 §2). Emptied when full.
 */
const PLAIN_RECIPIENTS = new BoundedCache<string, true>(10_000);
function wireRecipient(s: string): string {
  if (PLAIN_RECIPIENTS.get(s) === true) return s;
  if (!isPlainAttribute(s)) return wireAttribute(s);
  PLAIN_RECIPIENTS.set(s, true);
  return s;
}
/** A text value of a copy as `serializeElement` writes it. */
function wireText(s: string): string {
  if (isPlainText(s)) return s;
  if (hasXmlIllegalChar(s)) copySafe = false;
  return escapeText(s);
}

/** The slots of a template, in the order the message's text holds them. */
const SLOTS = 'tis';
const SLOTS_WITH_BODY = 'tibs';

/** The message's text cut at `to`, `id`, the body when asked, and the stanza-id; null when it cannot be cut so. */
function templateOf(m: GroupchatInput, cutBody: boolean): readonly string[] | null {
  const slotted = { ...m, to: '\u0000t\u0000', id: '\u0000i\u0000', stanzaId: '\u0000s\u0000' };
  if (cutBody) slotted.body = '\u0000b\u0000';
  const cut = serializeElement(groupchatMessage(slotted)).split(SLOT); // text, slot, text, …, slot, text
  const slots = cutBody ? SLOTS_WITH_BODY : SLOTS;
  if (cut.length !== 2 * slots.length + 1) return null;
  for (let k = 0; k < slots.length; k++) if (cut[2 * k + 1] !== slots[k]) return null;
  return cut.filter((_, k) => k % 2 === 0);
}

/**
 * The children of a client's groupchat message a reflection keeps: everything but the
 * body (rebuilt), what the room itself stamps (stanza-id, occupant-id, delay: XEP-0359 §3
 * and XEP-0421 §4 have the room strip any a client sent) and MUC protocol payloads.
 */
export function reflectedPayload(message: Element): readonly Element[] {
  // One pass and no array for a message of a body alone (the common one), instead of
  // getChildElements' array and filter's (issue 11 §2).
  let kept: Element[] | undefined;
  for (const c of message.children) {
    if (!(c instanceof xml.Element) || !keptInReflection(c)) continue;
    (kept ??= []).push(c);
  }
  return kept ?? NO_PAYLOAD;
}
const NO_PAYLOAD: readonly Element[] = Object.freeze([]);

function keptInReflection(c: Element): boolean {
  const ns = c.attrs.xmlns;
  if (c.name === 'body' || c.name === 'subject') return false;
  if (ns === NS_STANZA_ID) return c.name === 'origin-id'; // the client's own id stays
  return ns !== NS_OCCUPANT_ID && ns !== NS_DELAY && ns !== NS_MUC_USER && ns !== NS_MUC;
}

/** A join refused, XEP-0045 §7.2.6–§7.2.9: error presence echoing the MUC `<x/>`. */
export function joinErrorPresence(from: string, to: string, err: StanzaError): Element {
  return xml('presence', { from, to, type: 'error' }, xml('x', { xmlns: NS_MUC }), errorElement(err));
}
