/**
 * SQLite repository of channel history (`Archive`, core/history/archive-port.ts).
 *
 * Why: issue 10 — one archive per (network, channel), read by each user only within the
 * spans their connection was in the channel, cheap at scale. The schema is migration 7
 * (migrations.ts), whose comment gives the tables and keys. Length: over 500 lines because
 * the MAM paging (span ranges, RSM in both directions), the batching writer and pruning
 * share one set of prepared statements and one notion of a line's key.
 *
 * Rules:
 * - Writes are batched: `record` queues the line in memory; the queue is written in one
 *   transaction by `flush()` or as soon as it holds `batchSize` lines, on this thread or on
 *   the worker (`writer`, archive-writer.ts). Every statement is prepared once, in the
 *   constructor. Every other use of the database first writes the queue and waits for the
 *   writer (`#sync`), so reads see every recorded line and no write waits on a lock.
 *   Why the bridge flushes on a timer (FLUSH_INTERVAL_MS) rather than every tick: lines
 *   are keyed by channel, so a commit writes to the WAL one page per channel it touches
 *   (twice: table and id index), however few lines each got; fewer, larger commits write
 *   far fewer pages (bench/archive.ts measures both).
 * - The page cache is raised to `cacheMiB` (64 by default) for the whole connection: with
 *   SQLite's 2 MiB default, pages of a 1,000,000-line archive are read back from the OS
 *   for every page of MAM, which shows in the tail latency.
 * - Dedup (archive-port.ts header): another connection's copy of a line is first known by
 *   the parsed IRC line it shares with the first (RecentSources), without a channel lookup.
 *   Otherwise a server msgid by the unique index on (channel, id) when the batch is written
 *   (INSERT OR IGNORE) — no read and no map entry per line; the queue is indexed by id only
 *   once something asks (`has`, a STATUSMSG line: its next reader must name the stored
 *   line, so it is looked up in the queue and the table). Lines without a server msgid: by
 *   content within DEDUP_WINDOW_MS across connections, from an in-memory window indexed
 *   by body (archive-recent.ts; lost on restart, which only matters for lines recorded in
 *   the seconds around it).
 * - A nick filter (MAM `with`) reads at most WITH_SCAN_LIMIT lines per query (see #page).
 * - Paging never uses OFFSET on a result set: a page is a range read on the clustered key
 *   (channel_id, at, seq) between exclusive key bounds, one read per span of the user, so
 *   a page costs the same at line 10 and at line 1,000,000.
 * - Retention works in chunks (`prune`): at most `pruneBudget` lines deleted per call, the
 *   channels visited round-robin from a cursor kept in memory. Per channel: lines older
 *   than `retentionDays`; the oldest lines beyond `maxPerChannel`; lines no remaining span
 *   covers (nobody can read them: left by `removeUser`, or recorded outside every span);
 *   spans ended before the cut-off; then the channel row when nothing is left.
 * - `line_count` of archive_channels is updated with every insert and delete, in the same
 *   transaction.
 * - Channel names fold by the network's CASEMAPPING (casemapped-names.ts). A refold that
 *   makes two channels one merges them: lines and spans move to the row already under the
 *   new key (lines whose id it already has are dropped: the same line).
 */
import { randomBytes } from 'node:crypto';
import { foldCase, type CaseMapping } from '../core/casemap.js';
import {
  DEDUP_WINDOW_MS,
  type Archive,
  type ArchiveBounds,
  type ArchivedLine,
  type ArchiveKind,
  type ArchiveLine,
  type ArchiveQuery,
  type ArchiveResult,
} from '../core/history/archive-port.js';
import { BatchBuilder, inlineBatchWriter, workerBatchWriter, type BatchWriter } from './archive-writer.js';
import { RecentLines, RecentSources, type RecentLine } from './archive-recent.js';
import { NetworkFolds } from './casemapped-names.js';
import type { Config } from '../config/schema.js';
import type { Db, Statement } from './database.js';

export interface ArchiveStoreOptions {
  /** Lines older than this many days are deleted by `prune`. */
  retentionDays: number;
  /** At most this many lines are kept per channel (the oldest go first). */
  maxPerChannel: number;
  /** Queued lines that trigger a write without waiting for `flush()`. */
  batchSize?: number;
  /** Lines `prune` deletes at most per call. */
  pruneBudget?: number;
  /**
   * SQLite page cache of the connection, in MiB (PRAGMA cache_size; raised, never
   * lowered). The newest pages of every active channel and of the id index stay hot.
   */
  cacheMiB?: number;
  /**
   * Where batches are written (archive-writer.ts): `worker` (a thread with its own
   * connection; needs a database file) keeps the SQLite work off the event loop, `inline`
   * (the default, and the only choice for `:memory:`) writes on the caller's thread.
   */
  writer?: 'inline' | 'worker';
}

export const DEFAULT_BATCH_SIZE = 5_000;
export const DEFAULT_CACHE_MIB = 64;
export const DEFAULT_PRUNE_BUDGET = 2_000;
/** A nick filter (MAM `with`) reads lines in chunks of this many, and at most WITH_SCAN_LIMIT per query. */
const WITH_CHUNK = 500;
export const WITH_SCAN_LIMIT = 20_000;
/** Channels `prune` looks at per call at most (each costs a few index reads). */
const PRUNE_CHANNELS_PER_CALL = 64;
const DAY_MS = 86_400_000;

const KINDS: readonly ArchiveKind[] = ['privmsg', 'notice', 'action', 'topic'];
const KIND_CODE: Readonly<Record<ArchiveKind, number>> = { privmsg: 0, notice: 1, action: 2, topic: 3 };

