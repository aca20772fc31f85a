/**
 * The archive port: the synchronous repository through which the core records channel
 * lines and reads them back for MAM (mam.ts) and history on join (on-join.ts). SQLite is
 * synchronous, so the core stays free of awaits; src/store/archive-store.ts implements it.
 *
 * Why a port of its own: issue 10 asks for one archive per channel with per-user
 * visibility, cheap at scale. The rules below are what every implementation keeps; the
 * bridge relies on them and the tests in test/unit/store/archive-store.test.ts check them.
 *
 * Rules:
 * - One copy per line. A line is stored once per (network, channel), however many users'
 *   IRC connections receive it. `record(user, line)` says which user's connection saw it
 *   and returns the id under which the line is archived. The bridge MUST put that id in
 *   the live message's XEP-0359 `<stanza-id/>`, so that live and archived copies match
 *   (XEP-0313 §3.5) and every user gets the same id for the same line:
 *   - a line whose id is already archived (the server's IRCv3 `msgid`, or a line replayed
 *     by chathistory or InspIRCd's m_chanhistory) is not stored again: its id comes back;
 *   - a line without a server msgid (`serverId: false`) that another user's connection
 *     already recorded within DEDUP_WINDOW_MS (same nick, kind, body and status prefix,
 *     and not yet seen by this user) is that line: its first id comes back. Two equal lines
 *     on one connection are two lines.
 * - Visibility. A user reads only lines whose time `at` lies inside one of their spans for
 *   that channel (`openSpan` … `closeSpan`, both ends inclusive), as on IRC: nothing from
 *   before they joined or after they left. A STATUSMSG line (`@#chan`, statusPrefix set)
 *   is visible only to the users whose connection recorded it: the store keeps the set of
 *   its recipients (rare lines; normal lines keep no per-user rows).
 * - Spans. `openSpan` on an open span is a no-op; `closeSpan` without an open span is a
 *   no-op; a span reopened before the time it was closed at continues it. Spans left open
 *   by a previous run are closed by `closeOpenSpans` at start-up, except those of the
 *   persistent channels being rejoined (see there). Times are ms since the epoch;
 *   the bridge passes the IRCv3 server-time of its own JOIN/PART when the server sends one,
 *   so lines stamped by the server's clock fall inside.
 * - Writes are queued: `record` appends to an in-memory batch, written in one transaction
 *   when it reaches the batch size or when `flush()` is called. The bridge calls `flush()`
 *   every FLUSH_INTERVAL_MS while lines are queued (an unref'd timer) and at shutdown —
 *   not every tick: each commit writes every page it touches, one or two per channel, so
 *   per-tick commits under load multiply the bytes written (bench/archive.ts). A crash
 *   loses at most that interval of lines. Reads (`query`, `metadata`, `has`, `newest`)
 *   see queued lines: they flush first.
 * - Channel names are compared under the network's CASEMAPPING (casemap.ts) once
 *   `useCaseMapping` told it, rfc1459 until then; the spelling last given is kept.
 * - Nothing here throws for a protocol reason: `query` reports an unknown id or a user
 *   without a span as a result kind, and mam.ts turns that into the stanza error.
 */
import type { CaseMapping } from '../casemap.js';

/** What was said: RFC 2812 §3.3 PRIVMSG/NOTICE, CTCP ACTION, or a topic change (§3.2.4). */
export type ArchiveKind = 'privmsg' | 'notice' | 'action' | 'topic';

/** One channel line, as the bridge records it. */
export interface ArchiveLine {
  /**
   * The server's IRCv3 `msgid` when it sent one (`serverId: true`). Without one it may be
   * left out: the archive names a new line itself with an id that grows with time, so the
   * id index is appended to rather than written at random places (a random id per line
   * made SQLite write 3–5× as much: bench/archive.ts); a copy gets the first copy's id.
   */
  readonly id?: string;
  /** True when `id` is the server's msgid: then it alone identifies the line. */
  readonly serverId: boolean;
  readonly network: string;
  /** The channel as IRC spells it (without a STATUSMSG prefix). */
  readonly channel: string;
  /** ms since the epoch: the IRCv3 server-time tag, else receipt time. */
  readonly at: number;
  /** The sender's nick; '' for the server (the room itself). */
  readonly nick: string;
  readonly kind: ArchiveKind;
  /**
   * The text exactly as the live `<body/>` carried it (decoded, `/me …`, `[notice] …`,
   * `[to @] …` marks included), so archived and live copies read the same; for `topic`,
   * the new topic ('' when cleared), sent as `<subject/>`.
   */
  readonly body: string;
  /** STATUSMSG target prefix (`@`, `+`, `@+` …) when the line went to `@#chan`. */
  readonly statusPrefix?: string;
  /**
   * The parsed IRC line this came from, as an identity: the connections that receive the
   * same line share one parsed object (bridge/index.ts), so a copy is known as one without
   * comparing its text (it still counts as that user's copy, within the dedup window).
   */
  readonly source?: object;
}

/** A line read back from the archive. */
export interface ArchivedLine {
  readonly id: string;
  readonly at: number;
  readonly nick: string;
  readonly kind: ArchiveKind;
  readonly body: string;
  readonly statusPrefix?: string;
}

/**
 * A query on one channel's archive as one user sees it. All bounds are optional and
 * combine (intersection). Times are ms since the epoch, inclusive (XEP-0313 §4.1.2).
 */
