import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder, CHUNK_LINES, LINE_NUMS, PART_LINES, RECEIPT_NUMS, type BatchPart } from '../../../src/store/archive-writer.js';

/** A line as the builder takes it. */
interface Line {
  channelId: number;
  id: string;
  nick: string;
  body: string;
  prefix: string | undefined;
}

/** The lines and receipt jids of handed-over parts, read as the writer reads them (WRITE_SOURCE). */
function decode(parts: readonly BatchPart[]): { lines: Line[]; jids: string[] } {
  const lines: Line[] = [];
  const jids: string[] = [];
  for (const { lines: n, receipts, nums, text } of parts) {
    let p = 0;
    const str = (len: number): string => text.slice(p, (p += len));
    for (let i = 0, o = 0; i < n; i++, o += LINE_NUMS) {
      const channelId = nums[o]!;
      const id = str(nums[o + 4]!);
      const nick = str(nums[o + 5]!);
      const body = str(nums[o + 6]!);
      lines.push({ channelId, id, nick, body, prefix: nums[o + 7]! < 0 ? undefined : str(nums[o + 7]!) });
    }
    for (let i = 0, o = n * LINE_NUMS; i < receipts; i++, o += RECEIPT_NUMS) jids.push(str(nums[o + 3]!));
    expect(p).toBe(text.length);
  }
  return { lines, jids };
}

// Any UTF-16 text, lone surrogates included: the parts carry JS strings, so the worker
// binds what the store was given, as the inline writer does.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('a', '\0', '\r', '😀', '\uD800', '\uDC00', '\uFFFE', 'é'), maxLength: 30 }),
);
const lineArb: fc.Arbitrary<Line> = fc.record({
  channelId: fc.integer({ min: 1, max: 3 }),
  id: text,
  nick: text,
  body: text,
  prefix: fc.option(fc.constantFrom('@', '+', '@+', ''), { nil: undefined }),
});

describe('BatchBuilder', () => {
  it('hands over every string exactly as given, across chunks and parts, read mid-batch or not', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 * PART_LINES + CHUNK_LINES + 3 }),
        fc.array(text, { maxLength: 3 }),
        fc.integer({ min: 0, max: 2 * PART_LINES }),
        (pool, count, jids, readAt) => {
          const b = new BatchBuilder();
          const parts: BatchPart[] = [];
          const want: Line[] = [];
          for (let i = 0; i < count; i++) {
            const l = pool[i % pool.length]!;
            if (i === readAt) {
              // A read of the held lines (the store's index) in the middle of a chunk.
              const ids: string[] = [];
              b.forEachLine((_c, id) => ids.push(id));
              expect(ids).toEqual(want.slice(want.length - b.held).map((w) => w.id));
            }
            b.line(l.channelId, i, i + 1, l.id, l.nick, 0, l.body, l.prefix);
            want.push({ ...l, prefix: l.prefix === '' ? undefined : l.prefix });
            if (i % 300 === 299) parts.push(...b.ready());
          }
          jids.forEach((jid, i) => b.receipt(1, i, i, jid));
          parts.push(...b.take());
          expect(parts.at(-1)!.commit).toBe(true);
          expect(decode(parts)).toEqual({ lines: want, jids });
          expect(b.empty).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
