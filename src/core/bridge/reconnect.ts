/**
 * Coming back after lost links, as a good citizen of the IRC network (issue 8 §8).
 *
 * Why per network: when a server restarts, every session on it loses its link at once. If
 * each retried on its own back-off, a network would see thousands of connections in the
 * first seconds it accepts any, and ban the gateway. So one session per network probes,
 * on a jittered back-off capped at `probeCapMs` (short: it is one connection); the others
 * wait without a timer. When any session of the network registers, the network is up and
 * the waiting sessions come back paced, `reconnectPerSecond` at a time.
 *
 * States of a network (`NetworkRecovery`, absent when nothing waits):
 *   probing (one session's reconnect timer armed, others in `waiting`)
 *   → releasing (a registration was seen: `release <network>` timer connects a batch a tick)
 *   → gone (nothing waits).
 * Rules: a waiting session that leaves (its user left every room) is simply dropped from
 * the queue; if the probe goes, the next waiting session becomes the probe, so nothing
 * waits forever; the user is told once when the link is lost and once when it is back
 * (connection.ts), never per attempt.
 */
import { backoffDelay } from '../backoff.js';
import type { ConnKey } from '../effects.js';
import type { Session } from '../session.js';
import { connect } from './connection.js';
import type { BridgeContext } from './context.js';

/** A probe retries at least this often during an outage: users are back soon after the server is. */
const DEFAULT_PROBE_CAP_MS = 15_000;
const DEFAULT_RECONNECT_PER_SECOND = 10;

export interface NetworkRecovery {
  probe: ConnKey | undefined;
  attempt: number;
  /** Sessions waiting for the network, oldest first (a Set keeps insertion order). */
  waiting: Set<ConnKey>;
  releasing: boolean;
}

function recoveryOf(ctx: BridgeContext, network: string): NetworkRecovery {
  let r = ctx.recovery.get(network);
  if (!r) ctx.recovery.set(network, (r = { probe: undefined, attempt: 0, waiting: new Set(), releasing: false }));
  return r;
}

export function releaseTimerId(network: string): string {
  return `release - ${network}`;
}

/**
 * A session lost its link and will retry: it becomes the network's probe (reconnect timer
 * on the back-off), or waits for the probe.
 */
export function scheduleReconnect(ctx: BridgeContext, s: Session): void {
  const r = recoveryOf(ctx, s.network);
  if (r.releasing) {
    // The network is up and sessions are being brought back: queue behind them.
    r.waiting.add(s.key);
    return;
  }
  if (r.probe !== undefined && r.probe !== s.key && ctx.registry.byKey(r.probe)) {
    r.waiting.add(s.key);
    return;
  }
  r.probe = s.key;
  armProbe(ctx, s, r);
}

function armProbe(ctx: BridgeContext, s: Session, r: NetworkRecovery): void {
  const capMs = Math.min(ctx.o.reconnectCapMs, ctx.o.probeCapMs ?? DEFAULT_PROBE_CAP_MS);
  const delayMs = backoffDelay(r.attempt, { baseMs: ctx.o.reconnectBaseMs, capMs, minMs: 100 }, ctx.o.random());
  r.attempt++;
  ctx.setTimer(ctx.reconnectTimerId(s), delayMs);
}

/** A session of the network registered: the network is up; bring the waiting back, paced. */
export function networkUp(ctx: BridgeContext, s: Session): void {
  const r = ctx.recovery.get(s.network);
  if (!r) return;
  if (r.probe === s.key) r.probe = undefined;
  r.waiting.delete(s.key);
  r.attempt = 0;
  if (r.waiting.size === 0) {
    if (r.probe === undefined) ctx.recovery.delete(s.network);
    return;
  }
  if (!r.releasing) {
    r.releasing = true;
    ctx.setTimer(releaseTimerId(s.network), 0);
  }
}

/** The release timer: connect the next batch of waiting sessions; again in a second if more wait. */
export function releaseDue(ctx: BridgeContext, network: string): void {
  const r = ctx.recovery.get(network);
  if (!r) return;
  const settings = ctx.o.network(network);
  let n = ctx.o.reconnectPerSecond ?? DEFAULT_RECONNECT_PER_SECOND;
  for (const key of r.waiting) {
    if (n <= 0) break;
    r.waiting.delete(key);
    const s = ctx.registry.byKey(key);
    if (!s || s.state !== 'waiting') continue;
    if (!settings || ctx.stopping || s.channels.size === 0) {
      ctx.registry.forget(s);
      continue;
    }
    ctx.clearTimer(ctx.reconnectTimerId(s));
    connect(ctx, s, settings);
    n--;
  }
  if (r.waiting.size > 0) {
    ctx.setTimer(releaseTimerId(network), 1000);
    return;
  }
  r.releasing = false;
  if (r.probe === undefined) ctx.recovery.delete(network);
}

/**
 * A session leaves the recovery (connected by a join, closed, forgotten): if it was the
 * probe, the next waiting session probes in its place.
 */
export function leaveRecovery(ctx: BridgeContext, s: Session): void {
  const r = ctx.recovery.get(s.network);
  if (!r) return;
  r.waiting.delete(s.key);
  if (r.probe !== s.key) return;
  r.probe = undefined;
  if (!r.releasing) {
    for (const key of r.waiting) {
      r.waiting.delete(key);
      const next = ctx.registry.byKey(key);
      if (!next || next.state !== 'waiting') continue;
      r.probe = key;
      armProbe(ctx, next, r);
      return;
    }
  }
  if (r.waiting.size === 0 && !r.releasing) ctx.recovery.delete(s.network);
}
