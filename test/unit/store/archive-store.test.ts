import { afterEach, describe, expect, it } from 'vitest';
import type { ArchiveLine, ArchiveQuery, ArchiveResult } from '../../../src/core/history/archive-port.js';
import { SqliteArchiveStore, WITH_SCAN_LIMIT, archiveFromConfig, type ArchiveStoreOptions } from '../../../src/store/archive-store.js';
import { parseConfig } from '../../../src/config/load.js';
import type { Db } from '../../../src/store/database.js';
import { PART_LINES } from '../../../src/store/archive-writer.js';
import { DB_PLACES } from './db-places.js';

const NET = 'irc.example.net';
const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 10); // "now" of the prune tests is a few days later

/** A database whose transactions are counted (the batching rule: one per flush). */
function counted(db: Db): { db: Db; transactions: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (fn: (...a: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          return (...args: unknown[]) => {
            n++;
            return tx(...args);
          };
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { db: proxy, transactions: () => n };
}

type Writer = 'inline' | 'worker';
const PLACES: Array<[string, () => Db, Writer]> = [
  ...DB_PLACES.map(([name, place]): [string, () => Db, Writer] => [name, place, 'inline']),
  ['a file, batches written by the worker', DB_PLACES[1]![1], 'worker'],
];

const open: SqliteArchiveStore[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

function setupWith(place: () => Db, writer: Writer, opts: Partial<ArchiveStoreOptions> = {}) {
  const raw = place();
  const { db, transactions } = counted(raw);
  const store = new SqliteArchiveStore(db, { retentionDays: 30, maxPerChannel: 1000, writer, ...opts });
  open.push(store);
  // The tests read the table through the main connection: they wait for the writer first.
  const sync = () => store.newest(NET, '#none');
  return { db: raw, store, transactions, sync };
}

let n = 0;
function line(over: Partial<ArchiveLine> & { at: number }): ArchiveLine {
  n++;
  return { id: `id${n}`, serverId: true, network: NET, channel: '#chan', nick: 'bob', kind: 'privmsg', body: `line ${n}`, ...over };
}

function ids(r: ArchiveResult): string[] {
  if (r.kind !== 'page') throw new Error(`expected a page, got ${JSON.stringify(r)}`);
  return r.page.lines.map((l) => l.id);
}

function page(r: ArchiveResult) {
  if (r.kind !== 'page') throw new Error(`expected a page, got ${JSON.stringify(r)}`);
  return r.page;
}

describe.each(PLACES)('SqliteArchiveStore on %s', (_name, place, mode) => {
  const setup = (p: () => Db, opts: Partial<ArchiveStoreOptions> = {}) => setupWith(p, mode, opts);
  describe('visibility', () => {
    it('two users in one channel each read only their own spans; the line is stored once', () => {
      const { db, store } = setup(place);
      store.openSpan('alice@x', NET, '#chan', T);
      const l1 = store.record('alice@x', line({ id: 'a', at: T + 10 }));
      store.openSpan('bob@x', NET, '#chan', T + 20);
      store.record('alice@x', line({ id: 'b', at: T + 30 }));
      store.record('bob@x', line({ id: 'b', at: T + 30 }));
      store.closeSpan('alice@x', NET, '#chan', T + 40);
      store.record('bob@x', line({ id: 'c', at: T + 50 }));
      expect(l1).toBe('a');
      const q: ArchiveQuery = { max: 50 };
      expect(ids(store.query('alice@x', NET, '#chan', q))).toEqual(['a', 'b']);
      expect(ids(store.query('bob@x', NET, '#chan', q))).toEqual(['b', 'c']);
      expect(store.query('carol@x', NET, '#chan', q)).toEqual({ kind: 'no-span' });
      expect(store.query('alice@x', NET, '#other', q)).toEqual({ kind: 'no-span' });
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(3);
      // Span ends are inclusive; a line a user cannot see is an unknown id to them.
      expect(ids(store.query('alice@x', NET, '#chan', { max: 50, ids: ['b'] }))).toEqual(['b']);
      expect(store.query('alice@x', NET, '#chan', { max: 50, ids: ['c'] })).toEqual({ kind: 'unknown-id', id: 'c' });
      expect(store.query('alice@x', NET, '#chan', { max: 50, after: 'c' })).toEqual({ kind: 'unknown-id', id: 'c' });
    });

    it('a user who rejoins reads both spans and not the gap between them', () => {
      const { store } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      store.openSpan('w@x', NET, '#chan', T);
      store.record('u@x', line({ id: 'in1', at: T + 1 }));
      store.closeSpan('u@x', NET, '#chan', T + 2);
      store.record('w@x', line({ id: 'gap', at: T + 3 }));
      store.openSpan('u@x', NET, '#chan', T + 4);
      store.record('u@x', line({ id: 'in2', at: T + 5 }));
      expect(ids(store.query('u@x', NET, '#chan', { max: 50 }))).toEqual(['in1', 'in2']);
      expect(ids(store.query('u@x', NET, '#chan', { max: 50, before: '' }))).toEqual(['in1', 'in2']);
    });

    it('openSpan on an open span and closeSpan without one change nothing; a reopen before the end continues the span', () => {
      const { db, store } = setup(place);
      store.closeSpan('u@x', NET, '#chan', T); // no channel, no span
      // openSpan says whether the user was in already (a rejoin that catch-up may fill).
      expect(store.openSpan('u@x', NET, '#chan', T)).toBe(false);
      expect(store.openSpan('u@x', NET, '#chan', T + 100)).toBe(true); // already in
      store.closeSpan('u@x', NET, '#chan', T + 50);
      store.closeSpan('u@x', NET, '#chan', T + 60); // already out
      expect(store.openSpan('u@x', NET, '#chan', T + 40)).toBe(true); // back before the span ended (server clocks)
      const spans = () => db.prepare('SELECT start_at, end_at FROM archive_spans ORDER BY start_at').all();
      // Span opens are written with the next flush (or before any read or other span change).
      expect(spans()).toEqual([{ start_at: T, end_at: T + 50 }]);
      store.flush();
      expect(spans()).toEqual([{ start_at: T, end_at: null }]);
      store.closeAllSpans('u@x', NET, T + 70);
      store.closeAllSpans('u@x', 'other.net', T + 80);
      expect(spans()).toEqual([{ start_at: T, end_at: T + 70 }]);
      expect(store.openSpan('u@x', NET, '#chan', T + 200)).toBe(false); // after it ended: a new span
      store.closeSpan('u@x', NET, '#chan', T + 300);
      expect(spans()).toEqual([{ start_at: T, end_at: T + 70 }, { start_at: T + 200, end_at: T + 300 }]);
      expect(store.hasSpan('u@x', NET, '#CHAN')).toBe(true);
      expect(store.hasSpan('v@x', NET, '#chan')).toBe(false);
    });

    it('at start-up, spans left open are closed, except those of the persistent channels being rejoined', () => {
      const { store } = setup(place);
      store.openSpan('u@x', NET, '#kept', T);
      store.openSpan('u@x', NET, '#left', T);
      store.openSpan('v@x', NET, '#kept', T);
      store.closeOpenSpans(T + 100, [{ user: 'u@x', network: NET, channel: '#KEPT' }]);
      // lines of the downtime (a chathistory catch-up) and after
      store.record('u@x', line({ id: 'down', channel: '#kept', at: T + 50 }));
      store.record('u@x', line({ id: 'later', channel: '#kept', at: T + 200 }));
      store.record('u@x', line({ id: 'left-later', channel: '#left', at: T + 200 }));
      expect(ids(store.query('u@x', NET, '#kept', { max: 50 }))).toEqual(['down', 'later']);
      expect(ids(store.query('v@x', NET, '#kept', { max: 50 }))).toEqual(['down']);
      expect(ids(store.query('u@x', NET, '#left', { max: 50 }))).toEqual([]);
    });

    it('a reader recorded for a STATUSMSG line pruned meanwhile is dropped, not an error', () => {
      const { db, store, sync } = setup(place, { pruneBudget: 10 });
      store.openSpan('op@x', NET, '#chan', T);
      store.record('op@x', line({ id: 'x', serverId: false, at: T - 1, statusPrefix: '@', body: 'before the span' }));
      store.prune(T); // the line lies outside every span: swept
      expect(store.record('op2@x', line({ id: 'y', serverId: false, at: T - 1, statusPrefix: '@', body: 'before the span' }))).toBe('x');
      sync();
      expect(db.prepare('SELECT count(*) FROM archive_status_recipients').pluck().get()).toBe(0);
    });

    it('a STATUSMSG line is readable only by the users whose connection received it', () => {
      const { db, store } = setup(place);
      for (const u of ['op@x', 'voice@x', 'plain@x']) store.openSpan(u, NET, '#chan', T);
      store.record('plain@x', line({ id: 'all', at: T + 1 }));
      store.record('op@x', line({ id: 'ops', at: T + 2, statusPrefix: '@', body: '[to @] ops only' }));
      store.record('op@x', line({ id: 'voiced', at: T + 3, statusPrefix: '+' }));
      store.flush(); // the second reader of a written line
      store.record('voice@x', line({ id: 'voiced', at: T + 3, statusPrefix: '+' }));
      // without msgid, the same STATUSMSG through two connections is one line with two readers
      store.record('op@x', line({ id: 'fresh1', serverId: false, at: T + 4, statusPrefix: '+', body: 'hi voices' }));
      expect(store.record('voice@x', line({ id: 'fresh2', serverId: false, at: T + 4, statusPrefix: '+', body: 'hi voices' }))).toBe('fresh1');
      expect(ids(store.query('op@x', NET, '#chan', { max: 50 }))).toEqual(['all', 'ops', 'voiced', 'fresh1']);
      expect(ids(store.query('voice@x', NET, '#chan', { max: 50 }))).toEqual(['all', 'voiced', 'fresh1']);
      expect(ids(store.query('plain@x', NET, '#chan', { max: 50 }))).toEqual(['all']);
      expect(page(store.query('op@x', NET, '#chan', { max: 50, ids: ['ops'] })).lines[0]).toEqual({
        id: 'ops',
        at: T + 2,
        nick: 'bob',
        kind: 'privmsg',
        body: '[to @] ops only',
        statusPrefix: '@',
      });
      expect(store.query('plain@x', NET, '#chan', { max: 50, ids: ['ops'] })).toEqual({ kind: 'unknown-id', id: 'ops' });
      expect(store.metadata('plain@x', NET, '#chan')).toEqual({ oldest: { id: 'all', at: T + 1 }, newest: { id: 'all', at: T + 1 } });
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(4);
    });
  });

  describe('one copy per line', () => {
    it('one batch of two channels interleaved, with STATUSMSG lines and second copies among them: each line once, in order, counts exact', () => {
      const { db, store, sync } = setup(place);
      for (const c of ['#a', '#b']) store.openSpan('u@x', NET, c, T);
      const want: Record<string, string[]> = { '#a': [], '#b': [] };
      // More lines per channel than one INSERT takes, so a channel spans several statements.
      for (let i = 0; i < 150; i++) {
        const channel = i % 3 === 0 ? '#b' : '#a';
        // STATUSMSG lines last: the first makes the store index its queue, which then catches copies itself.
        const statusPrefix = i >= 120 && i % 10 === 0 ? '@' : undefined;
        const id = store.record('u@x', line({ id: `x${i}`, channel, at: T + i, ...(statusPrefix ? { statusPrefix } : {}) }));
        want[channel]!.push(id);
        // A second copy of an earlier line (a replay), queued in the same batch: the writer drops it.
        if (i % 25 === 24 && i < 120) store.record('u@x', line({ id: `x${i - 10}`, channel: (i - 10) % 3 === 0 ? '#b' : '#a', at: T + i, body: 'the replay' }));
      }
      store.flush();
      sync();
      for (const c of ['#a', '#b'] as const) {
        const got = page(store.query('u@x', NET, c, { max: 200 }));
        expect(got.lines.map((l) => l.id)).toEqual(want[c]);
        expect(got.lines.some((l) => l.body === 'the replay')).toBe(false);
        expect(got.lines.filter((l) => l.statusPrefix === '@').length).toBe(want[c]!.filter((id) => Number(id.slice(1)) >= 120 && Number(id.slice(1)) % 10 === 0).length);
      }
      expect(db.prepare('SELECT channel, line_count FROM archive_channels ORDER BY channel').all()).toEqual([
        { channel: '#a', line_count: want['#a']!.length },
        { channel: '#b', line_count: want['#b']!.length },
      ]);
    });

    it('a line whose server msgid is archived is not stored again, queued or written, and has() knows it', () => {
      const { db, store, sync } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      store.record('u@x', line({ id: 'm1', at: T + 1 }));
      expect(store.has(NET, '#CHAN', 'm1')).toBe(true); // queued
      expect(store.record('v@x', line({ id: 'm1', at: T + 1 }))).toBe('m1');
      store.flush();
      expect(store.record('u@x', line({ id: 'm1', at: T + 9, body: 'replayed by chathistory' }))).toBe('m1');
      expect(store.has(NET, '#chan', 'm1')).toBe(true); // written
      expect(store.has(NET, '#chan', 'm2')).toBe(false);
      expect(store.has(NET, '#nowhere', 'm1')).toBe(false);
      sync();
      expect(db.prepare('SELECT id, at FROM archive_lines').all()).toEqual([{ id: 'm1', at: T + 1 }]);
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(1);
    });

    it('copies sharing one parsed line (source) are that line for each reader once, within the window; a repeat of it is a new line', () => {
      const { db, store, sync } = setup(place);
      for (const u of ['a@x', 'b@x', 'c@x']) store.openSpan(u, NET, '#chan', T);
      const parsed = {}; // what the bridge passes: the one parsed IRC line every connection got
      const copy = (at: number) => line({ serverId: false, at, body: 'lol', source: parsed });
      const first = store.record('a@x', copy(T + 100));
      expect(store.record('b@x', copy(T + 101))).toBe(first);
      // The same parsed line again on a connection that has it already: said twice.
      const second = store.record('a@x', copy(T + 200));
      expect(second).not.toBe(first);
      expect(store.record('b@x', copy(T + 201))).toBe(second);
      // A copy through the text path (no source) still finds the line the source path made.
      expect(store.record('c@x', line({ serverId: false, at: T + 102, body: 'lol' }))).toBe(first);
      // A reader, out of the window of both: a new line, not a late copy.
      const late = store.record('c@x', copy(T + 100 + 60_000));
      expect([first, second]).not.toContain(late);
      sync();
      expect(db.prepare('SELECT id FROM archive_lines ORDER BY at, seq').pluck().all()).toEqual([first, second, late]);
    });

    it('without msgid, each connection’s copy within the window is the first line; two equal lines on one connection are two', () => {
      const { db, store, sync } = setup(place);
      for (const u of ['a@x', 'b@x']) store.openSpan(u, NET, '#chan', T);
      const lol = (id: string, at: number) => line({ id, serverId: false, at, body: 'lol' });
      expect(store.record('a@x', lol('a1', T + 100))).toBe('a1');
      expect(store.record('a@x', lol('a2', T + 200))).toBe('a2');
      expect(store.record('b@x', lol('b1', T + 150))).toBe('a1');
      expect(store.record('b@x', lol('b2', T + 260))).toBe('a2');
      // another nick, kind or status prefix is another line; so is one outside the window
      expect(store.record('b@x', { ...lol('b3', T + 260), nick: 'carol' })).toBe('b3');
      expect(store.record('b@x', { ...lol('b4', T + 260), kind: 'notice' })).toBe('b4');
      expect(store.record('b@x', lol('b5', T + 100 + 60_000))).toBe('b5');
      sync();
      expect(db.prepare('SELECT id FROM archive_lines ORDER BY at, seq').pluck().all()).toEqual(['a1', 'a2', 'b3', 'b4', 'b5']);
    });

    it('with more readers than a word of bits, and new readers after the old ones’ lines left the window: each copy is the line once', () => {
      const { db, store, sync } = setup(place);
      const users = (p: string) => Array.from({ length: 100 }, (_, i) => `${p}${i}@x`);
      for (const u of [...users('u'), ...users('v')]) store.openSpan(u, NET, '#chan', T);
      const parsed = {};
      const hey = (at: number, source?: object) => line({ serverId: false, at, body: 'hey', ...(source ? { source } : {}) });
      // Half the copies through the parsed line, half through the text.
      const first = users('u').map((u, i) => store.record(u, hey(T + i, i % 2 ? parsed : undefined)));
      expect(new Set(first)).toEqual(new Set([first[0]]));
      const repeat = store.record('u7@x', hey(T + 200, parsed));
      expect(repeat).not.toBe(first[0]);
      expect(store.record('u8@x', hey(T + 201))).toBe(repeat);
      // A minute later: the u readers' lines have left the window, and the v readers take their slots.
      const later = users('v').map((u, i) => store.record(u, hey(T + 60_000 + i, i % 2 ? {} : undefined)));
      expect(new Set(later)).toEqual(new Set([later[0]]));
      expect([first[0], repeat]).not.toContain(later[0]);
      expect(store.record('u7@x', hey(T + 60_200))).toBe(later[0]);
      expect(store.record('v3@x', hey(T + 60_201))).not.toBe(later[0]);
      sync();
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(4);
    });

    it('names a line without msgid when the bridge gives no id: one id for every copy, growing with time', () => {
      const { db, store, sync } = setup(place);
      for (const u of ['a@x', 'b@x']) store.openSpan(u, NET, '#chan', T);
      const bare = (at: number, body: string): ArchiveLine => ({ serverId: false, network: NET, channel: '#chan', nick: 'bob', kind: 'privmsg', at, body });
      const first = store.record('a@x', bare(T + 1, 'hi'));
      const second = store.record('a@x', bare(T + 2, 'there'));
      expect(store.record('b@x', bare(T + 1, 'hi'))).toBe(first);
      expect(second > first).toBe(true);
      sync();
      expect(db.prepare('SELECT id FROM archive_lines ORDER BY at, seq').pluck().all()).toEqual([first, second]);
    });

    it('keeps any text as it was given: NUL, CR, astral characters, an empty nick, a status prefix', () => {
      const { store } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      const odd = ['a\0b\rc', '😀 ünïcödé', ''];
      odd.forEach((body, i) => store.record('u@x', line({ id: `o${i}`, at: T + i, body, nick: i === 2 ? '' : `n${i}` })));
      store.record('u@x', line({ id: 'st', at: T + 5, body: '[to @] ops', statusPrefix: '@+' }));
      const got = page(store.query('u@x', NET, '#chan', { max: 50 })).lines;
      expect(got.map((l) => [l.id, l.nick, l.body, l.statusPrefix])).toEqual([
        ['o0', 'n0', odd[0], undefined],
        ['o1', 'n1', odd[1], undefined],
        ['o2', '', odd[2], undefined],
        ['st', 'bob', '[to @] ops', '@+'],
      ]);
    });

    // Transactions are counted on this connection, where only the inline writer commits:
    it('a batch handed over in parts: its lines are found by has() and a replay is not stored again', () => {
      const { db, store, sync } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      const lines = 2 * PART_LINES + 100;
      for (let i = 0; i < lines; i++) store.record('u@x', line({ id: `p${i}`, at: T + i }));
      expect(store.has(NET, '#chan', 'p5')).toBe(true); // in a part handed over
      expect(store.record('v@x', line({ id: 'p5', at: T + 5 }))).toBe('p5');
      expect(store.has(NET, '#chan', `p${lines - 1}`)).toBe(true);
      for (let i = 0; i < PART_LINES; i++) store.record('u@x', line({ id: `q${i}`, at: T + lines + i }));
      // A STATUSMSG copy of a line handed over in a part names that line.
      store.record('u@x', line({ id: 's1', at: T + 5_000, statusPrefix: '@' }));
      for (let i = 0; i < PART_LINES; i++) store.record('u@x', line({ id: `r${i}`, at: T + 6_000 + i }));
      expect(store.record('v@x', line({ id: 's1', at: T + 5_000, statusPrefix: '@' }))).toBe('s1');
      sync();
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(lines + 2 * PART_LINES + 1);
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(lines + 2 * PART_LINES + 1);
      expect(db.prepare('SELECT jid FROM archive_status_recipients ORDER BY jid').pluck().all()).toEqual(['u@x', 'v@x']);
    });

    // defined for that writer alone rather than skipped for the other.
    if (mode !== 'worker') it('queued lines are written in one transaction per flush, or per full batch', () => {
      const { db, store, transactions } = setup(place, { batchSize: 4 });
      store.openSpan('u@x', NET, '#chan', T);
      store.flush(); // the span's own transaction
      const before = transactions();
      for (let i = 0; i < 3; i++) store.record('u@x', line({ at: T + i }));
      expect(transactions()).toBe(before);
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(0);
      store.flush();
      expect(transactions()).toBe(before + 1);
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(3);
      store.flush(); // nothing queued: no transaction
      expect(transactions()).toBe(before + 1);
      for (let i = 0; i < 10; i++) store.record('u@x', line({ at: T + 10 + i }));
      expect(transactions()).toBe(before + 3); // two full batches of 4
      expect(page(store.query('u@x', NET, '#chan', { max: 50 })).lines).toHaveLength(13); // a read flushes
      expect(transactions()).toBe(before + 4);
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(13);
    });

    if (mode !== 'worker') it('a batch larger than a part is still one transaction', () => {
      const { db, store, transactions } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      store.flush();
      const before = transactions();
      for (let i = 0; i < 3 * PART_LINES + 7; i++) store.record('u@x', line({ at: T + i }));
      expect(transactions()).toBe(before);
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(0);
      store.flush();
      expect(transactions()).toBe(before + 1);
      expect(db.prepare('SELECT count(*) FROM archive_lines').pluck().get()).toBe(3 * PART_LINES + 7);
    });
  });

  describe('text', () => {
    it('reads back every line as recorded: any script, emoji, status prefixes, long bodies, many batches', () => {
      const { store } = setup(place, { batchSize: 600 });
      store.openSpan('u@x', NET, '#chan', T);
      const bodies = ['café ☕ naïve', '日本語のテキスト', '😀 two 👩‍👩‍👧 emoji', '', 'x'.repeat(4000)];
      const recorded: Array<{ id: string; nick: string; body: string; statusPrefix?: string }> = [];
      for (let i = 0; i < 1200; i++) {
        const body = `${bodies[i % bodies.length]!} ${i}`;
        const nick = i % 7 === 0 ? 'ñick' : 'bob';
        const statusPrefix = i % 5 === 0 ? '@' : undefined;
        const id = store.record('u@x', line({ id: `t€${i}`, at: T + i, nick, body, ...(statusPrefix ? { statusPrefix } : {}) }));
        recorded.push({ id, nick, body, ...(statusPrefix ? { statusPrefix } : {}) });
      }
      const read: typeof recorded = [];
      let after: string | undefined;
      for (;;) {
        const p = page(store.query('u@x', NET, '#chan', { max: 100, ...(after ? { after } : {}) }));
        for (const l of p.lines) read.push({ id: l.id, nick: l.nick, body: l.body, ...(l.statusPrefix ? { statusPrefix: l.statusPrefix } : {}) });
        if (p.complete) break;
        after = p.lines.at(-1)!.id;
      }
      expect(read).toEqual(recorded);
    });

    it('a copy of a line with a server msgid that shares no parsed line with the first is still stored once', () => {
      const { db, store, sync } = setup(place);
      for (const u of ['a@x', 'b@x']) store.openSpan(u, NET, '#chan', T);
      expect(store.record('a@x', line({ id: 'm7', at: T + 1, source: {} }))).toBe('m7');
      expect(store.record('b@x', line({ id: 'm7', at: T + 2, source: {} }))).toBe('m7');
      expect(store.record('b@x', line({ id: 'm7', at: T + 3 }))).toBe('m7');
      sync();
      expect(db.prepare('SELECT id, at FROM archive_lines').all()).toEqual([{ id: 'm7', at: T + 1 }]);
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(1);
    });
  });

  describe('queries', () => {
    /** Lines 0..9 at T+0..T+9 s from nicks bob/Carol alternately, a topic at T+5.5 s. */
    function ten(place: () => Db) {
      const s = setup(place);
      s.store.openSpan('u@x', NET, '#chan', T);
      for (let i = 0; i < 10; i++) s.store.record('u@x', line({ id: `l${i}`, at: T + i * 1000, nick: i % 2 ? 'Carol[1]' : 'bob' }));
      s.store.record('u@x', line({ id: 'topic', at: T + 5500, kind: 'topic', body: 'new topic' }));
      return s;
    }
    const all = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'topic', 'l6', 'l7', 'l8', 'l9'];

    it('pages forward with after and backward with before, "" being the last page', () => {
      const { store } = ten(place);
      const q = (x: Partial<ArchiveQuery>) => store.query('u@x', NET, '#chan', { max: 3, ...x });
      expect(page(q({}))).toEqual({ lines: expect.any(Array), complete: false });
      expect(ids(q({}))).toEqual(['l0', 'l1', 'l2']);
      expect(ids(q({ after: 'l2' }))).toEqual(['l3', 'l4', 'l5']);
      expect(page(q({ after: 'l7' })).complete).toBe(true);
      expect(ids(q({ after: 'l7' }))).toEqual(['l8', 'l9']);
      expect(ids(q({ before: '' }))).toEqual(['l7', 'l8', 'l9']);
      expect(ids(q({ before: 'l7' }))).toEqual(['l5', 'topic', 'l6']);
      expect(page(q({ before: 'l2' }))).toMatchObject({ complete: true });
      expect(ids(q({ before: 'l2' }))).toEqual(['l0', 'l1']);
      expect(ids(q({ after: 'l1', before: 'l9' }))).toEqual(['l6', 'l7', 'l8']); // the last page between
      expect(ids(q({ max: 50 }))).toEqual(all);
      // the whole set in one page: count and index are known
      expect(page(q({ max: 50 }))).toMatchObject({ complete: true, count: 11, firstIndex: 0 });
      expect(page(q({ max: 50, before: '' }))).toMatchObject({ complete: true, count: 11, firstIndex: 0 });
      expect(page(q({ max: 50, after: 'l0' }))).not.toHaveProperty('count');
      // max 0: the count only (XEP-0059 §2.7)
      expect(page(q({ max: 0 }))).toEqual({ lines: [], complete: false, count: 11 });
      expect(page(q({ max: 0, after: 'l8' }))).toEqual({ lines: [], complete: false, count: 1 });
      expect(q({ after: 'nope' })).toEqual({ kind: 'unknown-id', id: 'nope' });
      expect(q({ before: 'nope' })).toEqual({ kind: 'unknown-id', id: 'nope' });
    });

    it('filters by time (inclusive), nick under the casemapping, before-id/after-id, ids, and text only', () => {
      const { store } = ten(place);
      const q = (x: Partial<ArchiveQuery>) => ids(store.query('u@x', NET, '#chan', { max: 50, ...x }));
      expect(q({ start: T + 2000, end: T + 4000 })).toEqual(['l2', 'l3', 'l4']);
      expect(q({ start: T + 9000 })).toEqual(['l9']);
      expect(q({ start: T + 5000, end: T + 1000 })).toEqual([]);
      expect(q({ nick: 'carol{1}' })).toEqual(['l1', 'l3', 'l5', 'l7', 'l9']); // rfc1459: [ is {
      expect(q({ nick: 'BOB', start: T + 5000 })).toEqual(['topic', 'l6', 'l8']);
      expect(q({ afterId: 'l6', beforeId: 'l9' })).toEqual(['l7', 'l8']);
      expect(q({ afterId: 'l6', before: '', max: 1 })).toEqual(['l9']);
      expect(q({ ids: ['l9', 'l1', 'l1', 'topic'] })).toEqual(['l1', 'topic', 'l9']);
      expect(q({ ids: ['l9', 'l1', 'l4'], max: 2 })).toEqual(['l1', 'l4']);
      expect(q({ ids: ['l9', 'l1', 'l4'], max: 2, before: '' })).toEqual(['l4', 'l9']);
      expect(q({ ids: ['l9', 'l1'], nick: 'bob' })).toEqual([]);
      expect(store.query('u@x', NET, '#chan', { max: 50, ids: ['l1', 'zz'] })).toEqual({ kind: 'unknown-id', id: 'zz' });
      expect(store.query('u@x', NET, '#chan', { max: 50, afterId: 'zz' })).toEqual({ kind: 'unknown-id', id: 'zz' });
      expect(q({ textOnly: true, start: T + 5000, end: T + 6000 })).toEqual(['l5', 'l6']);
      expect(page(store.query('u@x', NET, '#chan', { max: 50, ids: ['topic'] })).lines[0]).toEqual({
        id: 'topic',
        at: T + 5500,
        nick: 'bob',
        kind: 'topic',
        body: 'new topic',
      });
    });

    it('a nick filter reads a bounded number of lines: what it found so far, or too-costly when it found none', () => {
      const { store } = setup(place);
      store.openSpan('u@x', NET, '#chan', T);
      store.record('u@x', line({ id: 'first', at: T, nick: 'carol' }));
      for (let i = 1; i <= WITH_SCAN_LIMIT; i++) store.record('u@x', line({ id: `b${i}`, at: T + i }));
      store.record('u@x', line({ id: 'last', at: T + WITH_SCAN_LIMIT + 1, nick: 'Carol' }));
      expect(store.query('u@x', NET, '#chan', { max: 5, nick: 'nobody' })).toEqual({ kind: 'too-costly', scanned: WITH_SCAN_LIMIT });
      expect(store.query('u@x', NET, '#chan', { max: 0, nick: 'nobody' })).toEqual({ kind: 'too-costly', scanned: WITH_SCAN_LIMIT });
      expect(page(store.query('u@x', NET, '#chan', { max: 5, nick: 'carol', before: '' }))).toEqual({
        lines: [expect.objectContaining({ id: 'last' })],
        complete: false,
      });
      // narrowed by time, the first one is found
      expect(ids(store.query('u@x', NET, '#chan', { max: 5, nick: 'carol', end: T + 10 }))).toEqual(['first']);
    });

    it('metadata gives the oldest and newest readable line; newest() the channel’s newest for anybody', () => {
      const { store } = ten(place);
      expect(store.metadata('u@x', NET, '#chan')).toEqual({ oldest: { id: 'l0', at: T }, newest: { id: 'l9', at: T + 9000 } });
      expect(store.metadata('nobody@x', NET, '#chan')).toBeUndefined();
      expect(store.metadata('u@x', NET, '#none')).toBeUndefined();
      expect(store.newest(NET, '#Chan')).toEqual({ id: 'l9', at: T + 9000 });
      expect(store.newest(NET, '#none')).toBeUndefined();
    });
  });

  describe('retention', () => {
    it('prunes old lines, lines beyond the maximum and unreadable lines in bounded chunks, then the spans and the channel', () => {
      const { db, store } = setup(place, { retentionDays: 2, maxPerChannel: 5, pruneBudget: 3 });
      const now = T + 10 * DAY;
      store.openSpan('u@x', NET, '#old', T);
      for (let i = 0; i < 7; i++) store.record('u@x', line({ channel: '#old', at: T + i }));
      store.closeSpan('u@x', NET, '#old', T + 10);
      store.openSpan('u@x', NET, '#busy', now - DAY);
      for (let i = 0; i < 8; i++) store.record('u@x', line({ id: `b${i}`, channel: '#busy', at: now - DAY + i }));
      store.record('u@x', line({ id: 'outside', channel: '#busy', at: now - 2 * DAY + 5 })); // before any span
      const chunks: boolean[] = [];
      let more = true;
      while (more) chunks.push((more = store.prune(now)));
      expect(chunks.length).toBeGreaterThan(3); // 7 + 3 + 1 lines at 3 per chunk
      expect(chunks.at(-1)).toBe(false);
      expect(ids(store.query('u@x', NET, '#busy', { max: 50 }))).toEqual(['b3', 'b4', 'b5', 'b6', 'b7']);
      expect(store.has(NET, '#busy', 'outside')).toBe(false);
      expect(store.query('u@x', NET, '#old', { max: 50 })).toEqual({ kind: 'no-span' });
      expect(db.prepare('SELECT channel, line_count FROM archive_channels').all()).toEqual([{ channel: '#busy', line_count: 5 }]);
      expect(store.prune(now)).toBe(true); // a new pass
      expect(store.prune(now)).toBe(false);
    });

    it('removeUser deletes their spans and receipts, then the lines nobody else can read', () => {
      const { db, store } = setup(place, { pruneBudget: 2 });
      store.openSpan('gone@x', NET, '#chan', T);
      for (let i = 0; i < 5; i++) store.record('gone@x', line({ id: `early${i}`, at: T + i }));
      store.openSpan('stays@x', NET, '#chan', T + 10);
      store.record('gone@x', line({ id: 'shared', at: T + 11 }));
      store.record('gone@x', line({ id: 'ops', at: T + 12, statusPrefix: '@' }));
      store.closeSpan('stays@x', NET, '#chan', T + 20);
      store.record('gone@x', line({ id: 'late', at: T + 21 }));
      let more = store.removeUser('gone@x');
      expect(store.hasSpan('gone@x', NET, '#chan')).toBe(false);
      expect(store.query('gone@x', NET, '#chan', { max: 50 })).toEqual({ kind: 'no-span' });
      expect(db.prepare("SELECT count(*) FROM archive_status_recipients WHERE jid = 'gone@x'").pluck().get()).toBe(0);
      expect(more).toBe(true); // 6 unreadable lines, 2 per chunk
      while (more) more = store.prune(T + 21);
      expect(db.prepare('SELECT id FROM archive_lines ORDER BY at').pluck().all()).toEqual(['shared']);
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(1);
      expect(ids(store.query('stays@x', NET, '#chan', { max: 50 }))).toEqual(['shared']);
    });
  });

  describe('casemapping', () => {
    it('folds channel names rfc1459 until told, then by the network’s mapping; a wider fold merges channels', () => {
      const { db, store } = setup(place);
      store.openSpan('u@x', NET, '#a[1]', T);
      store.record('u@x', line({ id: 'x', channel: '#A{1}', at: T + 1 }));
      expect(ids(store.query('u@x', NET, '#a[1]', { max: 50 }))).toEqual(['x']);
      store.useCaseMapping(NET, 'ascii');
      // the row now folds by its last spelling, #A{1} → #a{1}
      expect(ids(store.query('u@x', NET, '#a{1}', { max: 50 }))).toEqual(['x']);
      expect(store.query('u@x', NET, '#a[1]', { max: 50 })).toEqual({ kind: 'no-span' });
      store.openSpan('u@x', NET, '#a[1]', T);
      store.record('u@x', line({ id: 'y', channel: '#a[1]', at: T + 2 }));
      store.record('u@x', line({ id: 'x', channel: '#a[1]', at: T + 1 })); // the same id in the other channel
      expect(db.prepare('SELECT count(*) FROM archive_channels').pluck().get()).toBe(2);
      store.useCaseMapping(NET, 'rfc1459');
      expect(db.prepare('SELECT channel_folded, line_count FROM archive_channels').all()).toEqual([{ channel_folded: '#a{1}', line_count: 2 }]);
      expect(ids(store.query('u@x', NET, '#A[1]', { max: 50 }))).toEqual(['x', 'y']);
      store.useCaseMapping(NET, 'rfc1459'); // idempotent
      expect(ids(store.query('u@x', NET, '#a{1}', { max: 50 }))).toEqual(['x', 'y']);
    });
  });
});

describe('the worker writer', () => {
  it('refuses :memory:, which a second connection cannot open', () => {
    expect(() => new SqliteArchiveStore(DB_PLACES[0]![1](), { retentionDays: 1, maxPerChannel: 10, writer: 'worker' })).toThrow(/database file/);
  });

  it('hands batches over without waiting; a read waits for them; close() writes the last one', () => {
    const db = DB_PLACES[1]![1]();
    const store = new SqliteArchiveStore(db, { retentionDays: 30, maxPerChannel: 1000, writer: 'worker' });
    store.openSpan('u@x', NET, '#chan', T);
    for (let i = 0; i < 100; i++) store.record('u@x', line({ id: `w${i}`, at: T + i }));
    store.flush();
    expect(page(store.query('u@x', NET, '#chan', { max: 0 })).count).toBe(100);
    store.record('u@x', line({ id: 'last', at: T + 1000 }));
    store.close();
    expect(db.prepare("SELECT count(*) FROM archive_lines WHERE id = 'last'").pluck().get()).toBe(1);
  });

  it('a store that never archived a line reads and closes without its writer (started at the first batch)', () => {
    const db = DB_PLACES[1]![1]();
    const store = new SqliteArchiveStore(db, { retentionDays: 30, maxPerChannel: 1000, writer: 'worker' });
    store.openSpan('u@x', NET, '#chan', T);
    store.flush();
    expect(page(store.query('u@x', NET, '#chan', { max: 0 })).count).toBe(0);
    store.close();
  });
});

describe('archiveFromConfig', () => {
  it('applies [history]: retention and the per-channel maximum', () => {
    const cfg = parseConfig('[component]\njid = "irc.localhost"\nsecret = "s"\n[history]\nretention_days = 1\nmax_messages_per_channel = 100\n', 'f.toml');
    for (const [, place] of DB_PLACES) {
      const db = place();
      const store = archiveFromConfig(db, cfg.history);
      store.openSpan('u@x', NET, '#chan', T);
      for (let i = 0; i < 150; i++) store.record('u@x', line({ at: T + i }));
      store.record('u@x', line({ id: 'old', at: T - 2 * DAY }));
      while (store.prune(T + 1000));
      expect(db.prepare('SELECT line_count FROM archive_channels').pluck().get()).toBe(100);
      expect(store.has(NET, '#chan', 'old')).toBe(false);
      store.close();
    }
  });
});
