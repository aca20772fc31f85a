/**
 * Where the archive's batches are written: on the caller's thread (`inlineBatchWriter`)
 * or on a worker thread with its own connection to the same file (`workerBatchWriter`).
 *
 * Why a worker: issue 10 §7 allows archiving at most 10 % of fan-out throughput. Inserting
 * into two B-trees per line, writing every touched page to the WAL and the checkpoints'
 * fsync cost several µs per line — as much as the bridge spends relaying it (bench/
 * archive.ts). On a worker, the event loop pays only for handing the rows over.
 *
 * Rules:
 * - A batch is one transaction: the lines (INSERT OR IGNORE: an id the channel has
 *   is the same line), the channels' line counts, then the STATUSMSG readers of lines that
 *   are there. It may be handed over in parts (BatchPart, PART_LINES lines each) as they
 *   fill; the writer keeps them until the last part, which commits. Inline `write` returns
 *   when that is committed; on the worker it returns at once.
 * - `sync()` returns when every batch handed over so far is committed (Atomics.wait on a
 *   shared counter; a worker that does not answer within SYNC_TIMEOUT_MS is an error) and
 *   throws if one failed. The store calls it before every other use of the database, so
 *   its reads see every recorded line and its own writes never wait on SQLite's lock.
 * - The worker opens the file as database.ts does (WAL, synchronous NORMAL: a commit is
 *   durable at the next checkpoint, as on the main connection; busy timeout), with the
 *   store's page cache, and runs no migration: the main connection has. Foreign keys are
 *   not checked on its connection (each check was a read of archive_channels per line):
 *   it only inserts lines of channels whose row the main connection committed before the
 *   batch was handed over, and the main connection deletes a channel row only after
 *   `sync()`; a STATUSMSG reader is inserted only where its line is (the EXISTS below).
 * - The worker runs at a lower scheduling priority (nice WORKER_NICE, its thread alone):
 *   on a machine whose cores are all busy the event loop, which relays the live messages,
 *   goes first, and the archive catches up when there is room (reads wait for it, as
 *   always). On an idle core it runs as fast as before.
 * - It is unref'd: `close()` must be called at shutdown (it syncs first), or the last
 *   batch is lost.
 * - The SQL and the loop that writes a batch are one text for both writers (BATCH_SQL,
 *   WRITE_SOURCE): what the tests run inline is what the worker runs.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StoreError, type Db } from './database.js';

/** Numbers per line in a batch: channel_id, at, seq, kind, then the lengths of id, nick, body and status prefix (-1: none). */
export const LINE_NUMS = 8;
/** Numbers per STATUSMSG reader: channel_id, at, seq, then the length of the jid. */
export const RECEIPT_NUMS = 4;

/**
 * Lines per part: a batch is handed over in parts of this many lines as they fill (the
 * last part, whatever its size, commits it), so every piece of memory of a hand-off is
 * small and reused while hot. Handing a batch of 5,000 lines over at once cost ~250 ns a
 * line on the event loop (a 320 kB number array and a 500 kB string, each newly mapped
 * and copied, then copied again by postMessage); parts of 512 ~150 with the pieces joined,
 * less as a rope (see #text) (micro-benchmarks, 2026-12-01, loaded machine).
 */
export const PART_LINES = 512;

/** Lines whose strings are flattened together before they join the part's text (BatchBuilder #chunk). */
export const CHUNK_LINES = 16;

/**
 * A part of a batch as it is handed over: its numbers in one Float64Array (transferred,
 * not copied) and its strings in one string, so the hand-off is two copies of memory
 * rather than a structured clone of an object per line (that was ~0.7 µs a line on the
 * event loop). Lengths, not separators, delimit the strings: a body may hold any character.
 * The parts of one batch are written in one transaction when its last part (`commit`)
 * arrives.
 */
export interface BatchPart {
  readonly lines: number;
  readonly receipts: number;
  /** LINE_NUMS numbers per line, then RECEIPT_NUMS per receipt (channel ids, times and seqs are below 2^53). */
  readonly nums: Float64Array<ArrayBuffer>;
  /** Each line's id, nick, body and status prefix, then each receipt's jid, end to end. */
  readonly text: string;
  /** The batch's last part: write the batch. */
  readonly commit: boolean;
}

