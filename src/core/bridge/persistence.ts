/**
 * Persistent channels: rejoined at start-up, and applied live when the user changes them.
 *
 * Why: a persistent channel stays joined while its user is offline and comes back after a
 * restart, even a kill -9 (issue 4 §4). A restart with many users must not flood any one
 * network, so restored sessions connect through their reconnect timers, spaced per
 * network by `restoreSpacingMs` with jitter.
 *
 * Rules: one bad row is logged and skipped, never the whole restore; the per-user limits
 * hold for restored channels as for joins (registry.ts counts them).
 */
import type { BareJid } from '../jid.js';
import type { PersistentChannel } from '../ports.js';
import type { Session } from '../session.js';
import { addSession } from './connection.js';
import type { BridgeContext } from './context.js';
import { spanCloses, spanOpens } from './history.js';
import { closeChannel, openChannel } from './rooms.js';

export function restore(ctx: BridgeContext, channels: readonly PersistentChannel[]): void {
  const spacing = ctx.o.restoreSpacingMs ?? 1000;
  const perNetwork = new Map<string, number>();
  for (const ch of channels) {
    try {
      restoreOne(ctx, ch, spacing, perNetwork);
    } catch (err) {
      ctx.log.error({ err, user: ch.user, network: ch.network }, 'could not restore a persistent channel');
    }
  }
  ctx.log.info({ channels: channels.length, sessions: ctx.registry.size }, 'restoring persistent channels');
}

function restoreOne(ctx: BridgeContext, ch: PersistentChannel, spacing: number, perNetwork: Map<string, number>): void {
  if (!ctx.o.network(ch.network)) {
    ctx.log.warn({ user: ch.user, network: ch.network }, 'persistent channel on a network no longer open; skipped');
    return;
  }
  const user = ch.user as BareJid;
  let s = ctx.registry.get(user, ch.network);
  if (!s && ctx.registry.networkCount(user) >= ctx.o.maxConnectionsPerUser) {
    ctx.log.warn({ user: ch.user, network: ch.network }, 'persistent channel beyond the per-user connection limit; skipped');
    return;
  }
  if (s?.channels.get(ch.channel)) return;
  if (ctx.registry.channelCount(user) >= ctx.o.maxChannelsPerUser) {
    ctx.log.warn({ user: ch.user, network: ch.network }, 'persistent channel beyond the per-user limit; skipped');
    return;
  }
  if (!s) s = waitingSession(ctx, user, ch.network, ch.nick, spacing, perNetwork);
  openChannel(ctx, s, ch.channel, ch.key);
}

/** A restored session: it connects when its reconnect timer fires (spaced per network). */
function waitingSession(ctx: BridgeContext, user: BareJid, network: string, nick: string | undefined, spacing: number, perNetwork: Map<string, number>): Session {
  const s = addSession(ctx, user, network, nick);
  s.state = 'waiting';
  s.reconnectAttempt = 1; // a network that is down at start-up is retried, not given up
  const n = perNetwork.get(network) ?? 0;
  perNetwork.set(network, n + 1);
  ctx.setTimer(ctx.reconnectTimerId(s), Math.floor((n + ctx.o.random()) * spacing));
  return s;
}

/**
 * The user changed a room's persistence or key (ad-hoc room command): apply it to the
 * live connection now rather than at the next restart.
 */
export function roomSettingsChanged(ctx: BridgeContext, user: BareJid, network: string, channelName: string): void {
  const stored = ctx.o.channels?.get(user, network, channelName);
  const s = ctx.registry.get(user, network);
  const channel = s?.channels.get(channelName);
  if (channel) channel.key = stored?.key ?? channel.key;
  if (s && channel) {
    // Recording turned off or on while joined: the span ends or starts now (issue 10 §5).
    const off = ctx.o.roomEncodings?.recording?.(user, network, channel.name) === false;
    if (off && !channel.noRecord) spanCloses(ctx, s, channel, false);
    channel.noRecord = off;
    if (!off && channel.state === 'joined') spanOpens(ctx, s, channel, ctx.o.now());
  }
  if (!stored) {
    // No longer persistent: a channel nobody is in is left now.
    if (s && channel && channel.resources.size === 0) closeChannel(ctx, s, channel, { kind: 'left' });
    return;
  }
  if (channel || !ctx.o.network(network)) return; // already joined, or the network closed
  if (!s) {
    restoreOne(ctx, stored, 0, new Map());
    return;
  }
  openChannel(ctx, s, stored.channel, stored.key);
}
