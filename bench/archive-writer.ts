/**
 * The archive writer's SQL work alone (archive-writer.ts), without the bridge or the
 * hand-off: CPU µs per line for the writer the worker runs, on a database file (WAL, as
 * main.ts opens it), batches of 5,000 lines as the store makes them, one channel. Run with
 * `npm run build && node dist/bench/archive-writer.js [--lines N]`.
 *
 * Why: issue 10 §7 — on 2 shared cores the worker's SQLite work competes with the event
 * loop, so its cost per line is the archive's cost in fan-out throughput (npm run bench
 * §5). Three kinds of ids, each its own database, their batches alternating so that drift
 * of a shared machine hits all three:
 * - `msgid n` : a server msgid per line as `npm run bench` §5 sends (`on1-<n>`), nearly in
 *   the id index's order;
 * - `no msgid`: the id the store names a line by (archive-store.ts #newId), in its order;
 * - `random msgid`: a random server msgid (as UnrealIRCd's or Ergo's): every insert into
 *   the id index lands on another page, so a commit writes a page per line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchBuilder, inlineBatchWriter } from '../src/store/archive-writer.js';
import { openDatabase } from '../src/store/database.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const LINES = arg('lines', 300_000);
const BATCH = 5_000;
const BODY = 'hello there, an IRC message of an ordinary length with a few words';

const random = (): string => Math.random().toString(36).slice(2, 12) + Math.random().toString(36).slice(2, 12);
const kinds: Array<{ name: string; id: (n: number, seq: number) => string }> = [
  { name: 'msgid n', id: (n) => `on1-${n}` },
  { name: 'no msgid', id: (_n, seq) => `${seq.toString(16)}-0a1b2c3d` },
  { name: 'random msgid', id: () => random() },
];

const dir = mkdtempSync(join(tmpdir(), 'jabirc-bench-writer-'));
const runs = kinds.map((k, i) => {
  const { db } = openDatabase(join(dir, `w${i}.sqlite`));
  // As the worker opens its connection (archive-writer.ts WORKER_SOURCE).
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -65536');
  const channelId = Number(db.prepare("INSERT INTO archive_channels (network, channel_folded, channel) VALUES ('n', '#c', '#c')").run().lastInsertRowid);
  return { ...k, db, channelId, writer: inlineBatchWriter(db), cpu: [] as number[] };
});

console.log(`Jabirc archive writer benchmark · node ${process.version} · ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)} · ${LINES.toLocaleString('en-US')} lines each`);
let seq = Date.now() * 1000;
const at = Date.now();
for (let b = 0, n = 0; b < LINES / BATCH; b++) {
  const first = n;
  const order = b % 2 === 0 ? runs : [...runs].reverse();
  for (const r of order) {
    n = first;
    const q = new BatchBuilder();
    for (let i = 0; i < BATCH; i++, n++) q.line(r.channelId, at + (n >> 4), seq + n, r.id(n, seq + n), 'irc1_0', 0, `${BODY} ${n}`, undefined);
    const parts = q.take();
    const c = process.cpuUsage();
    r.writer.write(parts);
    const u = process.cpuUsage(c);
    r.cpu.push((u.user + u.system) / BATCH);
  }
}
const q = (xs: number[], p: number): string => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)]!.toFixed(2);
for (const r of runs) {
  const stored = r.db.prepare('SELECT count(*) FROM archive_lines').pluck().get() as number;
  if (stored !== LINES) throw new Error(`${r.name}: ${stored} lines stored, expected ${LINES}`);
  console.log(`  ${r.name.padEnd(13)} CPU µs per line: median ${q(r.cpu, 0.5)} (quartiles ${q(r.cpu, 0.25)}–${q(r.cpu, 0.75)})`);
  r.db.close();
}
rmSync(dir, { recursive: true, force: true });
