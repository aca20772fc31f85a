import { describe, expect, it } from 'vitest';
import { formatDateTime, parseDateTime } from '../../../../src/core/history/datetime.js';

describe('XEP-0082 DateTime', () => {
  it.each([
    ['2026-01-10T12:00:00Z', Date.UTC(2026, 0, 10, 12)],
    ['2026-01-10T12:00:00.5Z', Date.UTC(2026, 0, 10, 12, 0, 0, 500)],
    ['2026-01-10T12:00:00.123456Z', Date.UTC(2026, 0, 10, 12, 0, 0, 123)],
    ['2026-01-10T14:00:00+02:00', Date.UTC(2026, 0, 10, 12)],
    ['2026-01-10T07:30:00-04:30', Date.UTC(2026, 0, 10, 12)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('reads %s', (text, ms) => {
    expect(parseDateTime(text)).toBe(ms);
  });

  it.each([
    '2026-01-10',
    '2026-01-10T12:00:00',
    '2026-01-10 12:00:00Z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-01-10T24:00:00Z',
    '2026-01-10T12:60:00Z',
    '2026-01-10T12:00:00+25:00',
    '2026-01-10T12:00:00.Z',
    ' 2026-01-10T12:00:00Z',
    '',
  ])('refuses %j', (text) => {
    expect(parseDateTime(text)).toBeUndefined();
  });

  it('writes UTC with milliseconds, which it reads back', () => {
    const ms = Date.UTC(2026, 0, 10, 12, 0, 0, 7);
    expect(formatDateTime(ms)).toBe('2026-01-10T12:00:00.007Z');
    expect(parseDateTime(formatDateTime(ms))).toBe(ms);
  });
});
