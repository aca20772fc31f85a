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
 * - `write(batch)` is one transaction: the lines (INSERT OR IGNORE: an id the channel has
 *   is the same line), the channels' line counts, then the STATUSMSG readers of lines that
 *   are there. Inline it returns when committed; on the worker it returns at once.
 * - `sync()` returns when every batch handed over so far is committed (Atomics.wait on a
 *   shared counter; a worker that does not answer within SYNC_TIMEOUT_MS is an error) and
 *   throws if one failed. The store calls it before every other use of the database, so
 *   its reads see every recorded line and its own writes never wait on SQLite's lock.
 * - The worker opens the file as database.ts does (WAL, synchronous NORMAL, foreign keys,
 *   busy timeout), with the store's page cache, and runs no migration: the main connection
 *   has. It is unref'd: `close()`
 *   must be called at shutdown (it syncs first), or the last batch is lost.
 * - The SQL is the same text for both writers (BATCH_SQL); the worker's loop is the
 *   inline one, written out in plain JavaScript because a worker cannot load TypeScript.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StoreError, type Db } from './database.js';

/** One line row: channel_id, at, seq, id, nick, kind, body, status_prefix. */
export type LineRow = [number, number, number, string, string, number, string, string | null];
/** One STATUSMSG reader: channel_id, at, seq, jid. */
export type ReceiptRow = [number, number, number, string];

export interface Batch {
  readonly lines: readonly LineRow[];
  readonly receipts: readonly ReceiptRow[];
}

export interface BatchWriter {
  write(batch: Batch): void;
  sync(): void;
  close(): void;
}

export const SYNC_TIMEOUT_MS = 30_000;

export const BATCH_SQL = {
  insertLine: `INSERT OR IGNORE INTO archive_lines (channel_id, at, seq, id, nick, kind, body, status_prefix)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  addCount: 'UPDATE archive_channels SET line_count = line_count + ? WHERE id = ?',
  // Only for a line that is there: one pruned meanwhile has no readers to record.
  insertReceipt: `INSERT OR IGNORE INTO archive_status_recipients (channel_id, at, seq, jid)
                  SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM archive_lines WHERE channel_id = ? AND at = ? AND seq = ?)`,
} as const;

export function inlineBatchWriter(db: Db): BatchWriter {
  const insertLine = db.prepare(BATCH_SQL.insertLine);
  const addCount = db.prepare(BATCH_SQL.addCount);
  const insertReceipt = db.prepare(BATCH_SQL.insertReceipt);
  const write = db.transaction((batch: Batch) => {
    const added = new Map<number, number>();
    for (const row of batch.lines) {
      if (insertLine.run(...row).changes > 0) added.set(row[0], (added.get(row[0]) ?? 0) + 1);
    }
    for (const [channelId, n] of added) addCount.run(n, channelId);
    for (const row of batch.receipts) insertReceipt.run(...row, row[0], row[1], row[2]);
  });
  return { write: (batch) => write(batch), sync: () => {}, close: () => {} };
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -' + Number(workerData.cacheKiB));
const insertLine = db.prepare(workerData.sql.insertLine);
const addCount = db.prepare(workerData.sql.addCount);
const insertReceipt = db.prepare(workerData.sql.insertReceipt);
const state = new Int32Array(workerData.state);
const write = db.transaction((batch) => {
  const added = new Map();
  for (const row of batch.lines) {
    if (insertLine.run(...row).changes > 0) added.set(row[0], (added.get(row[0]) || 0) + 1);
  }
  for (const [channelId, n] of added) addCount.run(n, channelId);
  for (const row of batch.receipts) insertReceipt.run(...row, row[0], row[1], row[2]);
});
parentPort.on('message', (batch) => {
  try {
    write(batch);
  } catch (err) {
    Atomics.store(state, 1, 1);
    parentPort.postMessage(String((err && err.stack) || err));
  }
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
      workerData: { path, cacheKiB, sqlite: createRequire(import.meta.url).resolve('better-sqlite3'), sql: BATCH_SQL, state: state.buffer },
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
    write(batch) {
      if (exited) throw new StoreError(`the archive writer stopped: ${failure ?? 'no reason given'}`);
      const w = started();
      posted++;
      w.postMessage(batch);
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
