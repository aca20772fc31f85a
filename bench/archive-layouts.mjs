// What the archive writer's SQLite work per line would cost under other table layouts than
// migration 7's (one row per line, clustered by (channel_id, at, seq), plus the unique
// (channel_id, id) index): a prototype for issue 10 §7, not used by the gateway.
//   npm run build && node bench/archive-layouts.mjs [lines=300000]
//
// Each layout gets its own database file (WAL, synchronous NORMAL, 64 MiB cache, as the
// worker opens its connection), batches of 5,000 lines of one channel as the store makes
// them (BatchBuilder parts of 512 lines), each line with a server msgid `on1-<n>` as
// `npm run bench` §5 rows 1 and 5 send; the layouts' batches alternate so drift of a shared
// machine hits all of them. Printed: CPU µs per line (median, quartiles) and file bytes per
// line after a checkpoint.
//   rows+id     migration 7 as the worker writes it (inlineBatchWriter, the real code);
//   rows        the same rows without the id index (a lower bound for any layout that keeps
//               a row per line; it loses dedup and lookups by id);
//   blocks+id   a row per part of 512 lines (its numbers as a BLOB, its strings as TEXT,
//               stored as handed over, no decoding), plus a (channel_id, id) -> seq row per
//               line for dedup and lookups by id;
//   blocks      the blocks alone (no lookup by id: not a usable layout, a floor).
//
// Findings (2026-12-02 02:00-02:30 UTC, 2 vCPUs, other helpers' load 3-5, two runs):
// - CPU µs a line (median): rows+id 4.70, 4.57; rows 3.20, 3.01; blocks+id 3.31, 2.98;
//   blocks 0.91, 0.90. File bytes a line (~73-character bodies): 167, 132, 181, 154 (the
//   blocks keep 8 float64 numbers a line; a compact encoding would save ~50 bytes).
// - The id row costs ~2-2.4 µs a line here, ~1.5-1.9 in a variant run of its own whatever
//   its shape (id alone, id + seq, id + at + seq, a rowid table, ids bound one by one or as
//   one json_each array): SQLite's unique B-tree insert is the floor. A hashed integer key
//   is worse (~9 µs: each insert lands on a random page). So blocks with a per-line id row
//   buy what dropping the id index buys (~-35 %), no more; only a layout with no per-line
//   id row (~-80 %) makes the writer much cheaper, and that needs lookups by id without an
//   index (ids derived from the position, see the commit).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { BatchBuilder, inlineBatchWriter, LINE_NUMS } = await import(join(root, 'dist/src/store/archive-writer.js'));
const { openDatabase } = await import(join(root, 'dist/src/store/database.js'));
const LINES = Number(process.argv[2] ?? 300_000);
const BATCH = 5_000;
const BODY = 'hello there, an IRC message of an ordinary length with a few words';

/** A layout: its tables, and how it writes one batch's parts in one transaction. */
const layouts = {
  'rows+id': (db) => {
    const w = inlineBatchWriter(db);
    return (parts) => w.write(parts);
  },
  rows: (db) => {
    db.exec('DROP INDEX archive_lines_by_id');
    const w = inlineBatchWriter(db);
    return (parts) => w.write(parts);
  },
  'blocks+id': (db) => blocks(db, true),
  blocks: (db) => blocks(db, false),
};

function blocks(db, withIds) {
  db.exec(`CREATE TABLE archive_blocks (
             channel_id INTEGER NOT NULL, first_at INTEGER NOT NULL, first_seq INTEGER NOT NULL,
             lines INTEGER NOT NULL, nums BLOB NOT NULL, text TEXT NOT NULL,
             PRIMARY KEY (channel_id, first_at, first_seq)) STRICT, WITHOUT ROWID;
           CREATE TABLE archive_ids (channel_id INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
             PRIMARY KEY (channel_id, id)) STRICT, WITHOUT ROWID;`);
  const block = db.prepare('INSERT OR IGNORE INTO archive_blocks VALUES (?, ?, ?, ?, ?, ?)');
  const ids32 = db.prepare(`INSERT OR IGNORE INTO archive_ids VALUES ${new Array(32).fill('(?, ?, ?)').join(', ')}`);
  const ids1 = db.prepare('INSERT OR IGNORE INTO archive_ids VALUES (?, ?, ?)');
  return db.transaction((parts) => {
    for (const { lines, nums, text } of parts) {
      if (lines === 0) continue;
      block.run(nums[0], nums[1], nums[2], lines, Buffer.from(nums.buffer, nums.byteOffset, lines * LINE_NUMS * 8), text);
      if (!withIds) continue;
      const args = [];
      for (let i = 0, o = 0, p = 0; i < lines; i++, o += LINE_NUMS) {
        args.push(nums[o], text.slice(p, p + nums[o + 4]), nums[o + 2]);
        p += nums[o + 4] + nums[o + 5] + nums[o + 6] + Math.max(0, nums[o + 7]);
        if (args.length === 96) {
          ids32.run(...args);
          args.length = 0;
        }
      }
      for (let k = 0; k < args.length; k += 3) ids1.run(args[k], args[k + 1], args[k + 2]);
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'jabirc-bench-layouts-'));
const runs = Object.entries(layouts).map(([name, make], i) => {
  const path = join(dir, `l${i}.sqlite`);
  const { db } = openDatabase(path);
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -65536');
  const channelId = Number(db.prepare("INSERT INTO archive_channels (network, channel_folded, channel) VALUES ('n', '#c', '#c')").run().lastInsertRowid);
  return { name, path, db, channelId, write: make(db), cpu: [] };
});

console.log(`Jabirc archive layouts · node ${process.version} · ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)} · ${LINES.toLocaleString('en-US')} lines each`);
const seq = Date.now() * 1000;
const at = Date.now();
for (let b = 0, n = 0; b < LINES / BATCH; b++) {
  const first = n;
  for (const r of b % 2 === 0 ? runs : [...runs].reverse()) {
    n = first;
    const q = new BatchBuilder();
    for (let i = 0; i < BATCH; i++, n++) q.line(r.channelId, at + (n >> 4), seq + n, `on1-${n}`, 'irc1_0', 0, `${BODY} ${n}`, undefined);
    const parts = q.take();
    const c = process.cpuUsage();
    r.write(parts);
    const u = process.cpuUsage(c);
    r.cpu.push((u.user + u.system) / BATCH);
  }
}
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)].toFixed(2);
for (const r of runs) {
  r.db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = statSync(r.path).size / LINES;
  console.log(`  ${r.name.padEnd(10)} CPU µs per line: median ${quantile(r.cpu, 0.5)} (quartiles ${quantile(r.cpu, 0.25)}–${quantile(r.cpu, 0.75)}); ${bytes.toFixed(0)} bytes per line`);
  r.db.close();
}
rmSync(dir, { recursive: true, force: true });