export interface ArchiveQuery {
  readonly start?: number;
  readonly end?: number;
  /** Only this nick's lines (compared under the network's CASEMAPPING); '' = the room's own. */
  readonly nick?: string;
  /** Only lines after / before this archived id, exclusive (XEP-0313 §4.1.3 after-id, before-id). */
  readonly afterId?: string;
  readonly beforeId?: string;
  /** Only these ids (XEP-0313 §4.1.3 `ids`); every one must be archived and visible. */
  readonly ids?: readonly string[];
  /** Leave out topic changes (history on join: XEP-0045 §7.2.15 keeps the subject last). */
  readonly textOnly?: boolean;
  /** Page size; 0 asks for the count only (XEP-0059 §2.7). */
  readonly max: number;
  /**
   * RSM paging (XEP-0059 §2.2–§2.5): `after` pages forward from an id; `before` pages
   * backward from an id, '' meaning from the end (the last page). Both may be given: the
   * page is the last `max` lines strictly between them.
   */
  readonly after?: string;
  readonly before?: string;
}

/** One page, oldest first (XEP-0313 §4.2: chronological order). */
export interface ArchivePage {
  readonly lines: readonly ArchivedLine[];
  /**
   * No more matching lines beyond this page in the paging direction (forward, or backward
   * when `before` was given): XEP-0313 §4.3.2 `complete`.
   */
  readonly complete: boolean;
  /**
   * The size of the whole result set and the index of the page's first line in it
   * (XEP-0059 §2.1), when known without counting the archive: a whole set in one page, or
   * a count-only query (max 0). XEP-0313 §4.3.2 makes both optional: counting a large
   * archive on every page costs more than the page.
   */
  readonly count?: number;
  readonly firstIndex?: number;
}

export type ArchiveResult =
  | { readonly kind: 'page'; readonly page: ArchivePage }
  /** A before/after/before-id/after-id/ids value that is not archived, or not visible to this user. */
  | { readonly kind: 'unknown-id'; readonly id: string }
  /** The user never had a span in the channel (within retention). */
  | { readonly kind: 'no-span' }
  /**
   * A nick filter read `scanned` lines (the implementation's bound) without finding one
   * of that nick: narrowing by time would help.
   */
  | { readonly kind: 'too-costly'; readonly scanned: number };

/** The oldest and newest line a user can read (XEP-0313 §5 archive metadata). */
export interface ArchiveBounds {
  readonly oldest: { readonly id: string; readonly at: number };
  readonly newest: { readonly id: string; readonly at: number };
}

export interface Archive {
  /** How long lines are kept (`history.retention_days`), in ms: catch-up asks for no older. */
  readonly retentionMs: number;
  /** Records a line seen by `user`'s connection; returns the id it is archived under (see header). */
  record(user: string, line: ArchiveLine): string;
  /** Writes the queued lines in one transaction. Cheap when nothing is queued. */
  flush(): void;
  /**
   * The user's connection is in the channel from `at` (JOIN confirmed). Returns true when
   * the user was in it already (an open span, or one reopened before it ended): a rejoin
   * after a lost link or a restart, whose gap a chathistory catch-up may fill (issue 10 §4).
   */
  openSpan(user: string, network: string, channel: string, at: number): boolean;
  /** The user's connection left the channel at `at` (PART, KICK, QUIT, link lost). */
  closeSpan(user: string, network: string, channel: string, at: number): void;
  /** Closes every open span of the user on the network (the connection closed). */
  closeAllSpans(user: string, network: string, at: number): void;
  /**
   * At start-up: closes every span left open by the previous run (a crash, or channels
   * kept joined) at `at`, except those of `keep`, the persistent channels about to be
   * rejoined: their spans run on through the downtime, so the lines a chathistory
   * catch-up fills in are readable by the users who kept the channel.
   */
  closeOpenSpans(at: number, keep?: ReadonlyArray<{ readonly user: string; readonly network: string; readonly channel: string }>): void;
  /** Whether the user has (or had, within retention) a span in the channel. */
  hasSpan(user: string, network: string, channel: string): boolean;
  query(user: string, network: string, channel: string, q: ArchiveQuery): ArchiveResult;
  /** Oldest and newest line the user can read; undefined when none. */
  metadata(user: string, network: string, channel: string): ArchiveBounds | undefined;
  /** The newest archived line of the channel for anybody (IRCv3 chathistory catch-up: `AFTER msgid=…`). */
  newest(network: string, channel: string): { readonly id: string; readonly at: number } | undefined;
  /** Whether the id is archived for the channel (a replayed line is recorded once). */
  has(network: string, channel: string, id: string): boolean;
  /**
   * Deletes the user's spans and status-line receipts (at once: nothing of theirs is
   * readable by them afterwards), then the lines nobody can read any more, in one bounded
   * chunk; returns true when more remain: schedule `prune` as after a chunk of it.
   */
  removeUser(user: string): boolean;
  /**
   * One bounded chunk of retention work at time `now`: lines older than the retention
   * period, lines beyond the per-channel maximum, spans that ended before the oldest kept
   * line. Returns true while work remains: the caller schedules the next chunk (setImmediate
   * or a timer) instead of looping, so the event loop is never blocked for long.
   */
  prune(now: number): boolean;
  /** The network's CASEMAPPING, learned from ISUPPORT: its channel names fold by it from now on. */
  useCaseMapping(network: string, mapping: CaseMapping): void;
}

/** How often the bridge writes the queued lines (see `flush`). */
export const FLUSH_INTERVAL_MS = 1_000;

/** How long after a line another connection's copy of it (no server msgid) is still that line. */
export const DEDUP_WINDOW_MS = 5_000;
