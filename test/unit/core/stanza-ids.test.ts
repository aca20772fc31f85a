import { describe, expect, it } from 'vitest';
import { sequentialIds } from '../../../src/core/stanza-ids.js';

describe('sequentialIds', () => {
  it('gives the prefix then a base-36 counter, never the same id twice', () => {
    const next = sequentialIds('Ab3-');
    const ids = Array.from({ length: 2000 }, next);
    expect(ids.slice(0, 3)).toEqual(['Ab3-0', 'Ab3-1', 'Ab3-2']);
    expect(ids[36]).toBe('Ab3-10');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps two generators with different prefixes apart (two runs of the gateway)', () => {
    const a = sequentialIds('a-');
    const b = sequentialIds('b-');
    expect(a()).not.toBe(b());
  });
});
