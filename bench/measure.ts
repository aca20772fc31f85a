/**
 * Timing and memory helpers of the benchmark: rates over a time box, medians, heap
 * used after a full collection.
 *
 * Rule kept: every figure is the median of several repetitions, because the machine that
 * runs this is shared and noisy; a single run is never reported.
 */
import { performance } from 'node:perf_hooks';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Calls `op` in batches until `ms` milliseconds have passed; returns calls per second.
 * `op` returns a number that is summed into a sink, so its work cannot be optimised away.
 */
export function rate(op: () => number, ms: number, batch = 500): number {
  let calls = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) sink += op();
    calls += batch;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  if (sink < 0) throw new Error('unreachable: the sink only grows');
  return (calls * 1000) / elapsed;
}

/** Heap used after two full collections (needs `--expose-gc`). */
export function heapUsedAfterGc(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run node with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
