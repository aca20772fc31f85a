import { describe, expect, it } from 'vitest';
import {
  CATCH_UP_FUZZ_MS,
  CATCH_UP_MAX_LINES,
  CATCH_UP_PAGE,
  chathistoryCap,
  chathistoryServerMax,
  continueCatchUp,
  startCatchUp,
} from '../../../../src/core/history/catch-up.js';

const NOW = Date.UTC(2026, 0, 10, 12);
const DAY = 86_400_000;

describe('chathistory catch-up', () => {
  it('asks for the ratified capability first, else the draft one', () => {
    expect(chathistoryCap(['batch', 'draft/chathistory', 'chathistory'])).toBe('chathistory');
    expect(chathistoryCap(['batch', 'draft/chathistory'])).toBe('draft/chathistory');
    expect(chathistoryCap(['batch', 'server-time'])).toBeUndefined();
  });

  it.each([
    ['50', 50],
    ['0', 0],
    ['', undefined],
    ['many', undefined],
    [undefined, undefined],
  ])('reads ISUPPORT CHATHISTORY=%j as %j', (value, max) => {
    expect(chathistoryServerMax(value)).toBe(max);
  });

  it('starts after the newest archived line, less the fuzz, never before retention; nothing archived, no catch-up', () => {
    const newest = { at: NOW - 3600_000 };
    expect(startCatchUp({ channel: '#c', newest, now: NOW, retentionMs: 30 * DAY })?.command).toEqual([
      'CHATHISTORY',
      'AFTER',
      '#c',
      `timestamp=${new Date(newest.at - CATCH_UP_FUZZ_MS).toISOString()}`,
      String(CATCH_UP_PAGE),
    ]);
    expect(startCatchUp({ channel: '#c', newest: { at: NOW - 40 * DAY }, now: NOW, retentionMs: 30 * DAY })?.command[3]).toBe(
      `timestamp=${new Date(NOW - 30 * DAY).toISOString()}`,
    );
    expect(startCatchUp({ channel: '#c', newest: undefined, now: NOW, retentionMs: DAY })).toBeUndefined();
  });

  it('asks at most the server maximum per page (0 = none)', () => {
    const start = (serverMax: number) => startCatchUp({ channel: '#c', newest: { at: NOW }, now: NOW, retentionMs: DAY, serverMax })!;
    expect(start(50).command[4]).toBe('50');
    expect(start(0).command[4]).toBe(String(CATCH_UP_PAGE));
    expect(start(5000).command[4]).toBe(String(CATCH_UP_PAGE));
  });

  it('pages by the last msgid until a short batch, a batch without msgid, or the bound', () => {
    let step = startCatchUp({ channel: '#c', newest: { at: NOW }, now: NOW, retentionMs: DAY })!;
    const full = { count: CATCH_UP_PAGE, lastMsgid: 'm100' };
    const next = continueCatchUp(step.state, full)!;
    expect(next.command).toEqual(['CHATHISTORY', 'AFTER', '#c', 'msgid=m100', String(CATCH_UP_PAGE)]);
    expect(continueCatchUp(next.state, { count: CATCH_UP_PAGE - 1, lastMsgid: 'm199' })).toBeUndefined();
    expect(continueCatchUp(next.state, { count: CATCH_UP_PAGE })).toBeUndefined();
    let pages = 1;
    for (let s: typeof step | undefined = step; s !== undefined; s = continueCatchUp(s.state, { count: s.state.asked, lastMsgid: `p${pages}` })) {
      step = s;
      pages++;
    }
    expect(step.state.received + step.state.asked).toBe(CATCH_UP_MAX_LINES);
  });
});
