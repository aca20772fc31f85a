/**
 * Event-loop delay (issue 11 §5): how late the loop runs a timer, the wait every
 * socket read, stanza and IRC line shares when one turn holds the loop.
 *
 * Why an adapter of its own: the gateway reports it at shutdown (one info line with
 * p50, p99 and max in ms) whether or not metrics are on, and the metrics registry reads
 * the same figures at scrape time.
 *
 * Rules:
 * - a sample is how much later than asked a timer of `resolutionMs` ran (libuv timers
 *   have millisecond steps, so a loop with no delay shows 0–1 ms); kept in a
 *   `perf_hooks` histogram. Not `monitorEventLoopDelay`: it cannot be paused without
 *   counting the pause as one long delay, nor merged into another histogram;
 * - only while the loop is busy: once a second (one unref'd timer) the loop's
 *   utilisation over that second decides; above `busyUtilisation` (20 %, well above
 *   what the sampler's own wake-ups cost) the sampling timer runs, below it stops. An
 *   idle gateway holding thousands of connections thus does not wake up for it (100
 *   wake-ups a second alone cost 0.8 % of a core on a 2-core VM), and the figures describe
 *   the seconds that had work, not the quiet ones;
 * - never keeps the process alive.
 */
import { createHistogram, performance, type EventLoopUtilization, type RecordableHistogram } from 'node:perf_hooks';

export interface EventLoopDelaySummary {
  /** Delay quantiles and maximum, in ms, over every busy second since start. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Timer samples behind the figures (0: the loop was never busy). */
  samples: number;
  /** Seconds in which the loop was busy enough to be sampled. */
  busySeconds: number;
}

export interface EventLoopDelayOptions {
  /**
   * Sampling interval while busy, in ms; default 20. Each sample is a wake-up of its own
   * when the loop is between reads: at 10 ms, 100 a second were ~5 % of the gateway's CPU
   * at 2,000 PMs a second (perf, issue 11 §2); 50 a second still give a p99 from 500
   * samples in a 10-second burst.
   */
  resolutionMs?: number;
  /**
   * Utilisation (0–1) over a second above which that second is sampled; default 0.2, well above
   * the sampler's own cost: at 0.01 the 100 wake-ups a second of the sampler alone kept
   * a gateway holding 5,000 idle connections over it, at 2.4 % of a core (gwbench connect:
   * idle CPU 2.47 %, 0.076 % without the sampler).
   */
  busyUtilisation?: number;
}

export class EventLoopDelay {
  readonly #resolutionMs: number;
  readonly #busyUtilisation: number;
  readonly #histogram: RecordableHistogram = createHistogram();
  #check: NodeJS.Timeout | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #due = 0;
  #last: EventLoopUtilization | undefined;
  #busySeconds = 0;

  constructor(opts: EventLoopDelayOptions = {}) {
    this.#resolutionMs = opts.resolutionMs ?? 20;
    this.#busyUtilisation = opts.busyUtilisation ?? 0.2;
  }

  start(): void {
    if (this.#check !== undefined) return;
    this.#last = performance.eventLoopUtilization();
    this.#check = setInterval(() => this.#decide(), 1000);
    this.#check.unref();
  }

  stop(): void {
    clearInterval(this.#check);
    this.#check = undefined;
    this.#pause();
  }

  #decide(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.#last).utilization > this.#busyUtilisation;
    this.#last = now;
    if (!busy) {
      this.#pause();
      return;
    }
    this.#busySeconds++;
    if (this.#sampler === undefined) this.#arm();
  }

  #arm(): void {
    this.#due = performance.now() + this.#resolutionMs;
    this.#sampler = setTimeout(this.#sample, this.#resolutionMs);
    this.#sampler.unref();
  }

  /**
   * One sample, and the same timer armed again (`refresh`): a new Timeout per sample, 100
   * a second (then the default), cost 4 % of the gateway's CPU at 2,000 PMs a second
   * (perf, issue 11 §2).
   */
  readonly #sample = (): void => {
    const now = performance.now();
    // record() takes a positive integer: nanoseconds, at least 1.
    this.#histogram.record(Math.max(1, Math.round((now - this.#due) * 1e6)));
    this.#due = now + this.#resolutionMs;
    this.#sampler?.refresh();
  };

  #pause(): void {
    clearTimeout(this.#sampler);
    this.#sampler = undefined;
  }

  summary(): EventLoopDelaySummary {
    const h = this.#histogram;
    const samples = h.count;
    const ms = (ns: number): number => (samples === 0 ? 0 : Math.round(ns / 1e3) / 1e3);
    return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), samples, busySeconds: this.#busySeconds };
  }
}