/**
 * Collects lines and receipts into parts of the next batch. Full parts wait in `ready()`
 * for the store to hand them over (or not: it may keep them until the batch is taken).
 */
export class BatchBuilder {
  #nums = new Float64Array(LINE_NUMS * PART_LINES);
  #used = 0;
  #partLines = 0;
  /**
   * The part's strings end to end: sealed chunks (#chunk, flat), one rope node each. V8
   * copies the rope flat once, when the part is handed over (postMessage's serializer);
   * about 60 % of the time of joining an array of the pieces (~85 against ~145 ns a line).
   */
  #text = '';
  /**
   * The last few lines' strings, appended as given (slices of the IRC line), flattened and
   * added to #text every CHUNK_LINES lines (#seal), while they are still in the cache. A
   * rope of a whole part's pieces, ~1,500 nodes left among the relay's garbage of 512
   * lines, was walked by postMessage one cache miss after another: in the bench's gateway
   * (1,000 sessions) ~0.55 µs a line of the event loop, a third of the archive's share;
   * 0.15 with chunks of 16, 4 to 64 alike (`perf record` of the event loop's samples under
   * Message::Serialize, 2026-12-02; see the commit that added CHUNK_LINES).
   */
  #chunk = '';
  /** Full parts not yet taken, and the lines they hold. */
  #full: BatchPart[] = [];
  #fullLines = 0;
  /** Lines of the batch handed over already (`ready`). */
  #handed = 0;
  #receipts: number[] = [];
  #receiptTexts: string[] = [];

  /** Lines in the batch since the last take, handed over or held. */
  get lines(): number {
    return this.#handed + this.#fullLines + this.#partLines;
  }

  /** Lines still held (not handed over by `ready`): `at`, `seq` and `forEachLine` number them from 0. */
  get held(): number {
    return this.#fullLines + this.#partLines;
  }

  /** Whether a full part waits for `ready`. */
  get partReady(): boolean {
    return this.#full.length > 0;
  }

  /** Whether part of this batch was handed over (`ready`) since the last take. */
  get handedOver(): boolean {
    return this.#handed > 0;
  }

  /** The time of held line number `i`. */
  at(i: number): number {
    return this.#num(i, 1);
  }

  /** The seq of held line number `i`. */
  seq(i: number): number {
    return this.#num(i, 2);
  }

