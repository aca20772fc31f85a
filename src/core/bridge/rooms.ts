/**
 * Rooms: where a channel of a session begins and ends.
 *
 * Why one module: a channel is opened by a join, by the start-up restore and by a room
 * setting made persistent; it ends because its last resource left, IRC removed us, the
 * join failed, or the session is going away. Each of those used to be written apart;
 * here there is one `openChannel` and one `closeChannel` with the reason, so the timers,
 * the PART and the QUIT are decided in one place.
 *
 * Rules:
 * - a join always ends: with the room state (XEP-0045 §7.2.3–§7.2.15: occupants,
 *   self-presence 110 [+210], subject) or with an error presence; the join timer bounds
 *   the wait whenever the session is connected or connecting;
 * - a channel nobody is in any more is PARTed unless it is persistent; the session
 *   QUITs when its last channel is gone, except when the caller is closing it anyway.
 */
import type { Element } from '@xmpp/xml';
import { foldCase } from '../casemap.js';
import { StanzaError } from '../errors.js';
import { reasonText } from '../irc-writer.js';
import type { FullJid } from '../jid.js';
import { STATUS, joinErrorPresence, mucStanding, occupantPresence, subjectMessage } from '../muc-stanzas.js';
import { newChannel, type Channel, type JoinedResource, type Occupant, type Session } from '../session.js';
import type { BridgeContext } from './context.js';
import { closeSession, QUIT_MESSAGE } from './connection.js';
import { historyOnJoin, spanCloses } from './history.js';
import { occupantIdOf, selfOccupantId } from './occupant-id.js';

/**
 * Why a channel ends:
 * - `left`: its last resource left (XEP-0045 §7.14): PART, with the status text of the
 *   leaving presence as reason (and as QUIT message if it was the last channel);
 * - `removed`: IRC removed us (PART or KICK by others): no PART;
 * - `failed`: the join was refused or timed out: every resource is told, no PART;
 * - `ended`: the session is going away (lost for good, unregistered, shut down): every
 *   resource is told, no PART, and no QUIT from here (the caller closes the session).
 */
export type Teardown =
  | { kind: 'left'; reason?: string }
  | { kind: 'removed' }
  | { kind: 'failed'; error: StanzaError }
  | { kind: 'ended'; error: StanzaError; status?: number };

/**
 * Creates a channel on the session, with the resource that asked for it (none for a
 * persistent channel); JOIN now when registered, else on registration.
 */
export function openChannel(ctx: BridgeContext, s: Session, name: string, key: string | undefined, resource?: JoinedResource): Channel {
  const channel = newChannel(name, s.support.casemapping);
  channel.key = key;
  channel.noRecord = ctx.o.roomEncodings?.recording?.(s.user, s.network, name) === false;
  if (resource) channel.resources.set(resource.jid, resource);
  s.channels.set(name, channel);
  ctx.registry.changed(s);
  if (s.state === 'registered') sendJoin(ctx, s, channel);
  // Registered or about to be: the timer bounds the wait. A session waiting to reconnect
  // arms it on registration (connection.ts), so a back-off is not counted as the join.
  if (s.state !== 'waiting') ctx.armJoinTimer(s, channel);
  return channel;
}

export function sendJoin(ctx: BridgeContext, s: Session, channel: Channel): void {
  const line = ctx.line('JOIN', channel.key ? [channel.name, channel.key] : [channel.name], () =>
    closeChannel(ctx, s, channel, { kind: 'failed', error: new StanzaError('not-acceptable', 'the channel name or key cannot be sent to IRC') }),
  );
  if (line !== undefined) ctx.irc(s, line);
}

/** Whether the user keeps this channel joined on IRC while no resource is in it. */
export function isPersistent(ctx: BridgeContext, s: Session, channel: Channel): boolean {
  return ctx.o.channels?.isPersistent(s.user, s.network, channel.name) === true;
}

/** The one teardown of a channel; see `Teardown` for what each reason does. */
export function closeChannel(ctx: BridgeContext, s: Session, channel: Channel, why: Teardown): void {
  if (why.kind === 'failed' || why.kind === 'ended') tellRoomOver(ctx, s, channel, why.error, why.kind === 'ended' ? why.status : undefined);
  // A persistent channel stays joined through a restart: its span runs on (issue 10 §1).
  spanCloses(ctx, s, channel, why.kind === 'ended' && ctx.stopping && isPersistent(ctx, s, channel));
  channel.resources.clear();
  s.channels.delete(channel.name);
  ctx.registry.changed(s);
  ctx.disarmJoinTimer(channel);
  if (why.kind === 'ended') return;
  const reason = why.kind === 'left' && why.reason !== undefined ? reasonText(why.reason) : '';
  if (why.kind === 'left' && s.state === 'registered') {
    const part = ctx.line('PART', reason ? [channel.name, reason] : [channel.name], () => undefined);
    if (part !== undefined) ctx.irc(s, part);
  }
  if (s.channels.size === 0) closeSession(ctx, s, reason || QUIT_MESSAGE);
}

