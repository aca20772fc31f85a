import { describe, expect, it } from 'vitest';
import { EventLoopDelay } from '../../../src/adapters/event-loop-delay.js';

const block = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // hold the loop, as a long turn would
  }
};
const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopDelay', () => {
  it('reports nothing before the loop was ever busy', () => {
    const d = new EventLoopDelay();
    expect(d.summary()).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0, busySeconds: 0 });
  });

  it('shows a turn that held the loop, once a busy second switched sampling on', async () => {
    // busyUtilisation -1: every second counts as busy, so sampling starts after the first check.
    const d = new EventLoopDelay({ resolutionMs: 5, busyUtilisation: -1 });
    d.start();
    await wait(1100);
    block(200);
    await wait(50);
    d.stop();
    const s = d.summary();
    expect(s.busySeconds).toBeGreaterThanOrEqual(1);
    expect(s.samples).toBeGreaterThan(0);
    // The 200 ms turn delayed one timer by most of it.
    expect(s.maxMs).toBeGreaterThanOrEqual(100);
    expect(s.p50Ms).toBeLessThanOrEqual(s.maxMs);
  });
});
