/**
 * The sender's own groupchat message, back to each of their joined resources
 * (XEP-0045 §7.4), exactly once.
 *
 * Why its own module: it is the one place both directions meet. With IRCv3 echo-message
 * the server echoes what we sent and the reflection waits for the echo (so a refused
 * message is never shown as sent); without it the reflection goes out at once.
 *
 * Rules: the reflection keeps the client's id; its stanza-id (XEP-0359) is the server's
 * msgid when it gives one; at most MAX_PENDING_ECHOES wait per channel, and one the server
 * never echoed is reflected when it falls out rather than never.
 */
import type { FullJid } from '../jid.js';
import { groupchatMessage } from '../muc-stanzas.js';
import type { Channel, Session } from '../session.js';
import type { BridgeContext } from './context.js';

const MAX_PENDING_ECHOES = 64;

/** After sending `lines` for `body` to a channel: reflect now, or when the echo comes. */
export function expectReflection(ctx: BridgeContext, s: Session, channel: Channel, id: string | undefined, body: string, lines: number, from: FullJid): void {
  const reflectId = id ?? ctx.o.newId();
  if (!s.caps.has('echo-message')) {
    reflect(ctx, s, channel, reflectId, body, ctx.o.newId());
    return;
  }
  channel.echoes.push({ id: reflectId, body, linesLeft: lines, from });
  if (channel.echoes.length > MAX_PENDING_ECHOES) {
    // An echo the server never sent: reflect the oldest now rather than never.
    const lost = channel.echoes.shift()!;
    reflect(ctx, s, channel, lost.id, lost.body, ctx.o.newId());
  }
}

/** Our own message echoed by the server (echo-message): the last line of it reflects it. */
export function echoed(ctx: BridgeContext, s: Session, channel: Channel, body: string, msgid: string | undefined): void {
  const pending = channel.echoes[0];
  if (!pending) {
    // Sent by nobody we know of: show it as ours anyway rather than lose it.
    reflect(ctx, s, channel, ctx.o.newId(), body, msgid ?? ctx.o.newId());
    return;
  }
  pending.linesLeft--;
  if (pending.linesLeft > 0) return;
  channel.echoes.shift();
  reflect(ctx, s, channel, pending.id, pending.body, msgid ?? ctx.o.newId());
}

function reflect(ctx: BridgeContext, s: Session, channel: Channel, id: string, body: string, stanzaId: string): void {
  ctx.broadcast(channel, (to, room) =>
    groupchatMessage({ from: ctx.occupantJid(s, room, s.nick), to, id, body, stanzaId, roomJid: ctx.roomJid(s, room) }),
  );
}