/**
 * Tells each resource its room is over: a joined one gets its own unavailable presence
 * with 110 and a status (332 by default: XEP-0045 §10.2, removed because the link to IRC
 * is gone), one still joining gets the join error (§7.2).
 */
function tellRoomOver(ctx: BridgeContext, s: Session, channel: Channel, err: StanzaError, status: number = STATUS.SHUTDOWN): void {
  for (const res of channel.resources.values()) {
    if (res.joined) {
      ctx.send(occupantPresence({ from: ctx.occupantJid(s, res.room, s.nick), to: res.jid, affiliation: 'none', role: 'none', unavailable: true, statuses: [STATUS.SELF, status], status: err.text, ...selfOccupantId(ctx, s, channel) }));
    } else {
      ctx.send(joinErrorPresence(ctx.occupantJid(s, res.room, res.requestedNick), res.jid, err));
    }
  }
}

/** One resource leaves a room (XEP-0045 §7.14): its own unavailable presence with 110. */
export function leaveRoom(ctx: BridgeContext, s: Session, channel: Channel, from: FullJid, status?: string): void {
  const res = channel.resources.get(from);
  if (!res) return;
  channel.resources.delete(from);
  ctx.registry.changed(s);
  ctx.send(
    occupantPresence({
      from: ctx.occupantJid(s, res.room, s.nick),
      to: from,
      affiliation: mucStanding(channel.occupants.get(s.nick)?.prefixes ?? '').affiliation,
      role: 'none',
      unavailable: true,
      statuses: [STATUS.SELF],
      ...selfOccupantId(ctx, s, channel),
    }),
  );
  if (channel.resources.size === 0 && !isPersistent(ctx, s, channel)) closeChannel(ctx, s, channel, { kind: 'left', ...(status !== undefined ? { reason: status } : {}) });
}

/** A resource went away (bounce or unavailable): out of every room it was in. */
export function removeResource(ctx: BridgeContext, from: FullJid, why: string): void {
  for (const s of ctx.registry.ofUser(ctx.userOf(from))) {
    for (const [, channel] of [...s.channels]) {
      if (!channel.resources.delete(from)) continue;
      ctx.registry.changed(s);
      ctx.log.debug({ network: s.network, channel: channel.name, why }, 'removed resource from room');
      if (channel.resources.size === 0 && !isPersistent(ctx, s, channel)) closeChannel(ctx, s, channel, { kind: 'left' });
    }
  }
}

/** Room state for one resource, XEP-0045 §7.2.3–§7.2.15: occupants, self, subject. */
export function sendRoomState(ctx: BridgeContext, s: Session, channel: Channel, to: FullJid, occupantsOnly = false): void {
  const res = channel.resources.get(to);
  if (!res) return;
  const selfFold = foldCase(s.support.casemapping, s.nick);
  for (const [, o] of channel.occupants) {
    if (foldCase(s.support.casemapping, o.nick) === selfFold) continue;
    ctx.send(occupantPresence({ from: ctx.occupantJid(s, res.room, o.nick), to, ...mucStanding(o.prefixes), ...awayOf(o), ...occupantIdOf(ctx, s, channel, o, o.nick) }));
  }
  if (occupantsOnly && res.joined) return;
  const self = channel.occupants.get(s.nick);
  const statuses: number[] = [STATUS.SELF];
  if (foldCase(s.support.casemapping, res.requestedNick) !== selfFold) statuses.push(STATUS.NICK_ASSIGNED);
  ctx.send(occupantPresence({ from: ctx.occupantJid(s, res.room, s.nick), to, ...mucStanding(self?.prefixes ?? ''), statuses, ...selfOccupantId(ctx, s, channel) }));
  historyOnJoin(ctx, s, channel, res); // XEP-0045 §7.2.14: after the self-presence, before the subject
  ctx.send(subjectMessage(ctx.roomJid(s, res.room), to, channel.topic, ctx.o.newId()));
  res.joined = true;
}

export function awayOf(o: Occupant): { show?: 'away'; status?: string } {
  return o.away !== undefined ? { show: 'away', status: o.away } : {};
}

/** An occupant leaves the room as every joined resource sees it. */
export function occupantGone(ctx: BridgeContext, s: Session, channel: Channel, nick: string, extra: Partial<Parameters<typeof occupantPresence>[0]>): void {
  const o = channel.occupants.get(nick);
  const occupantId = occupantIdOf(ctx, s, channel, o, nick);
  channel.occupants.delete(nick);
  ctx.broadcast(channel, (to, room): Element =>
    occupantPresence({ from: ctx.occupantJid(s, room, o?.nick ?? nick), to, ...mucStanding(o?.prefixes ?? ''), unavailable: true, ...occupantId, ...extra }),
  );
}
