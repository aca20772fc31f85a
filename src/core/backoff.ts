/**
 * Reconnection delays: capped exponential back-off with full jitter.
 *
 * Why jitter: when a server restarts, every link that dropped with it must not come back
 * in the same instant. "Full jitter" draws each delay uniformly from [0, min(cap,
 * base·2^attempt)], which spreads reconnects best for a given mean
 * (see the AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
 */
export interface BackoffOptions {
  /** First delay's upper bound, in ms. */
  baseMs: number;
  /** No delay exceeds this, in ms. */
  capMs: number;
  /** Lower bound so that retries never spin, in ms. */
  minMs?: number;
}

/** Delay before retry number `attempt` (0 for the first retry); `random` is in [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: number): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(opts.minMs ?? 0, Math.floor(random * ceiling));
}
