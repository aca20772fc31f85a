/**
 * The sender's own groupchat message, back to each of their joined resources
 * (XEP-0045 §7.4), exactly once.
 *
 * Why its own module: it is the one place both directions meet. With IRCv3 echo-message
 * the server echoes what we sent and the reflection waits for the echo (so a refused
 * message is never shown as sent); without it the reflection goes out at once.
 *
 * Rules: the reflection is the sender's message: the client's id and extension payloads
 * (origin-id, replies, OOB, markers: how clients recognise their own message and avoid
 * showing it twice), with the room's stanza-id (XEP-0359) added — the server's
 * msgid when it gives one; at most MAX_PENDING_ECHOES wait per channel, and one the server
 * never echoed is reflected when it falls out rather than never.
 */
import type { Element } from '@xmpp/xml';
import type { FullJid } from '../jid.js';
import type { Channel, PendingEcho, Session } from '../session.js';
import type { BridgeContext } from './context.js';
import { recordLine } from './history.js';
import { selfOccupantId } from './occupant-id.js';

const MAX_PENDING_ECHOES = 64;

/** After sending `lines` for `body` to a channel: reflect now, or when the echo comes. */
export function expectReflection(
  ctx: BridgeContext,
  s: Session,
  channel: Channel,
  sent: { id: string | undefined; body: string; lines: number; from: FullJid; payload: readonly Element[] },
): void {
  const pending: PendingEcho = { id: sent.id ?? ctx.o.newId(), body: sent.body, linesLeft: sent.lines, from: sent.from, payload: sent.payload };
  if (!s.caps.has('echo-message')) {
    reflect(ctx, s, channel, pending, undefined, ctx.o.now());
    return;
  }
  channel.echoes.push(pending);
  if (channel.echoes.length > MAX_PENDING_ECHOES) {
    // An echo the server never sent: reflect the oldest now rather than never.
    reflect(ctx, s, channel, channel.echoes.shift()!, undefined, ctx.o.now());
  }
}

/** Our own message echoed by the server (echo-message): the last line of it reflects it. */
export function echoed(ctx: BridgeContext, s: Session, channel: Channel, body: string, msgid: string | undefined, at: number): void {
  const pending = channel.echoes[0];
  if (!pending) {
    // Sent by nobody we know of (another client of the same IRC account): show it as ours
    // anyway rather than lose it.
    reflect(ctx, s, channel, { id: ctx.o.newId(), body, payload: [] }, msgid, at);
    return;
  }
  pending.linesLeft--;
  if (pending.linesLeft > 0) return;
  channel.echoes.shift();
  reflect(ctx, s, channel, pending, msgid, at);
}

/** Archives our message (issue 10: the user's own messages too) and reflects it with that stanza-id. */
function reflect(ctx: BridgeContext, s: Session, channel: Channel, m: Pick<PendingEcho, 'id' | 'body' | 'payload'>, msgid: string | undefined, at: number): void {
  const stanzaId = recordLine(ctx, s, channel, { msgid, at, nick: s.nick, kind: m.body.startsWith('/me ') ? 'action' : 'privmsg', body: m.body });
  const occupantId = ownOccupantId(ctx, s, channel);
  ctx.broadcast(channel, (to, room) =>
    ctx.groupchat.ownMessage({ from: ctx.occupantJid(s, room, s.nick), to, id: m.id, body: m.body, stanzaId, roomJid: ctx.roomJid(s, room), payload: m.payload, ...occupantId }),
  );
}

/**
 * Our occupant id in each channel, kept on the channel (a session's own, so user and
 * network never change) while its case mapping stands: the seed string and its lookup
 * were about 2 % of XMPP → IRC's CPU (issue 11 §2).
 */
const OWN_OCCUPANT_IDS = new WeakMap<Channel, { readonly casemapping: string; readonly id: { occupantId?: string } }>();

function ownOccupantId(ctx: BridgeContext, s: Session, channel: Channel): { occupantId?: string } {
  const known = OWN_OCCUPANT_IDS.get(channel);
  if (known !== undefined && known.casemapping === s.support.casemapping) return known.id;
  const id = selfOccupantId(ctx, s, channel);
  OWN_OCCUPANT_IDS.set(channel, { casemapping: s.support.casemapping, id });
  return id;
}