  /** Calls `f` with each held line's channel id, id and number, in order. */
  forEachLine(f: (channelId: number, id: string, n: number) => void): void {
    let n = 0;
    const each = (lines: number, nums: Float64Array, text: string): void => {
      for (let i = 0, o = 0, p = 0; i < lines; i++, o += LINE_NUMS, n++) {
        f(nums[o]!, text.slice(p, p + nums[o + 4]!), n);
        p += nums[o + 4]! + nums[o + 5]! + nums[o + 6]! + Math.max(0, nums[o + 7]!);
      }
    };
    for (const part of this.#full) each(part.lines, part.nums, part.text);
    this.#seal();
    each(this.#partLines, this.#nums, this.#text);
  }

  get empty(): boolean {
    return this.lines === 0 && this.#receiptTexts.length === 0;
  }

  line(channelId: number, at: number, seq: number, id: string, nick: string, kind: number, body: string, prefix: string | undefined): void {
    const n = this.#nums;
    const o = this.#used;
    const hasPrefix = prefix !== undefined && prefix !== '';
    n[o] = channelId;
    n[o + 1] = at;
    n[o + 2] = seq;
    n[o + 3] = kind;
    n[o + 4] = id.length;
    n[o + 5] = nick.length;
    n[o + 6] = body.length;
    n[o + 7] = hasPrefix ? prefix.length : -1;
    this.#used = o + LINE_NUMS;
    // One store into the builder (an old object: each store of a new string is a write barrier).
    this.#chunk += hasPrefix ? id + nick + body + prefix : id + nick + body;
    if (++this.#partLines % CHUNK_LINES === 0) this.#seal();
    if (this.#partLines === PART_LINES) this.#full.push(this.#part(false));
  }

  receipt(channelId: number, at: number, seq: number, jid: string): void {
    this.#receipts.push(channelId, at, seq, jid.length);
    this.#receiptTexts.push(jid);
  }

  /** The full parts not handed over yet; they count as handed over from now on. */
  ready(): BatchPart[] {
    const full = this.#full;
    this.#full = [];
    this.#handed += this.#fullLines;
    this.#fullLines = 0;
    return full;
  }

  /** The rest of the batch, its last part committing it (with the receipts); the builder starts afresh. */
  take(): BatchPart[] {
    this.#seal();
    const parts = this.ready();
    const receipts = this.#receiptTexts.length;
    const nums = new Float64Array(this.#used + receipts * RECEIPT_NUMS);
    nums.set(this.#nums.subarray(0, this.#used));
    nums.set(this.#receipts, this.#used);
    parts.push({ lines: this.#partLines, receipts, nums, text: this.#text + this.#receiptTexts.join(''), commit: true });
    this.#used = 0;
    this.#partLines = 0;
    this.#text = '';
    this.#handed = 0;
    this.#receipts = [];
    this.#receiptTexts = [];
    return parts;
  }

  /** The current part, full: its own array goes with it (transferred), a new one takes its place. */
  #part(commit: boolean): BatchPart {
    this.#seal();
    const part: BatchPart = { lines: this.#partLines, receipts: 0, nums: this.#nums, text: this.#text, commit };
    this.#fullLines += this.#partLines;
    this.#nums = new Float64Array(LINE_NUMS * PART_LINES);
    this.#used = 0;
    this.#partLines = 0;
    this.#text = '';
    return part;
  }

  /** Adds #chunk, flat, to #text (charCodeAt flattens a rope in place: V8's runtime does). */
  #seal(): void {
    const chunk = this.#chunk;
    if (chunk === '') return;
    chunk.charCodeAt(0);
    this.#text += chunk;
    this.#chunk = '';
  }

  #num(i: number, k: number): number {
    let rest = i;
    for (const part of this.#full) {
      if (rest < part.lines) return part.nums[rest * LINE_NUMS + k]!;
      rest -= part.lines;
    }
    return this.#nums[rest * LINE_NUMS + k]!;
  }
}

export interface BatchWriter {
  /** Hands parts of a batch over, in order; the batch is written at its committing part. */
  write(parts: readonly BatchPart[]): void;
  sync(): void;
  close(): void;
}

export const SYNC_TIMEOUT_MS = 30_000;

/**
 * The worker thread's nice value (see the header): 10 gives it about a tenth of a core it
 * shares with a busy thread of default priority (CFS weights 110 against 1,024), all of an
 * idle one.
 */
export const WORKER_NICE = 10;

export const BATCH_SQL = {
  /**
   * Followed by PLAIN_VALUES once per row: one INSERT writes up to ROWS_PER_INSERT lines of
   * one channel without a status prefix (nearly all), the channel bound once as `@c`.
   */
  insertLines: 'INSERT OR IGNORE INTO archive_lines (channel_id, at, seq, id, nick, kind, body, status_prefix) VALUES ',
  plainValues: '(@c, ?, ?, ?, ?, ?, ?, NULL)',
  /** A STATUSMSG line (rare), one per statement. */
  insertStatusLine:
    'INSERT OR IGNORE INTO archive_lines (channel_id, at, seq, id, nick, kind, body, status_prefix) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  addCount: 'UPDATE archive_channels SET line_count = line_count + ? WHERE id = ?',
  // Only for a line that is there: one pruned meanwhile has no readers to record.
  insertReceipt: `INSERT OR IGNORE INTO archive_status_recipients (channel_id, at, seq, jid)
                  SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM archive_lines WHERE channel_id = ? AND at = ? AND seq = ?)`,
} as const;

/**
 * Rows per INSERT: one statement of 32 rows costs 4.8 µs a line where 32 statements cost
 * 7.7 (the binding and stepping of a statement are paid once; `/tmp`-file database,
 * 5,000-line transactions, 2026-12-01); 64 or 128 were no cheaper.
 */
export const ROWS_PER_INSERT = 32;

/**
 * The body of `(db, sql, LINE_NUMS, RECEIPT_NUMS, ROWS_PER_INSERT) => writePart`, where
 * `writePart(part)` takes the parts of a batch in order and, at its committing part, runs
 * the transaction of the header over them all. One text for both writers: the worker runs
 * it as it is (it cannot load TypeScript), the inline writer through `new Function`. Rows
 * are written a channel at a time, in the order recorded, so an INSERT's `changes` are
 * that channel's new lines (an ignored row is a line it had) and the first of two copies
 * is the one kept.
 *
 * Why columns and spread arguments: an array of 8 values per line, sorted, then copied
 * into an array better-sqlite3 reads back element by element (v8::Object::Get each), was
 * ~0.6 µs of the ~5 µs a line the worker spent; the lines now go from the parts into one
 * array per column, and each INSERT's values are its arguments, the channel bound once
 * (the SQL alone, one channel, 5,000-line batches on a /tmp file, 2026-12-01: 5.1 → 4.4 µs
 * a line; bench/archive-writer.ts).
 */
const WRITE_SOURCE = `
  const inserts = [];
  const insertRows = (n) => inserts[n] || (inserts[n] = db.prepare(sql.insertLines + new Array(n).fill(sql.plainValues).join(', ')));
  const insertStatusLine = db.prepare(sql.insertStatusLine);
  const addCount = db.prepare(sql.addCount);
  const insertReceipt = db.prepare(sql.insertReceipt);
  // The batch's lines so far, one array per column; \`mixed\`: more than one channel.
  const ch = [], at = [], seq = [], kind = [], id = [], nick = [], body = [], prefix = [];
  let mixed = false;
  const channel = { c: 0 };
  const args = [channel];
  /** Writes lines order[from..to) (all of one channel); returns the rows added. */
  const writeChannel = (order, from, to) => {
    let added = 0;
    channel.c = ch[order === null ? from : order[from]];
    args.length = 1;
    const flush = () => {
      const n = (args.length - 1) / 6;
      if (n > 0) added += insertRows(n).run(...args).changes;
      args.length = 1;
    };
    for (let k = from; k < to; k++) {
      const i = order === null ? k : order[k];
      if (prefix[i] !== null) {
        flush(); // in order: of two copies of one id, the first is kept
        added += insertStatusLine.run(ch[i], at[i], seq[i], id[i], nick[i], kind[i], body[i], prefix[i]).changes;
        continue;
      }
      args.push(at[i], seq[i], id[i], nick[i], kind[i], body[i]);
      if (args.length === 1 + 6 * ROWS_PER_INSERT) flush();
    }
    flush();
    if (added > 0) addCount.run(added, channel.c);
  };
  const write = db.transaction((receipts) => {
    const lines = ch.length;
    if (!mixed) writeChannel(null, 0, lines);
    else {
      // Stable: by channel, then as recorded.
      const order = Array.from({ length: lines }, (_, i) => i).sort((a, b) => ch[a] - ch[b] || a - b);
      for (let from = 0; from < lines; ) {
        let to = from + 1;
        while (to < lines && ch[order[to]] === ch[order[from]]) to++;
        writeChannel(order, from, to);
        from = to;
      }
    }
    for (const r of receipts) insertReceipt.run(r[0], r[1], r[2], r[3], r[0], r[1], r[2]);
  });
  const clear = () => {
    for (const c of [ch, at, seq, kind, id, nick, body, prefix]) c.length = 0;
    mixed = false;
  };
  return ({ lines, receipts, nums, text, commit }) => {
    let p = 0;
    const str = (len) => text.slice(p, (p += len));
    for (let i = 0, o = 0; i < lines; i++, o += LINE_NUMS) {
      const c = nums[o];
      if (ch.length > 0 && c !== ch[ch.length - 1]) mixed = true;
      ch.push(c);
      at.push(nums[o + 1]);
      seq.push(nums[o + 2]);
      kind.push(nums[o + 3]);
      id.push(str(nums[o + 4]));
      nick.push(str(nums[o + 5]));
      body.push(str(nums[o + 6]));
      prefix.push(nums[o + 7] < 0 ? null : str(nums[o + 7]));
    }
    if (!commit) return;
    const readers = [];
    for (let i = 0, o = lines * LINE_NUMS; i < receipts; i++, o += RECEIPT_NUMS) readers.push([nums[o], nums[o + 1], nums[o + 2], str(nums[o + 3])]);
    try {
      write(readers);
    } finally {
      clear();
    }
  };
`;

type MakeWrite = (db: Db, sql: typeof BATCH_SQL, lineNums: number, receiptNums: number, rowsPerInsert: number) => (part: BatchPart) => void;

export function inlineBatchWriter(db: Db): BatchWriter {
  const makeWrite = new Function('db', 'sql', 'LINE_NUMS', 'RECEIPT_NUMS', 'ROWS_PER_INSERT', WRITE_SOURCE) as MakeWrite;
  const writePart = makeWrite(db, BATCH_SQL, LINE_NUMS, RECEIPT_NUMS, ROWS_PER_INSERT);
  return {
    write(parts) {
      for (const part of parts) writePart(part);
    },
    sync: () => {},
    close: () => {},
  };
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
try {
  require('node:os').setPriority(workerData.nice); // this thread only (Linux: nice is per thread)
} catch {
  // not permitted here: the default priority
}
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = OFF');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -' + Number(workerData.cacheKiB));
const writePart = ((db, sql, LINE_NUMS, RECEIPT_NUMS, ROWS_PER_INSERT) => {${WRITE_SOURCE}})(
  db, workerData.sql, workerData.lineNums, workerData.receiptNums, workerData.rowsPerInsert);
const state = new Int32Array(workerData.state);
parentPort.on('message', (part) => {
  try {
    writePart(part);
  } catch (err) {
    Atomics.store(state, 1, 1);
    parentPort.postMessage(String((err && err.stack) || err));
  }
  if (!part.commit) return;
  Atomics.add(state, 0, 1);
  Atomics.notify(state, 0);
});
`;

/** A writer on a worker thread, for a database file (`:memory:` cannot be shared). */
export function workerBatchWriter(path: string, cacheKiB = 64 * 1024): BatchWriter {
  if (path === ':memory:' || path === '') throw new StoreError('the archive worker writer needs a database file, not :memory:');
  // state[0]: batches committed (or failed); state[1]: 1 once a batch failed.
  const state = new Int32Array(new SharedArrayBuffer(8));
  let posted = 0;
  let failure: string | undefined;
  let exited = false;
  // Started at the first batch, not before (issue 11 §3): a thread is its own V8 isolate,
  // some MB of RSS, and a gateway whose channels stay quiet never needs it.
  let worker: Worker | undefined;
  const started = (): Worker => {
    if (worker) return worker;
    worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        cacheKiB,
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        sql: BATCH_SQL,
        lineNums: LINE_NUMS,
        receiptNums: RECEIPT_NUMS,
        rowsPerInsert: ROWS_PER_INSERT,
        nice: WORKER_NICE,
        state: state.buffer,
      },
    });
    worker.unref();
    worker.on('message', (text: string) => {
      failure = text;
    });
    worker.on('error', (err) => {
      failure = err.stack ?? String(err);
    });
    worker.on('exit', () => {
      exited = true;
    });
    return worker;
  };
  const sync = (): void => {
    for (;;) {
      const done = Atomics.load(state, 0);
      if (done >= posted) break;
      if (exited) throw new StoreError(`the archive writer stopped: ${failure ?? 'no reason given'}`);
      if (Atomics.wait(state, 0, done, SYNC_TIMEOUT_MS) === 'timed-out' && Atomics.load(state, 0) === done) {
        throw new StoreError(`the archive writer did not commit within ${SYNC_TIMEOUT_MS} ms`);
      }
    }
    if (Atomics.load(state, 1) === 1) throw new StoreError(`an archive batch failed: ${failure ?? 'see the worker'}`);
  };
  return {
    write(parts) {
      if (exited) throw new StoreError(`the archive writer stopped: ${failure ?? 'no reason given'}`);
      const w = started();
      for (const part of parts) {
        if (part.commit) posted++;
        w.postMessage(part, [part.nums.buffer]);
      }
    },
    sync,
    close() {
      try {
        sync();
      } finally {
        void worker?.terminate();
      }
    },
  };
}
