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
import type { TemplateMemo } from '../muc-stanzas.js';
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
    reflect(ctx, s, channel, pending, undefined, undefined);
    return;
  }
  channel.echoes.push(pending);
  if (channel.echoes.length > MAX_PENDING_ECHOES) {
    // An echo the server never sent: reflect the oldest now rather than never.
    reflect(ctx, s, channel, channel.echoes.shift()!, undefined, undefined);
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

/**
 * Archives our message (issue 10: the user's own messages too) and reflects it with that
 * stanza-id. `at` is when it was said, undefined for now (read only when it is archived).
 */
function reflect(ctx: BridgeContext, s: Session, channel: Channel, m: Pick<PendingEcho, 'id' | 'body' | 'payload'>, msgid: string | undefined, at: number | undefined): void {
  const stanzaId = recordLine(ctx, s, channel, { msgid, at, nick: s.nick, kind: m.body.startsWith('/me ') ? 'action' : 'privmsg', body: m.body });
  const own = ownAddressing(ctx, s, channel);
  ctx.broadcast(channel, (to, room) => {
    if (room !== own.room || s.nick !== own.nick) {
      own.room = room;
      own.nick = s.nick;
      own.from = ctx.occupantJid(s, room, s.nick);
      own.roomJid = ctx.roomJid(s, room);
    }
    return ctx.groupchat.ownMessage({ from: own.from, to, id: m.id, body: m.body, stanzaId, roomJid: own.roomJid, payload: m.payload, occupantId: own.occupantId }, own);
  });
}

/**
 * What our reflections in a channel are addressed with, kept on the channel (a session's
 * own, so user and network never change): our occupant id while the case mapping stands
 * (the seed string and its lookup were about 2 % of XMPP → IRC's CPU, issue 11 §2), and our
 * occupant JID and the room JID for the last room spelling and nick they were made for
 * (five lookups in the JID cache per message otherwise; `ctx.occupantJid` and
 * `ctx.roomJid` give the same strings for the same parts), and the reflection's template.
 */
export interface OwnAddressing extends TemplateMemo {
  readonly casemapping: string;
  readonly occupantId: string | undefined;
  room: string | undefined;
  nick: string;
  from: string;
  roomJid: string;
}
function ownAddressing(ctx: BridgeContext, s: Session, channel: Channel): OwnAddressing {
  // On the channel itself, not in a WeakMap by it: the lookup hashed the channel and was
  // ~0.4 % of XMPP → IRC's CPU, and a WeakMap entry is GC work at every scavenge (issue 11 §2).
  const known = channel.ownAddressing;
  if (known !== undefined && known.casemapping === s.support.casemapping) return known;
  const own: OwnAddressing = {
    casemapping: s.support.casemapping,
    occupantId: selfOccupantId(ctx, s, channel).occupantId,
    room: undefined,
    nick: '',
    from: '',
    roomJid: '',
    template: undefined,
  };
  channel.ownAddressing = own;
  return own;
}
