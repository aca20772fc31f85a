/**
 * XMPP → IRC messages: groupchat to a room (XEP-0045 §7.4), subject changes (§8.1 →
 * TOPIC), and private messages to an IRC user or an occupant (§7.5 → PRIVMSG to the nick).
 *
 * Rules:
 * - only a joined resource may send to a room; a message that cannot be sent now comes
 *   back as an error (`recipient-unavailable`), never dropped;
 * - user text is split by irc-writer.ts into lines that can never hold CR, LF or NUL; a
 *   body over MAX_LINES_PER_MESSAGE lines is refused (`policy-violation`);
 * - the sender's own message is reflected once per joined resource (reflection.ts);
 * - private messages are remembered (bounded) so a 401 can bounce the right one.
 */
import type { Element } from '@xmpp/xml';
import type { Address } from '../../address.js';
import { StanzaError } from '../../errors.js';
import { buildMessageLines, IrcLineRefusedError, oneLine, tryBuildRawLine } from '../../irc-writer.js';
import { reflectedPayload } from '../../muc-stanzas.js';
import type { BareJid, FullJid } from '../../jid.js';
import type { Channel, JoinedResource, Session } from '../../session.js';
import type { RouteMemo } from '../index.js';
import { refuseWith, type BridgeContext } from '../context.js';
import { expectReflection } from '../reflection.js';

/** A body longer than this many IRC lines is refused rather than flooding a channel. */
const MAX_LINES_PER_MESSAGE = 25;
/** Private-message targets awaiting a possible 401, and messages kept per target. */
const MAX_PENDING_TARGETS = 64;
const MAX_PENDING_PER_TARGET = 8;

/** The first `<body/>` and `<subject/>`, as ltx's getChildText and getChild find them, in one pass. */
function bodyAndSubject(stanza: Element): { body: string | null; subject: Element | undefined } {
  let body: string | null = null;
  let subject: Element | undefined;
  for (const child of stanza.children) {
    if (typeof child !== 'object') continue;
    const name = child.getName();
    if (name === 'body' && body === null) body = child.getText();
    else if (name === 'subject' && subject === undefined) subject = child;
  }
  return { body, subject };
}

/**
 * What a groupchat message from one resource to one room goes through: the session, the
 * channel and the resource as joined. `RouteMemo.route` keeps the last one per sender.
 */
interface RoomRoute {
  readonly from: FullJid;
  readonly address: Address;
  /** `s.routes` when it was found: a channel or resource of `s` since, or `s` forgotten, makes it stale. */
  readonly version: number;
  readonly s: Session;
  readonly channel: Channel;
  readonly res: JoinedResource;
}

/**
 * The session, channel and joined resource of a message from `from` to the room at `address`,
 * as the registry, the session's channels and the channel's resources give them; undefined
 * when one is missing. Kept in `memo` (the gateway keeps one per sender) while none of the
 * session's channels or resources came or went (`Session.routes`; other users' joins and parts
 * do not count): a user's messages to a room come one after another, and the four lookups and
 * the case folding of the channel name were a tenth of the XMPP → IRC path (bench/xmpp2irc-ab.mjs,
 * issue 11 §2). Whether the resource is joined, and the session's state, are read each time.
 */
function roomRoute(ctx: BridgeContext, from: FullJid, user: BareJid, address: Address & { kind: 'channel' }, memo: RouteMemo | undefined): RoomRoute | undefined {
  const known = memo?.route as RoomRoute | undefined;
  if (known !== undefined && known.address === address && known.from === from && known.version === known.s.routes) return known;
  const s = ctx.registry.get(user, address.network);
  const channel = s?.channels.get(address.channel);
  const res = channel?.resources.get(from);
  if (!s || !channel || !res) return undefined;
  const route: RoomRoute = { from, address, version: s.routes, s, channel, res };
  if (memo) memo.route = route;
  return route;
}

