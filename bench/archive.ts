/**
 * Benchmark of the history archive (src/store/archive-store.ts): `npm run bench:archive`.
 *
 * Why: issue 10 §7 — a MAM page of 50 from a channel with 1,000,000 archived lines in
 * under 10 ms, a database that grows with lines and not lines × users, and archive
 * writes cheap enough to cost at most 10 % of fan-out throughput.
 *
 * What is measured, on a real database file (WAL, as in production):
 * 1. fill: LINES lines into one channel through `record` + `flush` (batches as the bridge
 *    makes them), three users with spans: `all` in the channel the whole time, `half` in
 *    the second half only, `sparse` in for ten short spans;
 * 2. size: the database file (after a WAL checkpoint) per million lines;
 * 3. MAM page of 50: the last page (`before` ''), pages after a random id, pages before a
 *    random id, for each user, as median and p99 of QUERIES queries;
 * 4. write cost: µs per 1,000 recorded lines spread over 100 channels, flushed every 100
 *    lines or once: median, p90 and max of REPS runs, and the share spent in `record`
 *    (the rest is the SQLite transaction); the same with 5 users' connections recording
 *    each line (the dedup path: one copy stored). Every commit writes each page it touched
 *    to the WAL, so commits that each touch many channels cost more than fewer, larger
 *    ones. The max includes the WAL checkpoints SQLite runs every 1,000 pages (fsync).
 *    A row runs the same on `:memory:`: the SQLite work without the disk; the last with the
 *    worker writer (archive-writer.ts), where the event loop only hands the batch over.
 *
 * Wall and CPU time (user + system of the process) are both given: on a shared machine a
 * wall-clock p99 shows the scheduler's time slices (multiples of 4 ms) of other
 * processes; the CPU time is the work the archive itself did.
 *
 * Arguments: `--lines N` (default 1,000,000). The environment variable BENCH_PRAGMA
 * (e.g. `cache_size=-65536`) sets pragmas on the connection first, to compare settings.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ArchiveLine } from '../src/core/history/archive-port.js';
import { openDatabase } from '../src/store/database.js';
import { SqliteArchiveStore } from '../src/store/archive-store.js';
import { median } from './measure.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};

const LINES = arg('lines', 1_000_000);
const QUERIES = 400;
const REPS = 30;
const NET = 'irc.bench.example';
const CHAN = '#bench';
const T0 = Date.UTC(2026, 0, 1);
const STEP_MS = 50; // one line every 50 ms: 1M lines ≈ 14 hours
const BODY = 'hello there, an IRC message of an ordinary length with a few words in it';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (n: number): string => `${n.toFixed(3)} ms`;

function line(i: number, channel = CHAN): ArchiveLine {
  return {
    id: `m${i.toString(36)}-${(i * 2654435761) % 1_000_003}`,
    serverId: true,
    network: NET,
    channel,
    at: T0 + i * STEP_MS,
    nick: `nick${i % 37}`,
    kind: i % 50 === 0 ? 'action' : 'privmsg',
    body: `${BODY} #${i}`,
  };
}

function main(): void {
  console.log(
    `Jabirc archive benchmark · node ${process.version} · ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)} · ${LINES.toLocaleString('en-US')} lines`,
  );
  console.log(`reproduce: npm run bench:archive${LINES === 1_000_000 ? '' : ` -- --lines ${LINES}`}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'jabirc-bench-archive-'));
  const path = join(dir, 'archive.sqlite');
  const { db } = openDatabase(path);
  if (process.env.BENCH_PRAGMA) for (const p of process.env.BENCH_PRAGMA.split(';')) db.pragma(p);
  // Only explicit flushes, so that the batches are the ones measured.
  const store = new SqliteArchiveStore(db, { retentionDays: 3650, maxPerChannel: 10 * LINES, batchSize: 1_000_000 });

  // 1. fill
  store.openSpan('all@bench', NET, CHAN, T0);
  store.openSpan('half@bench', NET, CHAN, T0 + (LINES / 2) * STEP_MS);
  // sparse: in for 1/1000 of the time at the start of each tenth of the archive
  for (let k = 0; k < 10; k++) {
    const at = T0 + ((k * LINES) / 10) * STEP_MS;
    store.openSpan('sparse@bench', NET, CHAN, at);
    store.closeSpan('sparse@bench', NET, CHAN, at + (LINES / 1000) * STEP_MS);
  }
  const fillStart = performance.now();
  for (let i = 0; i < LINES; i++) {
    store.record('all@bench', line(i));
    if (i % 100 === 99) store.flush(); // a tick's worth
  }
  store.flush();
  const fillMs = performance.now() - fillStart;
  console.log(`fill: ${LINES.toLocaleString('en-US')} lines in ${(fillMs / 1000).toFixed(1)} s (${Math.round((LINES * 1000) / fillMs).toLocaleString('en-US')} lines/s)`);

  // 2. size
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(path).size;
  console.log(`size: ${(bytes / 2 ** 20).toFixed(1)} MiB for ${LINES.toLocaleString('en-US')} lines = ${((bytes / LINES) * 1e6 / 2 ** 20).toFixed(1)} MiB per million lines (${Math.round(bytes / LINES)} B/line; body ${BODY.length + 8} chars)`);

  // 3. MAM pages of 50
  const ids: string[] = [];
  for (let i = 0; i < QUERIES; i++) ids.push(line(Math.floor(Math.random() * LINES)).id!);
  console.log('\nMAM page of 50              wall: median       p99   cpu: median       p99');
  for (const user of ['all@bench', 'half@bench', 'sparse@bench']) {
    const visible = (id: string): boolean => store.query(user, NET, CHAN, { max: 1, ids: [id] }).kind === 'page';
    const mine = ids.filter(visible);
    const cursors = mine.length > 0 ? mine : ids;
    const kinds: Array<[string, (i: number) => Parameters<SqliteArchiveStore['query']>[3]]> = [
      ['last page', () => ({ max: 50, before: '' })],
      ['after a random id', (i) => ({ max: 50, after: cursors[i % cursors.length]! })],
      ['before a random id', (i) => ({ max: 50, before: cursors[i % cursors.length]! })],
    ];
    for (const [name, q] of kinds) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const c = process.cpuUsage();
        const t = performance.now();
        const r = store.query(user, NET, CHAN, q(i));
        times.push(performance.now() - t);
        const used = process.cpuUsage(c);
        cpu.push((used.user + used.system) / 1000);
        if (r.kind !== 'page' && mine.length > 0) throw new Error(`${user} ${name}: ${r.kind}`);
      }
      console.log(
        `${`${user.split('@')[0]} · ${name}`.padEnd(28)}${ms(median(times)).padStart(14)}${ms(percentile(times, 99)).padStart(10)}` +
          `${ms(median(cpu)).padStart(14)}${ms(percentile(cpu, 99)).padStart(10)}`,
      );
    }
  }

  // 4. write cost per 1,000 lines over 100 channels, as a tick's batches of 100
  let n = LINES;
  const memoryDb = openDatabase(':memory:').db;
  const memory = new SqliteArchiveStore(memoryDb, { retentionDays: 3650, maxPerChannel: 10 * LINES, batchSize: 1_000_000 });
  const perThousand = (
    receivers: number,
    reps: number,
    flushEvery = 1000,
    into: SqliteArchiveStore = store,
  ): { record: number[]; total: number[]; cpu: number[] } => {
    const record: number[] = [];
    const total: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      let inRecord = 0;
      const c = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < 1000; i++, n++) {
        const l = { ...line(n, `#w${n % 100}`), serverId: false, id: `w${n}` };
        const r0 = performance.now();
        for (let u = 0; u < receivers; u++) into.record(`u${u}@bench`, l);
        inRecord += performance.now() - r0;
        if (i % flushEvery === flushEvery - 1) into.flush();
      }
      total.push((performance.now() - t) * 1000);
      const used = process.cpuUsage(c);
      cpu.push(used.user + used.system);
      record.push(inRecord * 1000);
    }
    return { record, total, cpu };
  };
  const µs = (v: number): string => Math.round(v).toLocaleString('en-US');
  perThousand(1, 3); // warm the statements and the channel rows
  perThousand(1, 3, 1000, memory);
  const inMemory = perThousand(1, REPS, 1000, memory);
  const workerStore = new SqliteArchiveStore(openDatabase(join(dir, 'worker.sqlite')).db, {
    retentionDays: 3650,
    maxPerChannel: 10 * LINES,
    batchSize: 1_000_000,
    writer: 'worker',
  });
  perThousand(1, 3, 1000, workerStore);
  const worker = perThousand(1, REPS, 1000, workerStore);
  const committed = performance.now();
  workerStore.newest(NET, '#w0'); // waits for the worker
  const waited = (performance.now() - committed) * 1000;
  const tick = perThousand(1, REPS, 100);
  const one = perThousand(1, REPS);
  const five = perThousand(5, REPS);
  console.log(`\nwrite, µs per 1,000 lines (${REPS} runs)   wall: median      p90      max  cpu: median  in record()`);
  for (const [name, f] of [
    ['1 connection, a flush every 100 lines', tick],
    ['1 connection, one flush per 1,000', one],
    ['5 connections each (stored once), 1 flush', five],
    ['1 connection, 1 flush, :memory: (no disk)', inMemory],
    ['1 connection, 1 flush, worker writer', worker],
  ] as const) {
    console.log(
      `${name.padEnd(42)}${µs(median(f.total)).padStart(9)}${µs(percentile(f.total, 90)).padStart(9)}${µs(Math.max(...f.total)).padStart(9)}` +
        `${µs(median(f.cpu)).padStart(13)}${µs(median(f.record)).padStart(13)}`,
    );
  }
  const count = "SELECT count(*) FROM archive_lines WHERE id LIKE 'w%'";
  const stored = (db.prepare(count).pluck().get() as number) + (memoryDb.prepare(count).pluck().get() as number);
  console.log(`${stored.toLocaleString('en-US')} rows stored for ${(n - LINES - 1000 * (REPS + 3)).toLocaleString('en-US')} distinct lines (and the worker's ${(1000 * (REPS + 3)).toLocaleString('en-US')}); the max includes WAL checkpoints (fsync)`);
  console.log(`worker writer: the event loop pays for record() and the hand-over; the worker committed the last batch ${µs(waited)} µs after it`);
  workerStore.close();

  db.close();
  rmSync(dir, { recursive: true, force: true });
}

main();
