import { describe, expect, it } from 'vitest';
import { DEFAULT_PACER_OPTIONS, createPacer, type PacerOptions } from '../../../src/core/pacing.js';

/** Reserves at each time in turn; returns the delays. */
function delays(options: PacerOptions, times: readonly number[]): number[] {
  const pacer = createPacer(options);
  return times.map((t) => pacer.reserve(t));
}

describe('createPacer', () => {
  it.each<[string, PacerOptions, number[], number[]]>([
    ['a burst of 5, then one line per 500 ms', DEFAULT_PACER_OPTIONS, [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 500, 1000, 1500]],
    ['queued lines keep their order', { burst: 2, intervalMs: 1000 }, [0, 0, 0, 500], [0, 0, 1000, 1500]],
    ['lines spaced at the interval never wait', { burst: 1, intervalMs: 500 }, [0, 500, 1000, 1500], [0, 0, 0, 0]],
    ['burst 1 spaces every line', { burst: 1, intervalMs: 500 }, [0, 0, 0], [0, 500, 1000]],
    ['allowance comes back one line per interval', DEFAULT_PACER_OPTIONS, [0, 0, 0, 0, 0, 1000, 1000, 1000], [0, 0, 0, 0, 0, 0, 0, 500]],
    ['a quiet period restores the whole burst', { burst: 3, intervalMs: 100 }, [0, 0, 0, 0, 10_000, 10_000, 10_000, 10_000], [0, 0, 0, 100, 0, 0, 0, 100]],
    ['interval 0 never waits', { burst: 1, intervalMs: 0 }, [0, 0, 0], [0, 0, 0]],
    ['a clock going back counts as the latest time', { burst: 1, intervalMs: 500 }, [1000, 0], [0, 500]],
  ])('%s', (_name, options, times, expected) => {
    expect(delays(options, times)).toEqual(expected);
  });

  it('peek says what reserve would, without reserving', () => {
    const pacer = createPacer({ burst: 1, intervalMs: 500 });
    expect(pacer.peek(0)).toBe(0);
    expect(pacer.peek(0)).toBe(0);
    expect(pacer.reserve(0)).toBe(0);
    expect(pacer.peek(100)).toBe(400);
    expect(pacer.reserve(100)).toBe(400);
    expect(pacer.peek(100)).toBe(900);
  });

  it('never lets more than burst + elapsed/interval lines out', () => {
    const options = { burst: 4, intervalMs: 250 };
    const pacer = createPacer(options);
    const sentAt: number[] = [];
    for (let now = 0; now < 5000; now += 37) {
      for (let k = 0; k < 3; k++) sentAt.push(now + pacer.reserve(now));
    }
    for (const [i, t] of sentAt.entries()) {
      expect(i + 1).toBeLessThanOrEqual(options.burst + Math.floor(t / options.intervalMs));
    }
  });

  it.each<PacerOptions>([
    { burst: 0, intervalMs: 500 },
    { burst: 1.5, intervalMs: 500 },
    { burst: 5, intervalMs: -1 },
    { burst: 5, intervalMs: Number.NaN },
  ])('refuses %j', (options) => {
    expect(() => createPacer(options)).toThrow(RangeError);
  });
});