/** `user` is `from`'s bare JID, and `memo` its sender's (the gateway's, kept per sender: no lookups per message here). */
export function xmppMessageToIrc(ctx: BridgeContext, stanza: Element, from: FullJid, user: BareJid, address: Address, memo?: RouteMemo): void {
  const { body, subject } = bodyAndSubject(stanza);
  if (address.kind === 'channel') {
    const route = roomRoute(ctx, from, user, address, memo);
    if (!route?.res.joined) {
      // XEP-0045 §7.4: only occupants may send to the room.
      throw new StanzaError('not-acceptable', 'join the room before sending messages to it');
    }
    const { s, channel } = route;
    if (stanza.attrs.type !== 'groupchat' && stanza.attrs.type !== undefined) {
      throw new StanzaError('bad-request', 'messages to a room must be of type groupchat');
    }
    if (s.state !== 'registered') {
      throw new StanzaError('recipient-unavailable', `not connected to ${s.network} right now; the message was not sent`);
    }
    if (subject && body === null) {
      ctx.irc(s, ctx.line('TOPIC', [channel.name, oneLine(subject.getText())], refuseWith('the subject is too long for IRC'))!);
      return;
    }
    if (body === null) return; // chat states and receipts are not IRC traffic
    sendText(ctx, s, channel.name, body, stanza.attrs.id, from, { channel, payload: reflectedPayload(stanza) });
    return;
  }
  if (address.kind === 'user' || address.kind === 'occupant') {
    if (body === null) return; // chat states alone are not turned into IRC noise
    const s = ctx.registry.get(user, address.network);
    if (!s || s.state !== 'registered') {
      throw new StanzaError('recipient-unavailable', `you are not connected to ${address.network}: join a room there first`);
    }
    // In-room private messages go to the nick itself: IRC has no per-channel PMs; the
    // reply comes from nick%network@gateway.
    sendText(ctx, s, address.nick, body, stanza.attrs.id, from, { to: stanza.attrs.to });
    return;
  }
  if (body === null) return;
  if (address.kind === 'network') {
    rawCommand(ctx, address.network, body, user);
    return;
  }
  throw new StanzaError('service-unavailable', 'this address takes no messages');
}

/** How long after a raw command the server's otherwise unhandled replies are shown. */
export const RAW_REPLY_WINDOW_MS = 30_000;

/**
 * A chat message to `net@gw` is one raw IRC command line for power users (`WHOIS nick`,
 * `MODE #chan +b mask`): checked and built by irc-writer.ts like every line, so CR, LF and
 * NUL still refuse; for RAW_REPLY_WINDOW_MS the replies no handler takes come back from
 * `net@gw` (irc-to-xmpp/dispatch.ts).
 */
function rawCommand(ctx: BridgeContext, network: string, body: string, user: BareJid): void {
  const s = ctx.registry.get(user, network);
  if (!s || s.state !== 'registered') {
    throw new StanzaError('recipient-unavailable', `you are not connected to ${network}: join a room there first`);
  }
  const built = tryBuildRawLine(body.startsWith('/') ? body.slice(1) : body);
  if (built.kind === 'refused') {
    throw new StanzaError('not-acceptable', 'not one IRC command line: a command such as WHOIS or MODE, then its parameters, on one line of at most 510 bytes');
  }
  ctx.irc(s, built.line);
  s.rawRepliesUntil = ctx.o.now() + RAW_REPLY_WINDOW_MS;
}

function sendText(
  ctx: BridgeContext,
  s: Session,
  target: string,
  body: string,
  id: string | undefined,
  from: FullJid,
  where: { channel: Channel; payload: readonly Element[] } | { to: string | undefined },
): void {
  const action = body.startsWith('/me ');
  const text = action ? body.slice(4) : body;
  let lines: string[];
  try {
    lines = buildMessageLines({ command: 'PRIVMSG', target, sender: { nick: s.nick }, text, action });
  } catch (err) {
    if (err instanceof IrcLineRefusedError) throw new StanzaError('jid-malformed', `${target} cannot be addressed on IRC`);
    // The target and our nick leave no room for text in a 512-byte line.
    if (err instanceof RangeError) throw new StanzaError('not-acceptable', `${target} is too long a name for IRC to carry a message to it`);
    throw err;
  }
  if (lines.length === 0) throw new StanzaError('not-acceptable', 'the message is empty');
  if (lines.length > MAX_LINES_PER_MESSAGE) {
    throw new StanzaError('policy-violation', `the message would take ${lines.length} IRC lines; at most ${MAX_LINES_PER_MESSAGE} are sent at once`);
  }
  ctx.irc(s, ...lines);
  if ('channel' in where) {
    expectReflection(ctx, s, where.channel, { id, body, lines: lines.length, from, payload: where.payload });
    return;
  }
  let pending = s.pendingPrivate.get(target);
  if (!pending) s.pendingPrivate.set(target, (pending = []));
  pending.push({ id, from, body, to: where.to ?? ctx.userJid(s, target) });
  if (s.pendingPrivate.size > MAX_PENDING_TARGETS) {
    const oldest = s.pendingPrivate.names().next().value;
    if (oldest !== undefined) s.pendingPrivate.delete(oldest);
  }
  if (pending.length > MAX_PENDING_PER_TARGET) pending.shift();
}
