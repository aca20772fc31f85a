import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/core/backoff.js';

describe('backoffDelay', () => {
  const opts = { baseMs: 1000, capMs: 60_000, minMs: 100 };
  it.each([
    [0, 0.5, 500],
    [1, 0.5, 1000],
    [3, 0.999, 7992],
    [10, 0.5, 30_000],
    [1000, 0.999, 59_940],
    [0, 0, 100],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, opts, random)).toBe(expected);
  });
});
