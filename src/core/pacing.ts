/**
 * Flood control for outgoing IRC lines, as a pure calculator.
 *
 * Why: IRC servers disconnect clients that send too fast ("Excess Flood"); the
 * usual server accounting (RFC 1459 §8.10, RFC 2812 §5.8) lets a client send a
 * short burst and then about one line per interval. Like most clients, we keep
 * under that with a token bucket: `burst` lines may go at once, then one more
 * each `intervalMs`. The caller owns the clock and the timers; this module only
 * says how long to wait, so tests use explicit times.
 *
 * Rules kept:
 * - Implemented as GCRA (the "virtual scheduling" form of a token bucket):
 *   `theoreticalArrival` is when the bucket would be empty again if no more
 *   lines were sent. A line may go at max(now, theoreticalArrival − (burst − 1)
 *   × intervalMs); each reservation moves theoreticalArrival on by intervalMs.
 * - Every `reserve` is a commitment: the caller sends the line after waiting
 *   the returned delay, in call order, so delays never decrease between calls
 *   made at the same time.
 * - Times must not go backwards; an earlier `nowMs` is treated as the latest
 *   one seen.
 */

export interface PacerOptions {
  /** Lines that may be sent back to back after a quiet period; an integer ≥ 1. */
  burst: number;
  /** Time for one line's worth of allowance to come back, in ms; ≥ 0 (0 disables pacing). */
  intervalMs: number;
}

export interface Pacer {
  /** Reserves a slot for one line: ms to wait before sending it (0: send now). */
  reserve(nowMs: number): number;
  /** What `reserve` would return now, without reserving. */
  peek(nowMs: number): number;
}

/** Common client defaults: a burst of 5, then a line every 500 ms. */
export const DEFAULT_PACER_OPTIONS: Readonly<PacerOptions> = { burst: 5, intervalMs: 500 };

/**
 *     const pacer = createPacer({ burst: 2, intervalMs: 1000 });
 *     pacer.reserve(0) === 0; pacer.reserve(0) === 0; pacer.reserve(0) === 1000;
 *     pacer.reserve(500) === 1500; // the 4th line waits behind the 3rd
 */
export function createPacer(options: PacerOptions): Pacer {
  const { burst, intervalMs } = options;
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst must be an integer ≥ 1, got ${burst}`);
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`intervalMs must be a finite number ≥ 0, got ${intervalMs}`);
  }
  const tolerance = (burst - 1) * intervalMs;
  let theoreticalArrival = -Infinity;
  let latestNow = -Infinity;

  const sendTime = (nowMs: number): { now: number; at: number; arrival: number } => {
    const now = Math.max(nowMs, latestNow);
    const arrival = Math.max(theoreticalArrival, now);
    return { now, at: Math.max(now, arrival - tolerance), arrival };
  };

  return {
    reserve(nowMs) {
      const { now, at, arrival } = sendTime(nowMs);
      latestNow = now;
      theoreticalArrival = arrival + intervalMs;
      return at - now;
    },
    peek(nowMs) {
      const { now, at } = sendTime(nowMs);
      return at - now;
    },
  };
}
