import { describe, expect, it } from 'vitest';
import { s } from '../../../src/config/schema-kit.js';

const table = s.strictObject({
  name: s.string().min(1).regex(/^[a-z]+$/, 'must be lowercase letters'),
  port: s.number().int().min(1).max(65535).default(6667),
  note: s.string().optional(),
  tags: s.array(s.string()).max(2).default([]),
});

const messages = (value: unknown): string[] => {
  const r = table.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('schema kit', () => {
  it('fills defaults, leaves an absent optional key out, keeps schema order', () => {
    const r = table.safeParse({ name: 'a' });
    expect(r.success && Object.entries(r.data)).toEqual([
      ['name', 'a'],
      ['port', 6667],
      ['tags', []],
    ]);
  });

  it('reports every failed check of a value, but a wrong type alone', () => {
    expect(messages({ name: '' })).toEqual(['name: Too small: expected string to have >=1 characters', 'name: must be lowercase letters']);
    expect(messages({ name: ['x'] })).toEqual(['name: Invalid input: expected string, received array']);
    expect(messages({ name: 'a', port: 1.5 })).toEqual(['port: Invalid input: expected int, received number']);
    expect(messages({ name: 'a', tags: ['a', 3] })).toEqual(['tags.1: Invalid input: expected string, received number']);
    expect(messages({ name: 'a', tags: ['a', 'b', 'c'] })).toEqual(['tags: Too big: expected array to have <=2 items']);
  });

  it('names unknown keys after the known ones, and refuses a date where a table belongs', () => {
    expect(messages({ name: 'a', x: 1, y: 2, port: 0 })).toEqual(['port: Too small: expected number to be >=1', ': Unrecognized keys: x, y']);
    expect(table.safeParse(new Date(0)).success).toBe(false);
  });

  it('runs a table-wide check only when every value had the right type', () => {
    const checked = table.superRefine((v, add) => {
      if (v.note === undefined) add({ path: ['note'], message: 'needs a note' });
    });
    expect(checked.safeParse({ name: 'a' }).success).toBe(false);
    const r = checked.safeParse({ name: 5 });
    expect(!r.success && r.error.issues.map((i) => i.message)).toEqual(['Invalid input: expected string, received number']);
  });

  it('describes the input as JSON Schema: defaults given, only keys without one required', () => {
    expect(table.describe('A table.').json()).toEqual({
      type: 'object',
      description: 'A table.',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string' },
        port: { type: 'integer', default: 6667 },
        note: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' }, default: [] },
      },
    });
  });
});