/** A position in a channel's order: (at, seq). Bounds are exclusive. */
interface Key {
  at: number;
  seq: number;
}
const LOWEST: Key = { at: Number.MIN_SAFE_INTEGER, seq: 0 };
const HIGHEST: Key = { at: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
const before = (a: Key, b: Key): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
const maxKey = (a: Key, b: Key): Key => (before(a, b) ? b : a);
const minKey = (a: Key, b: Key): Key => (before(a, b) ? a : b);
/** Exclusive lower bound for "at ≥ t". */
const fromTime = (t: number): Key => ({ at: t, seq: 0 });
/** Exclusive upper bound for "at ≤ t". */
const untilTime = (t: number): Key => ({ at: t, seq: Number.MAX_SAFE_INTEGER });

interface LineRow {
  at: number;
  seq: number;
  id: string;
  nick: string;
  kind: number;
  body: string;
  status_prefix: string | null;
}

interface SpanRow {
  start_at: number;
  end_at: number | null;
}

/**
 * The store as `[history]` configures it; on a database file the batches are written by
 * the worker (archive-writer.ts), in memory inline. Call `close()` at shutdown.
 */
export function archiveFromConfig(db: Db, history: Config['history']): SqliteArchiveStore {
  return new SqliteArchiveStore(db, {
    retentionDays: history.retention_days,
    maxPerChannel: history.max_messages_per_channel,
    writer: db.memory ? 'inline' : 'worker',
  });
}

export class SqliteArchiveStore implements Archive {
  readonly #db: Db;
  readonly #folds = new NetworkFolds();
  readonly #retentionMs: number;
  readonly #maxPerChannel: number;
  readonly #batchSize: number;
  readonly #pruneBudget: number;
  /** `network\0folded` → archive_channels.id and the spelling stored. */
  readonly #channelIds = new Map<string, { id: number; name: string }>();
  /**
   * network → the channel as given → its entry of #channelIds: each line asks, up to once
   * per connection in the channel, so the common case skips the fold and the key string.
   * Cleared whenever #channelIds loses an entry.
   */
  #bySpelling = new Map<string, Map<string, { id: number; name: string }>>();
  #seq: number;
  /** Random, per store: the tail of the ids it names lines by (see record). */
  readonly #idTag = randomBytes(4).toString('hex');
  /** The lines and STATUSMSG readers recorded since the last flush. */
  readonly #queue = new BatchBuilder();
  /**
   * channelId → id → the line's number in the queue, built from the queue when first
   * asked (#queued: `has`, a STATUSMSG line, a line's key) and kept until the next flush;
   * undefined until then. Not kept for every line: hashing each line's fresh msgid into a
   * map growing to a batch was 4.5 % of the fan-out's CPU (npm run bench §5), and a copy
   * it would catch is caught by the source identity, or by the unique index when written.
   */
  #queuedIds: Map<number, Map<string, number>> | undefined;
  /** Span opens not yet written (`#writeSpans`), and their user\0channel keys. */
  #pendingSpans: Array<{ user: string; channelId: number; at: number; reopenFrom: number | undefined }> = [];
  readonly #pendingOpen = new Set<string>();
  /** Per channel, the dedup window of lines without a server msgid (archive-recent.ts). */
  readonly #recent = new Map<number, RecentLines>();
  /**
   * The line each recent parsed IRC line (`ArchiveLine.source`) was last recorded as, per
   * channel: the server's msgid, or the line in the dedup window.
   */
  readonly #bySource = new RecentSources<RecentLine | string>();
  /** The channel of the last line recorded (#recordingChannel). */
  #lastNetwork = '';
  #lastChannel: string | undefined;
  #lastChannelId = 0;
  #pruneCursor = 0;
  /** Channels to sweep for unreadable lines before the round-robin (removeUser). */
  readonly #sweepFirst = new Set<number>();

  readonly #s: Record<string, Statement>;
  readonly #writer: BatchWriter;

  constructor(db: Db, opts: ArchiveStoreOptions) {
    this.#db = db;
    this.#retentionMs = opts.retentionDays * DAY_MS;
    this.#maxPerChannel = opts.maxPerChannel;
    this.#batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#pruneBudget = opts.pruneBudget ?? DEFAULT_PRUNE_BUDGET;
    const cacheKiB = (opts.cacheMiB ?? DEFAULT_CACHE_MIB) * 1024;
    const cache = db.pragma('cache_size', { simple: true }) as number; // < 0: KiB, > 0: pages
    if ((cache < 0 ? -cache : cache * 4) < cacheKiB) db.pragma(`cache_size = -${cacheKiB}`);
    // seq only orders lines of one channel with the same `at`; starting from the clock (in
    // µs-like units) keeps it increasing across restarts without a scan for max(seq).
    this.#seq = Date.now() * 1000;

    // A page: the lines between two exclusive keys, within [at bounds] of one span, as one user sees them.
    const pageWhere = `channel_id = @channel AND (at, seq) > (@loAt, @loSeq) AND (at, seq) < (@hiAt, @hiSeq)
        AND (@textOnly = 0 OR kind <> 3)
        AND (status_prefix IS NULL OR EXISTS (SELECT 1 FROM archive_status_recipients r
             WHERE r.channel_id = l.channel_id AND r.at = l.at AND r.seq = l.seq AND r.jid = @user))`;
    const cols = 'at, seq, id, nick, kind, body, status_prefix';
    this.#s = {
      channelId: db.prepare('SELECT id FROM archive_channels WHERE network = ? AND channel_folded = ?').pluck(),
      insertChannel: db.prepare('INSERT INTO archive_channels (network, channel_folded, channel) VALUES (?, ?, ?)'),
      renameChannel: db.prepare('UPDATE archive_channels SET channel = ? WHERE id = ? AND channel <> ?'),
      addCount: db.prepare('UPDATE archive_channels SET line_count = line_count + ? WHERE id = ?'),
      lineById: db.prepare(`SELECT ${cols} FROM archive_lines WHERE channel_id = ? AND id = ?`),
      hasReceipt: db.prepare('SELECT 1 FROM archive_status_recipients WHERE channel_id = ? AND at = ? AND seq = ? AND jid = ?').pluck(),
      pageForward: db.prepare(`SELECT ${cols} FROM archive_lines l WHERE ${pageWhere} ORDER BY at, seq LIMIT @limit`),
      pageBackward: db.prepare(`SELECT ${cols} FROM archive_lines l WHERE ${pageWhere} ORDER BY at DESC, seq DESC LIMIT @limit`),
      pageCount: db.prepare(`SELECT count(*) FROM archive_lines l WHERE ${pageWhere}`).pluck(),
      newest: db.prepare('SELECT id, at FROM archive_lines WHERE channel_id = ? ORDER BY at DESC, seq DESC LIMIT 1'),
      spans: db.prepare('SELECT start_at, end_at FROM archive_spans WHERE jid = ? AND channel_id = ? ORDER BY start_at'),
      anySpan: db.prepare('SELECT 1 FROM archive_spans WHERE jid = ? AND channel_id = ? LIMIT 1').pluck(),
      lastSpan: db.prepare('SELECT start_at, end_at FROM archive_spans WHERE jid = ? AND channel_id = ? ORDER BY start_at DESC LIMIT 1'),
      insertSpan: db.prepare(
        'INSERT INTO archive_spans (jid, channel_id, start_at, end_at) VALUES (?, ?, ?, NULL) ON CONFLICT DO UPDATE SET end_at = NULL',
      ),
      reopenSpan: db.prepare('UPDATE archive_spans SET end_at = NULL WHERE jid = ? AND channel_id = ? AND start_at = ?'),
      closeSpan: db.prepare('UPDATE archive_spans SET end_at = max(start_at, ?) WHERE jid = ? AND channel_id = ? AND end_at IS NULL'),
      openSpans: db.prepare(
        `SELECT s.jid, s.channel_id, c.network, c.channel FROM archive_spans s
         JOIN archive_channels c ON c.id = s.channel_id WHERE s.end_at IS NULL`,
      ),
      closeSpanOf: db.prepare('UPDATE archive_spans SET end_at = max(start_at, ?) WHERE jid = ? AND channel_id = ? AND end_at IS NULL'),
      closeAllSpans: db.prepare(
        `UPDATE archive_spans SET end_at = max(start_at, ?) WHERE jid = ? AND end_at IS NULL
         AND channel_id IN (SELECT id FROM archive_channels WHERE network = ?)`,
      ),
      userChannels: db.prepare('SELECT DISTINCT channel_id FROM archive_spans WHERE jid = ?').pluck(),
      deleteUserSpans: db.prepare('DELETE FROM archive_spans WHERE jid = ?'),
      userReceiptChannels: db.prepare('SELECT DISTINCT channel_id FROM archive_status_recipients WHERE jid = ?').pluck(),
      deleteUserReceipts: db.prepare('DELETE FROM archive_status_recipients WHERE jid = ?'),
      // INDEXED BY: without statistics the planner read the whole channel by its primary key
      // (EXPLAIN QUERY PLAN), 56-58 ms of removeUser at 300,000 lines, on the event loop;
      // the partial index holds only the rare STATUSMSG lines (3-16 ms).
      deleteUnreadStatus: db.prepare(
        `DELETE FROM archive_lines AS l INDEXED BY archive_lines_status WHERE channel_id = ? AND status_prefix IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM archive_status_recipients r WHERE r.channel_id = l.channel_id AND r.at = l.at AND r.seq = l.seq)`,
      ),
      channelSpans: db.prepare('SELECT start_at, end_at FROM archive_spans WHERE channel_id = ? ORDER BY start_at'),
      pruneChannels: db.prepare('SELECT id, line_count FROM archive_channels WHERE id > ? ORDER BY id LIMIT ?'),
      lineCount: db.prepare('SELECT line_count FROM archive_channels WHERE id = ?').pluck(),
      // The key of the n-th line (0-based) between two exclusive keys: the end of one bounded delete.
      nthKey: db.prepare(
        'SELECT at, seq FROM archive_lines WHERE channel_id = ? AND (at, seq) > (?, ?) AND (at, seq) < (?, ?) ORDER BY at, seq LIMIT 1 OFFSET ?',
      ),
      deleteRange: db.prepare('DELETE FROM archive_lines WHERE channel_id = ? AND (at, seq) > (?, ?) AND (at, seq) < (?, ?)'),
      deleteOldSpans: db.prepare('DELETE FROM archive_spans WHERE channel_id = ? AND end_at IS NOT NULL AND end_at < ?'),
      deleteEmptyChannel: db.prepare(
        'DELETE FROM archive_channels WHERE id = ? AND line_count = 0 AND NOT EXISTS (SELECT 1 FROM archive_spans WHERE channel_id = ?)',
      ),
      networkChannels: db.prepare('SELECT id, channel_folded, channel FROM archive_channels WHERE network = ?'),
      setFolded: db.prepare('UPDATE archive_channels SET channel_folded = ? WHERE id = ?'),
      moveLines: db.prepare('UPDATE OR IGNORE archive_lines SET channel_id = ? WHERE channel_id = ?'),
      moveReceipts: db.prepare('UPDATE OR IGNORE archive_status_recipients SET channel_id = ? WHERE channel_id = ?'),
      moveSpans: db.prepare('UPDATE OR IGNORE archive_spans SET channel_id = ? WHERE channel_id = ?'),
      deleteChannel: db.prepare('DELETE FROM archive_channels WHERE id = ?'),
      recount: db.prepare('UPDATE archive_channels SET line_count = (SELECT count(*) FROM archive_lines WHERE channel_id = ?) WHERE id = ?'),
    };

    this.#writer = opts.writer === 'worker' ? workerBatchWriter(db.name, cacheKiB) : inlineBatchWriter(db);
  }

  // ---- recording ----

  record(user: string, line: ArchiveLine): string {
    const prefix = line.statusPrefix ?? '';
    const source = line.source;
    if (source !== undefined && prefix === '') {
      // Another connection's copy of the very line parsed once (issue 10 §7: the text
      // lookup below, then the channel lookup, were most of the archive's cost in a busy
      // channel). With a server msgid it is that line; without, the same rule as the text
      // path: a reader not yet counted, within the window.
      const known = this.#bySource.find(source, line.network);
      if (typeof known === 'string') {
        if (line.serverId && known === line.id) return known;
      } else if (known !== undefined && !line.serverId && Math.abs(line.at - known.at) <= DEDUP_WINDOW_MS) {
        if (known.window.claimCopy(user, known)) return known.id;
      }
    }
    const channelId = this.#recordingChannel(line.network, line.channel);
    if (prefix !== '') return this.#recordStatus(user, line, channelId, prefix);
    const kind = KIND_CODE[line.kind];
    if (line.serverId) {
      // One asked about since the last flush is that line; any other copy or replay is
      // caught by the unique index when the batch is written (INSERT OR IGNORE), which
      // saves a read per line.
      const msgid = line.id!;
      if (this.#queuedIds?.get(channelId)?.has(msgid)) return msgid;
      this.#enqueue(channelId, line.at, ++this.#seq, msgid, line.nick, kind, line.body, undefined);
      if (source !== undefined) this.#bySource.add(source, line.network, msgid);
      this.#flushWhenFull();
      return msgid;
    }
    let recent = this.#recent.get(channelId);
    if (recent !== undefined) {
      recent.expire(line.at - 2 * DEDUP_WINDOW_MS);
      const same = recent.claim(user, line.nick, kind, '', line.body, line.at, DEDUP_WINDOW_MS);
      if (same !== undefined) {
        if (source !== undefined) this.#bySource.add(source, line.network, same);
        return same.id;
      }
    } else this.#recent.set(channelId, (recent = new RecentLines()));
    const seq = ++this.#seq;
    const id = line.id ?? this.#newId(seq);
    this.#enqueue(channelId, line.at, seq, id, line.nick, kind, line.body, undefined);
    const added = recent.add(user, line.nick, kind, '', line.body, line.at, id, seq);
    if (source !== undefined) this.#bySource.add(source, line.network, added);
    this.#flushWhenFull();
    return id;
  }

  /**
   * A STATUSMSG line (`@#chan`): its readers are recorded one by one (archive-port.ts,
   * Visibility), so a copy names the stored line: a server msgid is looked up in the queue
   * and then the table; without one, the dedup window.
   */
  #recordStatus(user: string, line: ArchiveLine, channelId: number, prefix: string): string {
    const kind = KIND_CODE[line.kind];
    const msgid = line.serverId ? line.id : undefined;
    if (msgid !== undefined) {
      const existing = this.#keyOf(channelId, msgid);
      if (existing !== undefined) {
        this.#queue.receipt(channelId, existing.at, existing.seq, user);
        return msgid;
      }
    }
    let recent: RecentLines | undefined;
    if (msgid === undefined) {
      recent = this.#recent.get(channelId);
      if (recent !== undefined) {
        recent.expire(line.at - 2 * DEDUP_WINDOW_MS);
        const same = recent.claim(user, line.nick, kind, prefix, line.body, line.at, DEDUP_WINDOW_MS);
        if (same !== undefined) {
          this.#queue.receipt(channelId, same.at, same.seq, user);
          return same.id;
        }
      }
    }
    const seq = ++this.#seq;
    const id = line.id ?? this.#newId(seq);
    this.#enqueue(channelId, line.at, seq, id, line.nick, kind, line.body, prefix);
    this.#queue.receipt(channelId, line.at, seq, user);
    if (msgid === undefined) {
      if (recent === undefined) this.#recent.set(channelId, (recent = new RecentLines()));
      recent.add(user, line.nick, kind, prefix, line.body, line.at, id, seq);
    }
    this.#flushWhenFull();
    return id;
  }

  /**
   * The id of a line the server gave none: seq in hex (13 digits until 2112), so ids grow
   * with time, and this store's tag, so another run's or database's never collide. Built
   * from two 32-bit halves: Number#toString(16) of a number above 2^32 costs ~0.7 µs.
   */
  #newId(seq: number): string {
    const high = Math.floor(seq / 0x1_0000_0000);
    const low = (seq - high * 0x1_0000_0000).toString(16);
    return `${high.toString(16)}${'00000000'.slice(low.length)}${low}-${this.#idTag}`;
  }

  /** Queues a new line (the caller then calls #flushWhenFull). */
  #enqueue(channelId: number, at: number, seq: number, id: string, nick: string, kind: number, body: string, prefix: string | undefined): void {
    const n = this.#queue.held;
    this.#queue.line(channelId, at, seq, id, nick, kind, body, prefix);
    if (this.#queuedIds !== undefined) this.#index(this.#queuedIds, channelId, id, n);
    else if (this.#queue.partReady) this.#writer.write(this.#queue.ready()); // a part filled: hand it over while hot
  }

  /**
   * The queued lines by channel and id (see #queuedIds), numbered as the queue holds them.
   * Lines already handed over in parts are in neither the queue nor the table until their
   * batch commits: commit it first (rare: `has`, a STATUSMSG copy). While the index exists,
   * parts are kept in the queue.
   */
  #queued(): Map<number, Map<string, number>> {
    if (this.#queuedIds === undefined) {
      if (this.#queue.handedOver) this.#sync();
      const index = new Map<number, Map<string, number>>();
      this.#queue.forEachLine((channelId, id, n) => this.#index(index, channelId, id, n));
      this.#queuedIds = index;
    }
    return this.#queuedIds;
  }

  #index(index: Map<number, Map<string, number>>, channelId: number, id: string, n: number): void {
    let ids = index.get(channelId);
    if (ids === undefined) index.set(channelId, (ids = new Map()));
    if (!ids.has(id)) ids.set(id, n); // the first copy is the line
  }

  /** Writes the batch once it holds `batchSize` lines. */
  #flushWhenFull(): void {
    if (this.#queue.lines >= this.#batchSize) this.flush();
  }

  /**
   * The channel a line is recorded in: the last one asked for when it is the same network
   * and spelling (the lines of a busy channel come one after another), else #channelId.
   */
  #recordingChannel(network: string, channel: string): number {
    if (channel === this.#lastChannel && network === this.#lastNetwork) return this.#lastChannelId;
    const id = this.#channelId(network, channel, true)!;
    this.#lastNetwork = network;
    this.#lastChannel = channel;
    this.#lastChannelId = id;
    return id;
  }

  /** Channel rows were deleted or refolded: ids and spellings are looked up again. */
  #forgetChannels(): void {
    this.#bySpelling = new Map();
    this.#lastChannel = undefined;
    this.#bySource.clear();
  }

  flush(): void {
    if (this.#pendingSpans.length > 0) this.#writeSpans();
    if (this.#queue.empty) return;
    this.#writer.write(this.#queue.take());
    this.#queuedIds = undefined;
  }

  /**
   * The spans opened since the last write, in one transaction. A join opened its span on
   * its own before, each a commit and a wait for the writer thread: 4 % of the CPU of 5,000
   * users joining (gwbench connect, issue 11). They wait no longer than the lines do (the
   * flush timer), and every read, and every other span change, writes them first.
   */
  #writeSpans(): void {
    const pending = this.#pendingSpans;
    this.#pendingSpans = [];
    this.#pendingOpen.clear();
    this.#writer.sync();
    this.#db.transaction(() => {
      for (const p of pending) {
        if (p.reopenFrom !== undefined) this.#s.reopenSpan!.run(p.user, p.channelId, p.reopenFrom);
        else this.#s.insertSpan!.run(p.user, p.channelId, p.at);
      }
    })();
  }

  /** Writes what is queued and waits until every batch is committed: before any other use of the database. */
  #sync(): void {
    this.flush();
    this.#writer.sync();
  }

  /** Writes what is queued and stops the writer: at shutdown, before the database is closed. */
  close(): void {
    this.flush();
    this.#writer.close();
  }

  // ---- spans ----

  get retentionMs(): number {
    return this.#retentionMs;
  }

  openSpan(user: string, network: string, channel: string, at: number): boolean {
    const channelId = this.#channelId(network, channel, true)!;
    const key = `${user}\0${channelId}`;
    if (this.#pendingOpen.has(key)) return true; // opened since the last write
    // Spans are written on this thread only: the read needs no wait for the writer.
    const last = this.#s.lastSpan!.get(user, channelId) as SpanRow | undefined;
    if (last !== undefined && last.end_at === null) return true; // already in
    this.#pendingOpen.add(key);
    if (last !== undefined && last.end_at !== null && last.end_at >= at) {
      this.#pendingSpans.push({ user, channelId, at, reopenFrom: last.start_at }); // back before the last span ended: one span
      return true;
    }
    this.#pendingSpans.push({ user, channelId, at, reopenFrom: undefined });
    return false;
  }

  closeSpan(user: string, network: string, channel: string, at: number): void {
    if (this.#pendingSpans.length > 0) this.#writeSpans();
    this.#writer.sync();
    const channelId = this.#channelId(network, channel, false);
    if (channelId !== undefined) this.#s.closeSpan!.run(at, user, channelId);
  }

  closeAllSpans(user: string, network: string, at: number): void {
    if (this.#pendingSpans.length > 0) this.#writeSpans();
    this.#writer.sync();
    this.#s.closeAllSpans!.run(at, user, network);
  }

  closeOpenSpans(at: number, keep: ReadonlyArray<{ user: string; network: string; channel: string }> = []): void {
    const kept = new Set(keep.map((k) => `${k.user}\0${k.network}\0${this.#folds.fold(k.network, k.channel)}`));
    if (this.#pendingSpans.length > 0) this.#writeSpans();
    this.#writer.sync();
    const open = this.#s.openSpans!.all() as Array<{ jid: string; channel_id: number; network: string; channel: string }>;
    this.#db.transaction(() => {
      for (const o of open) {
        if (!kept.has(`${o.jid}\0${o.network}\0${this.#folds.fold(o.network, o.channel)}`)) this.#s.closeSpanOf!.run(at, o.jid, o.channel_id);
      }
    })();
  }

  hasSpan(user: string, network: string, channel: string): boolean {
    if (this.#pendingSpans.length > 0) this.#writeSpans();
    const channelId = this.#channelId(network, channel, false);
    return channelId !== undefined && this.#s.anySpan!.get(user, channelId) !== undefined;
  }

  // ---- reading ----

  query(user: string, network: string, channel: string, q: ArchiveQuery): ArchiveResult {
    this.#sync();
    const channelId = this.#channelId(network, channel, false);
    if (channelId === undefined) return { kind: 'no-span' };
    const spans = this.#userSpans(user, channelId);
    if (spans.length === 0) return { kind: 'no-span' };
    const ctx: PageContext = {
      user,
      channelId,
      spans,
      nick: q.nick === undefined ? null : this.#folds.fold(network, q.nick),
      mapping: this.#folds.mapping(network),
      textOnly: q.textOnly ? 1 : 0,
    };
    // Bounds as exclusive keys: the form's time and id limits, then the RSM cursors.
    let lo = q.start === undefined ? LOWEST : fromTime(q.start);
    let hi = q.end === undefined ? HIGHEST : untilTime(q.end);
    for (const [id, side] of [
      [q.afterId, 'lo'],
      [q.beforeId, 'hi'],
      [q.after, 'lo'],
      [q.before || undefined, 'hi'],
    ] as const) {
      if (id === undefined) continue;
      const line = this.#visibleLine(ctx, id);
      if (line === undefined) return { kind: 'unknown-id', id };
      if (side === 'lo') lo = maxKey(lo, line);
      else hi = minKey(hi, line);
    }
    const backward = q.before !== undefined;
    const cursor = q.after !== undefined || (q.before !== undefined && q.before !== '');

    if (q.ids !== undefined) {
      const found: LineRow[] = [];
      for (const id of q.ids) {
        const row = this.#visibleLine(ctx, id);
        if (row === undefined) return { kind: 'unknown-id', id };
        if (!found.some((r) => r.seq === row.seq)) found.push(row);
      }
      const inSet = found
        .filter((r) => before(lo, r) && before(r, hi))
        .filter((r) => ctx.nick === null || foldCase(ctx.mapping, r.nick) === ctx.nick)
        .filter((r) => !(ctx.textOnly && r.kind === KIND_CODE.topic))
        .sort((a, b) => (before(a, b) ? -1 : 1));
      if (q.max === 0) return { kind: 'page', page: { lines: [], complete: inSet.length === 0, count: inSet.length } };
      const rows = backward ? inSet.slice(-q.max) : inSet.slice(0, q.max);
      const complete = rows.length === inSet.length;
      const whole = !cursor && complete;
      return { kind: 'page', page: { lines: rows.map(archived), complete, ...(whole ? { count: rows.length, firstIndex: 0 } : {}) } };
    }

    if (q.max === 0) {
      let count = 0;
      if (ctx.nick !== null) {
        const found = this.#page(ctx, lo, hi, Infinity, false);
        if (found.capped) return { kind: 'too-costly', scanned: WITH_SCAN_LIMIT };
        count = found.rows.length;
      } else {
        for (const [a, b] of this.#ranges(spans, lo, hi)) count += this.#s.pageCount!.get(this.#params(ctx, a, b, 0)) as number;
      }
      return { kind: 'page', page: { lines: [], complete: count === 0, count } };
    }
    const { rows, capped } = this.#page(ctx, lo, hi, q.max + 1, backward);
    if (capped && rows.length === 0) return { kind: 'too-costly', scanned: WITH_SCAN_LIMIT };
    const complete = !capped && rows.length <= q.max;
    const page = rows.slice(0, q.max);
    if (backward) page.reverse();
    const whole = complete && !cursor;
    return { kind: 'page', page: { lines: page.map(archived), complete, ...(whole ? { count: page.length, firstIndex: 0 } : {}) } };
  }

  metadata(user: string, network: string, channel: string): ArchiveBounds | undefined {
    this.#sync();
    const channelId = this.#channelId(network, channel, false);
    if (channelId === undefined) return undefined;
    const spans = this.#userSpans(user, channelId);
    const ctx: PageContext = { user, channelId, spans, nick: null, mapping: this.#folds.mapping(network), textOnly: 0 };
    const oldest = this.#page(ctx, LOWEST, HIGHEST, 1, false).rows[0];
    const newest = this.#page(ctx, LOWEST, HIGHEST, 1, true).rows[0];
    if (oldest === undefined || newest === undefined) return undefined;
    return { oldest: { id: oldest.id, at: oldest.at }, newest: { id: newest.id, at: newest.at } };
  }

  newest(network: string, channel: string): { id: string; at: number } | undefined {
    this.#sync();
    const channelId = this.#channelId(network, channel, false);
    if (channelId === undefined) return undefined;
    return this.#s.newest!.get(channelId) as { id: string; at: number } | undefined;
  }

  has(network: string, channel: string, id: string): boolean {
    const channelId = this.#channelId(network, channel, false);
    if (channelId === undefined) return false;
    if (this.#queued().get(channelId)?.has(id)) return true;
    this.#writer.sync();
    return this.#keyOf(channelId, id) !== undefined;
  }

  // ---- forgetting ----

  removeUser(user: string): boolean {
    this.#sync();
    this.#db.transaction(() => {
      const channels = new Set([
        ...(this.#s.userChannels!.all(user) as number[]),
        ...(this.#s.userReceiptChannels!.all(user) as number[]),
      ]);
      this.#s.deleteUserSpans!.run(user);
      this.#s.deleteUserReceipts!.run(user);
      for (const channelId of channels) {
        // STATUSMSG lines nobody else received: nobody can read them any more.
        const gone = this.#s.deleteUnreadStatus!.run(channelId).changes;
        if (gone > 0) this.#s.addCount!.run(-gone, channelId);
        this.#sweepFirst.add(channelId);
      }
    })();
    for (const recent of this.#recent.values()) recent.forget(user);
    // The lines no remaining span covers go in bounded chunks, like retention.
    return this.#prune(0, true);
  }

  prune(now: number): boolean {
    return this.#prune(now, false);
  }

  #prune(now: number, sweepOnly: boolean): boolean {
    this.#sync();
    const cutoff = now - this.#retentionMs;
    let budget = this.#pruneBudget;
    return this.#db.transaction((): boolean => {
      for (const channelId of [...this.#sweepFirst]) {
        budget = this.#pruneChannel(channelId, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, budget);
        if (budget <= 0) return true;
        this.#sweepFirst.delete(channelId);
      }
      if (sweepOnly) return false;
      const channels = this.#s.pruneChannels!.all(this.#pruneCursor, PRUNE_CHANNELS_PER_CALL) as Array<{ id: number }>;
      if (channels.length === 0) {
        this.#pruneCursor = 0; // a pass is complete
        return false;
      }
      for (const { id } of channels) {
        budget = this.#pruneChannel(id, cutoff, this.#maxPerChannel, budget);
        if (budget <= 0) return true; // this channel again next time
        this.#pruneCursor = id;
      }
      return true;
    })();
  }

  // ---- casemapping ----

  useCaseMapping(network: string, mapping: CaseMapping): void {
    if (!this.#folds.learn(network, mapping)) return;
    this.#sync();
    for (const key of [...this.#channelIds.keys()]) if (key.startsWith(`${network}\0`)) this.#channelIds.delete(key);
    this.#forgetChannels();
    this.#db.transaction(() => {
      const rows = this.#s.networkChannels!.all(network) as Array<{ id: number; channel_folded: string; channel: string }>;
      const byFold = new Map(rows.map((r) => [r.channel_folded, r.id]));
      for (const row of rows) {
        const folded = this.#folds.fold(network, row.channel);
        if (folded === row.channel_folded) continue;
        const keep = byFold.get(folded);
        if (byFold.get(row.channel_folded) === row.id) byFold.delete(row.channel_folded);
        if (keep === undefined) {
          this.#s.setFolded!.run(folded, row.id);
          byFold.set(folded, row.id);
          continue;
        }
        // The same channel under the new fold: its history joins the row already there.
        this.#s.moveLines!.run(keep, row.id);
        this.#s.moveReceipts!.run(keep, row.id);
        this.#s.moveSpans!.run(keep, row.id);
        this.#s.deleteChannel!.run(row.id);
        this.#s.recount!.run(keep, keep);
        this.#recent.delete(row.id);
      }
    })();
  }

  // ---- internals ----

  #channelId(network: string, channel: string, create: boolean): number | undefined {
    const spelt = this.#bySpelling.get(network)?.get(channel);
    if (spelt !== undefined && (!create || spelt.name === channel)) return spelt.id;
    const folded = this.#folds.fold(network, channel);
    const cacheKey = `${network}\0${folded}`;
    const cached = this.#channelIds.get(cacheKey);
    if (cached !== undefined) {
      if (create && cached.name !== channel) {
        this.#writer.sync();
        this.#s.renameChannel!.run(channel, cached.id, channel);
        cached.name = channel;
      }
      this.#spelt(network, channel, cached);
      return cached.id;
    }
    let id = this.#s.channelId!.get(network, folded) as number | undefined;
    if (id === undefined) {
      if (!create) return undefined;
      this.#writer.sync();
      id = Number(this.#s.insertChannel!.run(network, folded, channel).lastInsertRowid);
    } else if (create) {
      this.#writer.sync();
      this.#s.renameChannel!.run(channel, id, channel);
    }
    const entry = { id, name: channel };
    this.#channelIds.set(cacheKey, entry);
    this.#spelt(network, channel, entry);
    return id;
  }

  #spelt(network: string, channel: string, entry: { id: number; name: string }): void {
    let names = this.#bySpelling.get(network);
    if (names === undefined) this.#bySpelling.set(network, (names = new Map()));
    names.set(channel, entry);
  }

  /** The key of an archived or queued line. */
  #keyOf(channelId: number, id: string): Key | undefined {
    const queued = this.#queued().get(channelId)?.get(id);
    if (queued !== undefined) return { at: this.#queue.at(queued), seq: this.#queue.seq(queued) };
    this.#writer.sync(); // it may be in a batch the worker is writing
    const row = this.#s.lineById!.get(channelId, id) as LineRow | undefined;
    return row === undefined ? undefined : { at: row.at, seq: row.seq };
  }

  /** The user's spans of the channel, merged where they overlap, as [start, end] (end Infinity when open). */
  #userSpans(user: string, channelId: number): Array<[number, number]> {
    return mergeSpans(this.#s.spans!.all(user, channelId) as SpanRow[]);
  }

  /** The line with that id when this user may read it (inside a span; a status line they received). */
  #visibleLine(ctx: PageContext, id: string): LineRow | undefined {
    const row = this.#s.lineById!.get(ctx.channelId, id) as LineRow | undefined;
    if (row === undefined) return undefined;
    if (!ctx.spans.some(([s, e]) => s <= row.at && row.at <= e)) return undefined;
    if (row.status_prefix !== null && this.#s.hasReceipt!.get(ctx.channelId, row.at, row.seq, ctx.user) === undefined) return undefined;
    return row;
  }

  /** The key ranges (exclusive) to read: the user's spans cut to (lo, hi), in order. */
  *#ranges(spans: ReadonlyArray<[number, number]>, lo: Key, hi: Key, reverse = false): Generator<[Key, Key]> {
    const order = reverse ? [...spans].reverse() : spans;
    for (const [s, e] of order) {
      const a = maxKey(lo, fromTime(s));
      const b = minKey(hi, e === Infinity ? HIGHEST : untilTime(e));
      if (before(a, b)) yield [a, b];
    }
  }

  /**
   * Up to `limit` visible lines between two exclusive keys, from the low end or (backward)
   * the high end. A nick filter is applied here, on chunks of WITH_CHUNK lines, and reads
   * at most WITH_SCAN_LIMIT lines (`capped`): a nick that never spoke must not make one
   * query read a whole channel.
   */
  #page(ctx: PageContext, lo: Key, hi: Key, limit: number, backward: boolean): { rows: LineRow[]; capped: boolean } {
    const out: LineRow[] = [];
    const stmt = backward ? this.#s.pageBackward! : this.#s.pageForward!;
    let scanned = 0;
    for (const [a, b] of this.#ranges(ctx.spans, lo, hi, backward)) {
      if (ctx.nick === null) {
        out.push(...(stmt.all(this.#params(ctx, a, b, limit - out.length)) as LineRow[]));
        if (out.length >= limit) break;
        continue;
      }
      let from = a;
      let to = b;
      for (;;) {
        const chunk = stmt.all(this.#params(ctx, from, to, WITH_CHUNK)) as LineRow[];
        scanned += chunk.length;
        for (const r of chunk) {
          if (foldCase(ctx.mapping, r.nick) !== ctx.nick) continue;
          out.push(r);
          if (out.length >= limit) return { rows: out, capped: false };
        }
        const last = chunk.at(-1);
        if (last === undefined || chunk.length < WITH_CHUNK) break;
        if (backward) to = { at: last.at, seq: last.seq };
        else from = { at: last.at, seq: last.seq };
        if (scanned >= WITH_SCAN_LIMIT) return { rows: out, capped: true };
      }
    }
    return { rows: out, capped: false };
  }

  #params(ctx: PageContext, a: Key, b: Key, limit: number): Record<string, unknown> {
    return {
      channel: ctx.channelId,
      loAt: a.at,
      loSeq: a.seq,
      hiAt: b.at,
      hiSeq: b.seq,
      textOnly: ctx.textOnly,
      user: ctx.user,
      limit,
    };
  }

  /** One channel's retention work, within `budget` deleted lines; returns the budget left (≤ 0: unfinished). */
  #pruneChannel(channelId: number, cutoff: number, maxLines: number, budget: number): number {
    let left = budget;
    const del = (lo: Key, hi: Key, atMost: number): number => {
      if (atMost <= 0 || !before(lo, hi)) return 0;
      // Delete up to `atMost` lines from the low end of (lo, hi): find the last one's key first.
      const last = this.#s.nthKey!.get(channelId, lo.at, lo.seq, hi.at, hi.seq, atMost - 1) as Key | undefined;
      const end = last === undefined ? hi : { at: last.at, seq: last.seq + 1 };
      const n = this.#s.deleteRange!.run(channelId, lo.at, lo.seq, end.at, end.seq).changes;
      if (n > 0) this.#s.addCount!.run(-n, channelId);
      left -= n;
      return n;
    };
    // 1. Older than the retention period.
    if (cutoff > Number.MIN_SAFE_INTEGER) {
      del(LOWEST, fromTime(cutoff), left);
      if (left <= 0) return left;
    }
    // 2. Beyond the per-channel maximum: the oldest go.
    const excess = (this.#s.lineCount!.get(channelId) as number) - maxLines;
    if (excess > 0) {
      del(LOWEST, HIGHEST, Math.min(excess, left));
      if (left <= 0) return left;
    }
    // 3. Lines no span covers: nobody can read them.
    const spans = mergeSpans(this.#s.channelSpans!.all(channelId) as SpanRow[]);
    let from = LOWEST;
    for (const [s, e] of spans) {
      del(from, fromTime(s), left);
      if (left <= 0) return left;
      from = e === Infinity ? HIGHEST : untilTime(e);
    }
    del(from, HIGHEST, left);
    if (left <= 0) return left;
    // 4. Spans that ended before the cut-off (their lines are gone), then an empty channel.
    if (cutoff > Number.MIN_SAFE_INTEGER) this.#s.deleteOldSpans!.run(channelId, cutoff);
    if (this.#s.deleteEmptyChannel!.run(channelId, channelId).changes > 0) {
      for (const [k, v] of this.#channelIds) if (v.id === channelId) this.#channelIds.delete(k);
      this.#forgetChannels();
      this.#recent.delete(channelId);
    }
    return left;
  }
}

interface PageContext {
  user: string;
  channelId: number;
  spans: ReadonlyArray<[number, number]>;
  nick: string | null;
  mapping: CaseMapping;
  textOnly: 0 | 1;
}

function mergeSpans(rows: readonly SpanRow[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of rows) {
    const end = r.end_at ?? Infinity;
    const last = out.at(-1);
    if (last !== undefined && r.start_at <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([r.start_at, end]);
  }
  return out;
}

function archived(r: LineRow): ArchivedLine {
  const line: { -readonly [K in keyof ArchivedLine]: ArchivedLine[K] } = {
    id: r.id,
    at: r.at,
    nick: r.nick,
    kind: KINDS[r.kind] ?? 'privmsg',
    body: r.body,
  };
  if (r.status_prefix !== null) line.statusPrefix = r.status_prefix;
  return line;
}
