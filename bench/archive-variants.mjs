// A copy of a built Jabirc whose archive writer thread does less, to measure what a
// cheaper writer would buy on fan-out before building it (issue 10 §7). Not a gateway:
// after its first 3 batches (written as usual, so the bench finds lines) the thread
//   noop    commits every batch without writing it (the ceiling: a free writer);
//   blocks  writes each part of 512 lines as one row (numbers BLOB, strings TEXT, as handed
//           over) and one (channel_id, id) -> seq row per line, into side tables: the
//           work of the block layout of bench/archive-layouts.mjs, not readable by the store.
//   node bench/archive-variants.mjs <built dir> <noop|blocks> <out dir>
// then, e.g., `node --expose-gc bench/archive-ab.mjs <built dir> <out dir> 200000 one` (B/A
// per thread in one process) or `BENCH_SECTIONS=5 node <out dir>/dist/bench/run.js`.
// Findings: see the commit that added this file and bench/archive-layouts.mjs.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [from, variant, out] = process.argv.slice(2);
if (!from || !out || !['noop', 'blocks'].includes(variant)) {
  console.error('usage: archive-variants.mjs <built dir> <noop|blocks> <out dir>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
cpSync(join(from, 'dist'), join(out, 'dist'), { recursive: true });
cpSync(join(from, 'package.json'), join(out, 'package.json'));
if (!existsSync(join(out, 'node_modules'))) symlinkSync(resolve(from, 'node_modules'), join(out, 'node_modules'));

const BLOCKS = `
  db.exec('CREATE TABLE IF NOT EXISTS v_blocks (channel_id INTEGER NOT NULL, first_at INTEGER NOT NULL, first_seq INTEGER NOT NULL, lines INTEGER NOT NULL, nums BLOB NOT NULL, text TEXT NOT NULL, PRIMARY KEY (channel_id, first_at, first_seq)) STRICT, WITHOUT ROWID;' +
    'CREATE TABLE IF NOT EXISTS v_ids (channel_id INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (channel_id, id)) STRICT, WITHOUT ROWID;');
  const block = db.prepare('INSERT OR IGNORE INTO v_blocks VALUES (?, ?, ?, ?, ?, ?)');
  const ids32 = db.prepare('INSERT OR IGNORE INTO v_ids VALUES ' + new Array(32).fill('(?, ?, ?)').join(', '));
  const ids1 = db.prepare('INSERT OR IGNORE INTO v_ids VALUES (?, ?, ?)');
  let held = [];
  const write = db.transaction((parts) => {
    for (const { lines, nums, text } of parts) {
      if (lines === 0) continue;
      block.run(nums[0], nums[1], nums[2], lines, Buffer.from(nums.buffer, nums.byteOffset, lines * 8 * workerData.lineNums), text);
      const args = [];
      for (let i = 0, o = 0, p = 0; i < lines; i++, o += workerData.lineNums) {
        args.push(nums[o], text.slice(p, p + nums[o + 4]), nums[o + 2]);
        p += nums[o + 4] + nums[o + 5] + nums[o + 6] + Math.max(0, nums[o + 7]);
        if (args.length === 96) { ids32.run(...args); args.length = 0; }
      }
      for (let k = 0; k < args.length; k += 3) ids1.run(args[k], args[k + 1], args[k + 2]);
    }
  });
  const variantPart = (part) => { held.push(part); if (part.commit) { const parts = held; held = []; write(parts); } };`;
const hook = `
let committed = 0;
${variant === 'blocks' ? BLOCKS : 'const variantPart = () => {};'}
parentPort.on('message', (part) => {
  if (committed >= 3) {
    variantPart(part);
    if (part.commit) { Atomics.add(state, 0, 1); Atomics.notify(state, 0); }
    return;
  }
  if (part.commit) committed++;`;
const file = join(out, 'dist/src/store/archive-writer.js');
const anchor = "\nparentPort.on('message', (part) => {";
const text = readFileSync(file, 'utf8');
if (text.split(anchor).length !== 2) throw new Error(`${file}: the worker's message handler was not found once; archive-writer.ts changed`);
writeFileSync(file, text.replace(anchor, hook));
console.log(`${out}: archive writer variant ${variant}`);
