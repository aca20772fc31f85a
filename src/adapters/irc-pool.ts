/**
 * The IRC adapter: one irc-framework client per connection key (XMPP bare JID ×
 * network), kept thin. It opens and closes connections and moves lines; the core
 * reads every line itself and decides everything else (nick collisions,
 * reconnection, what to join).
 *
 * Length: over 500 lines because everything irc-framework does on our sockets is held
 * here in one place — the pinned transport, TLS, the pacer, the bounds on its caches and
 * the trace redaction all act on the same connection state; split, each would need that
 * state passed around.
 *
 * Rules kept:
 * - Addresses: the host is resolved first; unless `allowPrivateAddresses`, a host
 *   with any private, loopback, link-local… address (core/ip-policy.ts) is refused
 *   without a connection. The socket then dials the checked addresses themselves
 *   (in resolver order, the next one only when TCP to the previous failed), so a
 *   second DNS answer cannot point the gateway elsewhere (DNS rebinding). With
 *   TLS the server name (SNI) is the host and the certificate is verified
 *   against it.
 * - Events: `registered` on the first RPL_WELCOME (a server repeating 001 is
 *   ignored, with a warning); `closed` exactly once per `connect`,
 *   whatever ended it (refusal, DNS, TCP, TLS, time-out before registration,
 *   ERROR, QUIT, shutdown), never from inside a call the core made: `connect`,
 *   `send` and `quit` report later, from a timer or socket event. Once `closed`
 *   is reported, `has(key)` is false and the key may be connected again.
 * - Lines in: every line the server sends, before and after 001, decoded as
 *   UTF-8 or else `fallbackEncoding` (core/formatting.ts `decodeIrcBytes`), goes
 *   to `onLine` without its line ending, including those irc-framework answers
 *   itself (PING, CAP, AUTHENTICATE).
 * - Lines out: already built by core/irc-writer.ts. A line with CR, LF or NUL or
 *   over 510 bytes is a bug upstream: it is logged and dropped, never repaired.
 *   Lines are paced per connection (core/pacing.ts) in FIFO order, with the
 *   network's flood settings (`pacerFor`; unpaced when they are off); after QUIT
 *   nothing more is sent.
 * - Logs: trace = every line in and out, with PASS/AUTHENTICATE/OPER arguments
 *   replaced by `[Redacted]`, and every occurrence of the connection's own
 *   secrets (server and SASL passwords, `traceSecrets`: after-connect commands,
 *   NickServ password) replaced too, on the line string before it becomes a log
 *   field; debug = state changes. Passwords never reach a log call, and nothing
 *   a user sets changes what another connection's lines (or any JSON) look like.
 * - Nothing irc-framework does can throw out of a socket event: our callbacks
 *   and its line handling run inside try/catch (logged at error).
 * - Memory a server can make irc-framework hold is bounded (issue 8 §4): before
 *   each line from the server is dispatched, the connection's irc-framework state
 *   is measured (`frameworkFootprint`): open caches (NAMES per channel before 366,
 *   BATCH before its end, WHOIS/WHO/MOTD/LINKS/INFO/HELP, ban lists…), the entries
 *   and characters they hold, the CAP sets and the ISUPPORT tokens. Over any bound
 *   of `FrameworkLimits` the connection is dropped, and its `closed` reason says
 *   which bound the server broke; the process and the other connections go on.
 *
 * irc-framework (4.14) details this relies on, read in its source:
 * - `raw` events carry `{ line, from_server }` for every line read (before it is
 *   parsed) and every line written (`from_server: false`); `registered` fires on
 *   001 with the nick the server gave; `irc error` with `error: 'irc'` carries an
 *   ERROR line's text; `socket close` fires once per socket with the error.
 * - Server lines whose handlers in it only emit events we do not hear, or keep state we
 *   never read (PRIVMSG, NOTICE, JOIN, PART, KICK, QUIT, MODE, TOPIC, INVITE, AWAY,
 *   ACCOUNT, CHGHOST, SETNAME, 002-004, 250-255, 265, 266, 331-333) never reach it
 *   (`#frameworkBlind`): they go straight to `onLine`, logged at trace as its 'raw'
 *   handler would. It still sees registration, CAP, SASL, PING/PONG, NICK, ERROR,
 *   ISUPPORT and every reply it caches (NAMES, MOTD, WHOIS…: the bounds below).
 * - It answers PING itself, negotiates CAP 302 and SASL PLAIN, and requests,
 *   when offered: cap-notify, batch, multi-prefix, message-tags,
 *   draft/message-tags-0.2, away-notify, invite-notify, account-notify,
 *   account-tag, server-time, userhost-in-names, extended-join,
 *   znc.in/server-time(-iso), plus echo-message and chghost because we set
 *   `enable_echomessage`/`enable_chghost`, sasl when `account` is given, and what
 *   `requestCap` adds (we add chathistory and draft/chathistory).
 * - It answers CTCP VERSION only when `options.version` is truthy (we pass
 *   null); no other CTCP is answered automatically.
 * - With `account` undefined it would reuse the server password for SASL; we
 *   pass `account: {}` to turn that off when no SASL credentials are given.
 * - Its transport is swappable (`options.transport`); ours dials the pinned
 *   addresses and decodes bytes as above, instead of transports/net.js, which
 *   dials the host name and sends no SNI for an IP address.
 */
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import dns from 'node:dns';
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientOptions, IrcErrorEvent, IrcTransport, RawEvent, RegisteredEvent } from 'irc-framework';
// The client class alone, not the package index: that also loads the default transport
// (socks, ip-address, iconv-lite) we never use, ~3 MB of RSS (issue 11 §3); through
// require(), not import (cjs-require.ts says why).
import type { ConnKey, IrcConnectParams, IrcConnEvent } from '../core/effects.js';
import { decodeIrcBytes } from '../core/formatting.js';
import { classifyAddress } from '../core/ip-policy.js';
import { cjsRequire } from '../cjs-require.js';
import { RAW_BYTES_TAG } from '../core/irc-message.js';
import { IRC_MAX_LINE_BYTES, utf8ByteLength } from '../core/irc-writer.js';
import { DEFAULT_PACER_OPTIONS, createPacer, type Pacer, type PacerOptions } from '../core/pacing.js';
import { lazyChild, type LevelLog, type Logger } from '../log.js';

const Client = cjsRequire<typeof import('irc-framework/src/client.js').default>('irc-framework/src/client.js');
type Client = InstanceType<typeof Client>;

/**
 * node:tls, loaded at the first TLS connection: a gateway whose networks are all plain TCP
 * (its own ircd on loopback) never loads Node's TLS modules (0.2-0.5 MB of RSS at idle, issue 11 §3).
 */
let tlsModule: typeof tls | undefined;
const tlsConnect = (options: tls.ConnectionOptions): tls.TLSSocket => (tlsModule ??= cjsRequire<typeof tls>('node:tls')).connect(options);

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type HostLookup = (host: string) => Promise<ResolvedAddress[]>;

export interface IrcPoolOptions {
  log: Logger;
  /** Every line the server sends, without its line ending. */
  onLine(key: ConnKey, line: string): void;
  onEvent(key: ConnKey, ev: IrcConnEvent): void;
  /** Every line written to a server, ours and irc-framework's own (PONG, CAP), for metrics. */
  onLineSent?(key: ConnKey): void;
  /** Flood control holds `key`'s queue for `waitMs` before its next line, for metrics. */
  onPacingWait?(key: ConnKey, waitMs: number): void;
  /** Flood control per connection; default DEFAULT_PACER_OPTIONS. */
  pacer?: PacerOptions;
  /**
   * Flood control for a network's connections (config `[irc.flood]`, per network),
   * asked once per `connect`; null sends without pacing. Wins over `pacer`.
   */
  pacerFor?(network: string): PacerOptions | null;
  /**
   * The source address for a user's connections to a network (config `ipv6_prefix`,
   * core/source-address.ts), asked once per `connect`; undefined lets the system choose.
   * With an IPv6 source only the host's IPv6 addresses are dialled.
   */
  localAddressFor?(network: string, bareJid: string): string | undefined;
  /** Bound from the dial to RPL_WELCOME (DNS, TCP, TLS and registration), in ms. */
  connectTimeoutMs: number;
  /**
   * Connections between dial and RPL_WELCOME at once (config `irc.parallel_connects`);
   * the rest wait in order, their timeout not yet running. Default 200.
   */
  parallelConnects?: number;
  /** Resolves a host name to addresses; default `dns.promises.lookup(host, { all: true })`. */
  lookup?: HostLookup;
  /** WHATWG encoding label for lines that are not valid UTF-8; default windows-1252. */
  fallbackEncoding?: string;
  /** Bounds on what a server can make irc-framework hold; default DEFAULT_FRAMEWORK_LIMITS. */
  frameworkLimits?: Partial<FrameworkLimits>;
  /** PING and ping timeout; default DEFAULT_KEEP_ALIVE. */
  keepAlive?: Partial<KeepAliveOptions>;
}

/** Lines we send are at most this many bytes, CRLF excluded (RFC 1459 §2.3). */
const MAX_SEND_BYTES = IRC_MAX_LINE_BYTES - 2;
/** A server line longer than this (IRCv3 tags included) is a broken peer: the connection is dropped. */
const MAX_RECEIVE_BYTES = 64 * 1024;
/** Connections between dial and RPL_WELCOME at once, unless the options say otherwise. */
const DEFAULT_PARALLEL_CONNECTS = 200;
/** How long the server gets to close the socket after our QUIT. */
const QUIT_GRACE_MS = 5_000;
/** Lines that may wait behind the pacer on one connection (minutes of traffic at 2 lines/s). */
const MAX_QUEUED_LINES = 2_000;
/**
 * Keep-alive (`IrcPool#sweep`): a registered connection that heard nothing from its server
 * for 60 s sends a PING; one that heard nothing for 120 s since its socket opened or its
 * last line is dropped ("ping timeout"). Each PING and its PONG cost the gateway about
 * 0.2 ms: at 30 s, 19,900 idle connections kept 14 % of a core busy (gwbench connect
 * --n 19900).
 *
 * Why not irc-framework's own (`ping_interval`, `ping_timeout`, off here): it keeps two
 * timers per connection, with their closures, and re-arms one (a new Timeout, a closure,
 * a lodash pull from the connection's timer list) for every line it dispatches; ~1 kB of
 * heap per connection (issue 11 §3). Here a line only sets a flag, and one unref'd timer
 * a second looks at every connection.
 */
export interface KeepAliveOptions {
  /** Silence before a registered connection sends PING, ms (60,000). */
  pingAfterMs: number;
  /** Silence after which the connection is given up, ms (120,000). */
  timeoutMs: number;
  /** How often the connections are looked at, ms (1,000): PINGs go out within this of being due. */
  sweepMs: number;
}
export const DEFAULT_KEEP_ALIVE: KeepAliveOptions = { pingAfterMs: 60_000, timeoutMs: 120_000, sweepMs: 1_000 };

const DEFAULT_FALLBACK_ENCODING = 'windows-1252';

/**
 * How much irc-framework state one server may make us hold. Real servers stay far
 * below: a few caches open at once, NAMES of the largest channels (a few thousand
 * members), a MOTD of a few hundred lines, ~30 capabilities, ~40 ISUPPORT tokens.
 */
export interface FrameworkLimits {
  /** Caches open at once (NAMES of a channel awaiting 366, an open BATCH, a WHOIS…). */
  caches: number;
  /** Entries across them: NAMES members, batched lines, WHO replies, list entries, fields. */
  entries: number;
  /** Characters across their strings (MOTD, INFO, HELP text…). */
  chars: number;
  /** Capabilities the server offered (CAP LS/NEW), or we requested or enabled. */
  caps: number;
  /** ISUPPORT (005) tokens. */
  isupport: number;
}

export const DEFAULT_FRAMEWORK_LIMITS: FrameworkLimits = {
  caches: 512,
  entries: 100_000,
  chars: 1_000_000,
  caps: 256,
  isupport: 512,
};

/** The parts of irc-framework 4.14 (src/commands/handler.js, src/networkinfo.js) that hold what servers send. */
interface FrameworkInternals {
  command_handler?: { _caches?: Record<string, Record<string, unknown>>; resetCache?(): void };
  network?: {
    options?: Record<string, unknown>;
    cap?: { available?: Map<string, string>; enabled?: unknown[]; requested?: unknown[] };
  };
}

export type FrameworkFootprint = { [K in keyof FrameworkLimits]: number };

/**
 * What one client holds, counted without copying; stops counting caches past
 * `stopAt` of them, so a hostile server cannot make the measurement itself slow.
 */
export function frameworkFootprint(client: unknown, stopAt = Infinity): FrameworkFootprint {
  const c = client as FrameworkInternals;
  const out: FrameworkFootprint = { caches: 0, entries: 0, chars: 0, caps: 0, isupport: 0 };
  const caches = c.command_handler?._caches;
  if (caches) {
    for (const id in caches) {
      if (++out.caches > stopAt) break;
      const cache = caches[id];
      for (const field in cache) {
        const v = cache[field];
        if (typeof v === 'string') out.chars += v.length;
        else if (Array.isArray(v)) out.entries += v.length;
        else out.entries += 1;
      }
    }
  }
  const cap = c.network?.cap;
  out.caps = Math.max(cap?.available?.size ?? 0, cap?.enabled?.length ?? 0, cap?.requested?.length ?? 0);
  const options = c.network?.options;
  if (options) for (const _k in options) out.isupport++;
  return out;
}

/** The first bound `fp` breaks, in words for the user; undefined when within all. */
export function frameworkOverflow(fp: FrameworkFootprint, limits: FrameworkLimits): string | undefined {
  if (fp.caches > limits.caches) return `the server left more than ${limits.caches} replies unfinished (NAMES without 366, BATCH without its end…)`;
  if (fp.entries > limits.entries) return `the server sent more than ${limits.entries} entries in unfinished replies (NAMES, BATCH, WHO…)`;
  if (fp.chars > limits.chars) return `the server sent more than ${limits.chars} characters in unfinished replies (MOTD, INFO, HELP…)`;
  if (fp.caps > limits.caps) return `the server offered more than ${limits.caps} capabilities`;
  if (fp.isupport > limits.isupport) return `the server sent more than ${limits.isupport} ISUPPORT (005) tokens`;
  return undefined;
}

/**
 * irc-framework 4.14 fills a table of ~200 command handlers for each client
 * (src/commands/handler.js `addHandler`); none holds anything of its client (each is
 * given the command handler as an argument), so every client uses the first client's
 * table: 8 kB less per connection (issue 11 §3).
 */
let sharedCommandHandlers: unknown;
function shareCommandHandlers(client: Client): void {
  const ch = (client as unknown as { command_handler?: { handlers?: unknown } }).command_handler;
  if (ch?.handlers === undefined) return;
  sharedCommandHandlers ??= ch.handlers;
  ch.handlers = sharedCommandHandlers;
}

/**
 * Per-client state irc-framework 4.14 builds and Jabirc never needs (issue 11 §3):
 * - `NetworkInfo` (src/networkinfo.js) gives each instance its own copy of eight methods,
 *   and its `cap` one more, that use only `this`: every client takes the first client's;
 * - the client re-emits eight of its connection's events (client.js `createStructure`);
 *   neither irc-framework nor this adapter listens on the client for five of them
 *   (it listens for 'raw' and 'socket close'; 'connecting' also carries irc-framework's
 *   own CAP reset), so those five listeners go. Nothing else listens on the connection
 *   for them (client.js, connection.js);
 * - the client's own 'away' and 'back' listeners only keep `client.user.away`, which
 *   nothing reads (irc-framework writes it there alone; the core follows AWAY itself).
 *
 * eventemitter3 removes an event with `delete` on its `_events` object, which turns that
 * object into a hash table of its own (V8 dictionary mode: ~0.45–0.8 kB each) where the
 * untouched ones share one hidden class and keep a small property array. The two
 * emitters trimmed here get their `_events` copied into a fresh object of the same
 * prototype, in the same order (so every client's copy shares one hidden class).
 */
const NETWORK_METHODS = [
  'timeToLocal',
  'timeToServer',
  'getServerTimeOffset',
  'addServerTimeOffset',
  'supports',
  'supportsTag',
  'isChannelName',
  'extractTargetGroup',
] as const;
const UNHEARD_CONNECTION_EVENTS = ['reconnecting', 'close', 'socket error', 'raw socket connected', 'debug'] as const;
const UNREAD_CLIENT_EVENTS = ['away', 'back'] as const;
interface Emitter {
  _events?: object;
  removeAllListeners(event: string): void;
}
interface FrameworkPerClient extends Emitter {
  network?: Record<string, unknown> & { cap?: Record<string, unknown> };
  connection?: Emitter;
}
/** `events` removed from `emitter`, its listener table left in V8's fast mode (see above). */
function dropListeners(emitter: Emitter, events: readonly string[]): void {
  for (const event of events) emitter.removeAllListeners(event);
  const table = emitter._events;
  if (table === undefined) return;
  emitter._events = Object.assign(Object.create(Object.getPrototypeOf(table) as object | null) as object, table);
}
let sharedNetworkMethods: Record<string, unknown> | undefined;
function trimClientState(client: Client): void {
  const framework = client as unknown as FrameworkPerClient;
  const { network, connection } = framework;
  if (network !== undefined) {
    const shared = (sharedNetworkMethods ??= Object.fromEntries([
      ...NETWORK_METHODS.map((m) => [m, network[m]]),
      ['isEnabled', network.cap?.isEnabled],
    ]));
    for (const m of NETWORK_METHODS) if (typeof shared[m] === 'function') network[m] = shared[m];
    if (network.cap !== undefined && typeof shared.isEnabled === 'function') network.cap.isEnabled = shared.isEnabled;
  }
  if (connection !== undefined) dropListeners(connection, UNHEARD_CONNECTION_EVENTS);
  dropListeners(framework, UNREAD_CLIENT_EVENTS);
}

const SECRET_COMMANDS = /^(PASS|AUTHENTICATE|OPER)( |$)/i;
/** A JOIN with keys: everything after the channel list. */
const JOIN_KEYS = /^(JOIN +\S+) +\S/i;
/** A channel MODE whose mode string sets or clears `k`: its parameters may hold the key. */
const MODE_KEY = /^(MODE +[#&!+]\S* +[-+]*[A-Za-z]*k[-+A-Za-z]*)(?= )/i;

/**
 * Server lines irc-framework need not see (`IrcPool#frameworkBlind`): tags and source, then
 * a command whose handler in irc-framework 4.14 (src/commands/handlers/) only emits an event
 * nobody listens to, or sets client state nothing reads (user modes, `network.ircd`). Not
 * here: what it answers or negotiates (PING, CAP, AUTHENTICATE, 90x), what it tracks and
 * uses (001, 005, NICK, PONG, ERROR, BATCH) and replies it caches until their end (NAMES,
 * MOTD, WHOIS, WHO, lists), which `frameworkFootprint` bounds.
 */
const FRAMEWORK_BLIND =
  /^(?:@\S+ +)?(?::\S+ +)?(?:PRIVMSG|NOTICE|JOIN|PART|KICK|QUIT|MODE|TOPIC|INVITE|AWAY|ACCOUNT|CHGHOST|SETNAME|00[234]|25[0-5]|26[56]|33[123])(?: |$)/i;

/** Where every connection's socket reads land (`PinnedTransport`, `onread`); consumed before the next read. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const EMPTY = Buffer.alloc(0);

/** Transports with lines written this turn; one microtask writes them all (`PinnedTransport#writeLine`). */
let pendingWrites: PinnedTransport[] = [];
function flushPendingWrites(): void {
  const transports = pendingWrites;
  pendingWrites = [];
  // One connection's failure (its error handler throwing) must not leave the others'
  // lines pending for ever: a transport is queued again only when its buffer is empty.
  for (const t of transports) {
    try {
      t.flushWrites();
    } catch {
      // flushWrites has already emptied that transport's buffer and reported the error.
    }
  }
}

/**
 * A line that was not valid UTF-8 carries its original bytes in the client-only tag
 * `RAW_BYTES_TAG` (IRCv3 message-tags), so the core can decode it again with a room's
 * own encoding; valid lines pass unchanged.
 */
function markRawBytes(bytes: Uint8Array, line: string): string {
  if (isUtf8(bytes)) return line;
  const tag = `${RAW_BYTES_TAG}=${Buffer.from(bytes).toString('base64')}`;
  return line.startsWith('@') ? `@${tag};${line.slice(1)}` : `@${tag} ${line}`;
}

/** Services commands that carry a password (NickServ IDENTIFY/REGISTER/GHOST, NS, PRIVMSG or SQUERY). */
const SERVICES_SECRET = /^((?:PRIVMSG|NOTICE|SQUERY) +\S*(?:NickServ|NS)\S* +:?(?:IDENTIFY|REGISTER|GHOST|RECOVER|RELEASE|SET +PASSWORD)\b|(?:NS|NICKSERV) +(?:IDENTIFY|REGISTER|GHOST|RECOVER|RELEASE|SET +PASSWORD)\b)/i;

/** Bound on the strings one connection scrubs from its own trace lines. */
const MAX_TRACE_SECRETS = 32;

/**
 * The strings one connection scrubs from its trace lines: its passwords, and each
 * after-connect command both whole and as its trailing text (what an echo-message
 * echo carries). Longest first, so a secret inside another is not left half-shown.
 */
export function traceSecretsOf(params: Pick<IrcConnectParams, 'serverPassword' | 'sasl' | 'traceSecrets'>): string[] {
  const out = new Set<string>();
  for (const s of [params.serverPassword, params.sasl?.password, ...(params.traceSecrets ?? [])].slice(0, MAX_TRACE_SECRETS)) {
    if (!s) continue;
    out.add(s);
    const trailing = s.indexOf(' :');
    if (trailing >= 0 && s.length > trailing + 2) out.add(s.slice(trailing + 2));
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** A line for the trace log: secret-carrying commands and the connection's own secrets replaced. */
export function redactLine(line: string, secrets: readonly string[] = []): string {
  // Incoming lines (an echo-message echo of our own IDENTIFY) carry tags and a source first.
  const head = /^(?:@\S+ +)?(?::\S+ +)?/.exec(line)?.[0] ?? '';
  const rest = line.slice(head.length);
  const m = SECRET_COMMANDS.exec(rest);
  if (m) return `${head}${m[1]} [Redacted]`;
  const s = SERVICES_SECRET.exec(rest);
  if (s) return `${head}${s[1]} [Redacted]`;
  // Channel keys (issue 8 §5): `JOIN #a,#b key1,key2` and `MODE #c +k key` (with other modes too).
  const j = JOIN_KEYS.exec(rest);
  if (j) return `${head}${j[1]} [Redacted]`;
  const k = MODE_KEY.exec(rest);
  if (k) return `${head}${k[1]} [Redacted]`;
  let out = line;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[Redacted]');
  return out;
}

const defaultLookup: HostLookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

export type ConnState = 'resolving' | 'connecting' | 'open' | 'registered' | 'quitting';

export interface IrcConnectionInfo {
  network: string;
  state: ConnState;
  /** Lines waiting for the socket or the pacer. */
  queued: number;
}

interface Conn {
  readonly key: ConnKey;
  readonly params: IrcConnectParams;
  /** Made at the connection's first line logged (`lazyChild`). */
  readonly log: LevelLog;
  /** Null when the network's flood control is off: lines go out as soon as the socket is open. */
  readonly pacer: Pacer | null;
  /** `traceSecretsOf(params)`: scrubbed from this connection's trace lines. */
  readonly traceSecrets: readonly string[];
  state: ConnState;
  client: Client | undefined;
  transport: PinnedTransport | undefined;
  /** Lines waiting for the socket or the pacer. */
  queue: string[];
  pumpTimer: NodeJS.Timeout | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  /** Why we ended it, when we did; wins over what the socket says. */
  localReason: string | undefined;
  /** Text of the server's ERROR line, if one came. */
  serverError: string | undefined;
  finished: boolean;
  /** Its place among the connections being dialled and registered (`parallelConnects`). */
  slot: 'waiting' | 'held' | 'none';
  /** Keep-alive (`IrcPool#sweep`): a server line came since the last sweep; when the silence began; PING sent in it. */
  heard: boolean;
  quietSince: number;
  pinged: boolean;
  readonly done: Promise<void>;
  resolveDone(): void;
}

/**
 * A line `send` refuses, logged: CR, LF or NUL, or over MAX_SEND_BYTES. A bug upstream
 * (irc-writer refuses these); the text may be a user's, so it stays out of the log.
 */
function refusedLine(conn: Conn, line: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short lines need no count.
  const long = line.length * 3 > MAX_SEND_BYTES && utf8ByteLength(line) > MAX_SEND_BYTES;
  const bad = /[\r\n\0]/.test(line) ? 'contains CR, LF or NUL' : long ? 'too long' : null;
  if (bad === null) return false;
  conn.log.error({ command: line.split(' ', 1)[0]?.slice(0, 20), bytes: utf8ByteLength(line), problem: bad }, 'refusing to send a malformed IRC line');
  return true;
}

/** Socket errors in words a user can act on. */
function describeSocketError(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset by the server';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'cannot use the source address (is the network\'s ipv6_prefix routed to this host, with net.ipv6.ip_nonlocal_bind = 1?)';
    default:
      break;
  }
  // OpenSSL errors carry `library`/`reason`; certificate checks fail with codes such as
  // DEPTH_ZERO_SELF_SIGNED_CERT or ERR_TLS_CERT_ALTNAME_INVALID.
  const code = err.code ?? '';
  if (/^ERR_(TLS|SSL)_|CERT|SIGNATURE|ISSUER/.test(code) || 'library' in err) return `TLS error: ${err.message}`;
  return err.message;
}

interface PinnedTarget {
  addresses: readonly string[];
  port: number;
  tls: boolean;
  /** SNI and the name the certificate must match; undefined when the host is an IP address. */
  servername: string | undefined;
  /** Off only when the user's settings say so (self-signed servers). */
  verifyCertificate: boolean;
  /** The address to bind before dialling (a per-user IPv6 source), if any. */
  localAddress: string | undefined;
}

/**
 * An irc-framework transport (see src/types/irc-framework.d.ts) that dials the
 * already-checked addresses and splits and decodes lines itself.
 */
class PinnedTransport extends EventEmitter implements IrcTransport {
  readonly #target: PinnedTarget;
  readonly #log: LevelLog;
  readonly #fallbackEncoding: string;
  #socket: net.Socket | undefined;
  #tcpConnected = false;
  #open = false;
  #closing = false;
  #index = 0;
  #lastError: Error | undefined;
  #buffer: Buffer = EMPTY;
  /** Lines written since the last flush, each with its CRLF (`writeLine`). */
  #pending = '';
  #pendingCallbacks: Array<() => void> | undefined;
  /** Takes a server line past irc-framework when it returns true (`IrcPool#frameworkBlind`). */
  bypass: ((line: string) => boolean) | undefined;

  constructor(target: PinnedTarget, log: LevelLog, fallbackEncoding: string) {
    super();
    this.#target = target;
    this.#log = log;
    this.#fallbackEncoding = fallbackEncoding;
  }

  connect(): void {
    this.#index = 0;
    this.#dial();
  }

  #dial(): void {
    const address = this.#target.addresses[this.#index];
    if (address === undefined) {
      this.emit('close', this.#lastError ?? new Error('no address to connect to'));
      return;
    }
    const { port } = this.#target;
    this.#log.debug({ address, port, tls: this.#target.tls, localAddress: this.#target.localAddress }, 'connecting');
    this.#tcpConnected = false;
    this.#buffer = EMPTY;
    const { localAddress } = this.#target;
    // Reads land in one buffer shared by every connection (`onread`), not in a fresh
    // Buffer pushed through a Readable stream and emitted as 'data': that machinery cost
    // about as much CPU as the rest of a private message's way (issue 11 §2). Each read
    // is consumed before the next one starts, so sharing is safe.
    let socket: net.Socket | undefined;
    const onread = {
      buffer: SHARED_READ_BUFFER,
      callback: (nread: number): boolean => {
        if (socket === undefined || socket !== this.#socket) return true;
        // Inline rather than through `#guard`: a closure per read (issue 11 §2).
        try {
          this.#onData(SHARED_READ_BUFFER.subarray(0, nread));
        } catch (err) {
          this.#threw('data', err);
        }
        return true;
      },
    };
    socket = this.#target.tls
      ? tlsConnect({
          host: address,
          port,
          servername: this.#target.servername,
          rejectUnauthorized: this.#target.verifyCertificate,
          onread,
          ...(localAddress !== undefined && { localAddress }),
        } as tls.ConnectionOptions)
      : net.connect({ host: address, port, onread, ...(localAddress !== undefined && { localAddress }) });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      this.#tcpConnected = true;
    });
    socket.once(this.#target.tls ? 'secureConnect' : 'connect', () => {
      if (socket !== this.#socket) return;
      this.#open = true;
      this.#guard('socket open', () => this.emit('open'));
    });
    socket.on('error', (err) => {
      this.#lastError = err;
    });
    socket.once('close', () => this.#onClose(socket));
  }

  #onClose(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#open = false;
    if (!this.#tcpConnected && !this.#closing && this.#index + 1 < this.#target.addresses.length) {
      this.#log.debug({ err: this.#lastError }, 'address failed, trying the next one');
      this.#index++;
      this.#dial();
      return;
    }
    this.#socket = undefined;
    this.#guard('socket close', () => this.emit('close', this.#lastError ?? false));
  }

  /** `chunk` is a view of the shared read buffer: what is kept past this call is copied. */
  #onData(chunk: Buffer): void {
    const buf = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    // One UTF-8 check for the chunk's complete lines; only a chunk that fails it is decoded
    // line by line with the fallback (most servers send nothing but UTF-8).
    const complete = buf.lastIndexOf(0x0a) + 1;
    const utf8 = complete > 0 && isUtf8(complete === buf.length ? buf : buf.subarray(0, complete));
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      const from = start;
      start = nl + 1;
      if (end === from) continue;
      let line: string;
      if (utf8) line = buf.toString('utf8', from, end);
      else {
        const bytes = buf.subarray(from, end);
        line = markRawBytes(bytes, decodeIrcBytes(bytes, this.#fallbackEncoding));
      }
      try {
        if (this.bypass?.(line) !== true) this.emit('line', line);
      } catch (err) {
        this.#threw('line', err);
      }
      if (this.#socket === undefined || this.#socket.destroyed) return;
    }
    this.#buffer = start === buf.length ? EMPTY : Buffer.from(buf.subarray(start));
    if (this.#buffer.length > MAX_RECEIVE_BYTES) {
      this.#log.warn({ bytes: this.#buffer.length }, 'server sent an over-long line; closing');
      this.#lastError = new Error(`the server sent a line longer than ${MAX_RECEIVE_BYTES} bytes`);
      this.close(true);
    }
  }

  /** irc-framework runs its whole line handling inside our emit: a bug there must not crash the process. */
  #guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#threw(what, err);
    }
  }

  #threw(what: string, err: unknown): void {
    this.#log.error({ err, event: what }, 'irc-framework threw while handling a socket event');
  }

  /**
   * Lines written during one event (irc-framework's CAP LS, NICK and USER on connect, a
   * CAP REQ, our lines) go out as one socket write, from a microtask once the event is
   * handled (`flushPendingWrites`): on loopback each write system call cost ~40 µs, and a
   * join made six (issue 11: joins). Order is kept; `close` sends what is pending first.
   */
  writeLine(line: string, cb?: () => void): void {
    if (!this.#writable()) {
      if (cb) process.nextTick(cb);
      return;
    }
    if (this.#pending === '' && pendingWrites.push(this) === 1) queueMicrotask(flushPendingWrites);
    this.#pending += `${line}\r\n`;
    if (cb) (this.#pendingCallbacks ??= []).push(cb);
  }

  #writable(): boolean {
    return this.#socket !== undefined && this.#open && !this.#socket.destroyed;
  }

  /** One write of the lines pending; their callbacks run once it is done (or at once when it cannot be). */
  flushWrites(): void {
    const data = this.#pending;
    const callbacks = this.#pendingCallbacks;
    this.#pending = '';
    this.#pendingCallbacks = undefined;
    if (data === '') return;
    const done = callbacks === undefined ? undefined : (): void => callbacks.forEach((cb) => cb());
    try {
      if (this.#writable()) this.#socket!.write(data, 'utf8', done);
      else if (done) process.nextTick(done);
    } catch (err) {
      this.#threw('write', err);
    }
  }

  close(force: boolean): void {
    this.#closing = true;
    const socket = this.#socket;
    if (socket === undefined) return;
    this.flushWrites();
    if (force || !this.#open) socket.destroy();
    else socket.end();
  }

  disposeSocket(): void {
    this.close(true);
  }

  /** Lines are always sent as UTF-8; incoming ones are decoded as described above. */
  setEncoding(): boolean {
    return true;
  }

  isConnected(): boolean {
    return this.#open;
  }

  /** The open socket's ports and peer, for identd; undefined while not connected. */
  endpoints(): { localPort: number; remotePort: number; remoteAddress: string } | undefined {
    const s = this.#socket;
    if (s === undefined || !this.#tcpConnected || s.destroyed) return undefined;
    const { localPort, remotePort, remoteAddress } = s;
    if (localPort === undefined || remotePort === undefined || remoteAddress === undefined) return undefined;
    return { localPort, remotePort, remoteAddress };
  }
}

/** `::ffff:192.0.2.1` → `192.0.2.1`: a dual-stack listener sees IPv4 peers in the mapped form. */
function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** What a client listener is called with as `this` (IrcPool#bind). */
interface Binding {
  pool: IrcPool;
  conn: Conn;
  client: Client;
}
// The listeners' event arguments differ per event; each listener declares its own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (this: Binding, ...args: any[]) => void;

/** irc-framework runs our listeners inside its socket events: a bug in one is logged, never thrown there. */
function guarded(event: string, fn: Listener): Listener {
  return function (this: Binding, ...args: unknown[]): void {
    try {
      fn.apply(this, args);
    } catch (err) {
      this.conn.log.error({ err, event }, 'IRC event handler failed');
    }
  };
}

export class IrcPool {
  readonly #opts: IrcPoolOptions;
  readonly #log: Logger;
  readonly #lookup: HostLookup;
  readonly #limits: FrameworkLimits;
  readonly #conns = new Map<ConnKey, Conn>();
  #shuttingDown = false;
  /** Connections holding a dial slot, and those waiting for one (FIFO from `#waitingHead`). */
  #dialing = 0;
  readonly #parallelConnects: number;
  #waiting: Conn[] = [];
  #waitingHead = 0;
  readonly #keepAlive: KeepAliveOptions;
  /** `#sweep`, every `sweepMs` from the first open socket on; unref'd. */
  #keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(opts: IrcPoolOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    this.#lookup = opts.lookup ?? defaultLookup;
    this.#parallelConnects = opts.parallelConnects ?? DEFAULT_PARALLEL_CONNECTS;
    this.#limits = { ...DEFAULT_FRAMEWORK_LIMITS, ...opts.frameworkLimits };
    this.#keepAlive = { ...DEFAULT_KEEP_ALIVE, ...opts.keepAlive };
    // Fail at start-up, not on the first non-UTF-8 line: TextDecoder throws on an unknown label.
    new TextDecoder(opts.fallbackEncoding ?? DEFAULT_FALLBACK_ENCODING);
  }

  #pacerFor(network: string): Pacer | null {
    const options = this.#opts.pacerFor ? this.#opts.pacerFor(network) : (this.#opts.pacer ?? DEFAULT_PACER_OPTIONS);
    return options === null ? null : createPacer(options);
  }

  get size(): number {
    return this.#conns.size;
  }

  has(key: ConnKey): boolean {
    return this.#conns.has(key);
  }

  /** Lines of `key` waiting for the socket or the pacer (0 for an unknown key). */
  queuedLines(key: ConnKey): number {
    return this.#conns.get(key)?.queue.length ?? 0;
  }

  /** Every connection's network, state and queued lines, for metrics; no copy is kept. */
  *connections(): Generator<IrcConnectionInfo> {
    for (const conn of this.#conns.values()) {
      yield { network: conn.params.network, state: conn.state, queued: conn.queue.length };
    }
  }

  /**
   * The connection whose socket runs from our `localPort` to `remoteAddress`:`remotePort`
   * (an identd query, RFC 1413 §2: the pair is named from our side first), if it is one of
   * ours and is open. `remoteAddress` is the host that asks, so a third host cannot learn
   * who is connected where.
   */
  connectionByPorts(localPort: number, remotePort: number, remoteAddress: string): ConnKey | undefined {
    const asked = unmapIPv4(remoteAddress);
    for (const conn of this.#conns.values()) {
      const ends = conn.transport?.endpoints();
      if (ends && ends.localPort === localPort && ends.remotePort === remotePort && unmapIPv4(ends.remoteAddress) === asked) {
        return conn.key;
      }
    }
    return undefined;
  }

  /**
   * Opens a connection; the answer is `registered` then `closed`, or only `closed`.
   * A key that is still connected is a core bug: logged, and the call ignored.
   */
  connect(key: ConnKey, params: IrcConnectParams): void {
    if (this.#conns.has(key)) {
      this.#log.error({ network: params.network }, 'connect for a key that is already connected; ignored');
      return;
    }
    const space = key.indexOf(' ');
    const log = lazyChild(this.#log, { network: params.network, user: space < 0 ? key : key.slice(0, space) });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const conn: Conn = {
      key,
      params,
      log,
      pacer: this.#pacerFor(params.network),
      traceSecrets: traceSecretsOf(params),
      state: 'resolving',
      client: undefined,
      transport: undefined,
      queue: [],
      pumpTimer: undefined,
      deadlineTimer: undefined,
      localReason: undefined,
      serverError: undefined,
      finished: false,
      slot: 'none',
      heard: false,
      quietSince: 0,
      pinged: false,
      done,
      resolveDone,
    };
    this.#conns.set(key, conn);
    if (this.#shuttingDown) {
      this.#finishLater(conn, 'the gateway is shutting down');
      return;
    }
    if (this.#dialing >= this.#parallelConnects) {
      conn.slot = 'waiting';
      this.#waiting.push(conn);
      log.debug({ ahead: this.#waiting.length - this.#waitingHead - 1 }, 'waiting for a free connection slot');
      this.#callOnEvent(conn, { kind: 'waiting' });
      return;
    }
    this.#startDial(conn);
  }

  /**
   * Dials now, holding a slot until RPL_WELCOME or the end (issue 11 §4: 20,000 joins at
   * once timed out by the thousand, each timeout running while the gateway was still busy
   * dialling the others).
   */
  #startDial(conn: Conn): void {
    const { log, params } = conn;
    conn.slot = 'held';
    this.#dialing++;
    const timeoutMs = this.#opts.connectTimeoutMs;
    conn.deadlineTimer = setTimeout(() => {
      conn.deadlineTimer = undefined;
      if (conn.state !== 'registered' && conn.state !== 'quitting') this.#abort(conn, `timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    log.debug({ host: params.host, port: params.port, tls: params.tls }, 'resolving');
    this.#resolveAndDial(conn).catch((err: unknown) => {
      log.error({ err }, 'failed to start an IRC connection');
      this.#abort(conn, 'internal error while connecting');
    });
  }

  async #resolveAndDial(conn: Conn): Promise<void> {
    const { host } = conn.params;
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.#lookup(host);
    } catch (err) {
      const code = (err as { code?: string }).code;
      this.#abort(conn, `cannot resolve ${host}${code ? ` (${code})` : ''}`);
      return;
    }
    if (conn.finished || conn.state !== 'resolving') return;
    if (addresses.length === 0) {
      this.#abort(conn, `cannot resolve ${host}`);
      return;
    }
    if (!conn.params.allowPrivateAddresses) {
      for (const { address } of addresses) {
        const special = classifyAddress(address);
        if (special !== null) {
          conn.log.debug({ host, address, range: special.range }, 'refusing a private address');
          this.#abort(conn, `connection refused: ${host} resolves to a private address (${special.what})`, true);
          return;
        }
      }
    }
    const space = conn.key.indexOf(' ');
    const localAddress = this.#opts.localAddressFor?.(conn.params.network, conn.key.slice(0, space < 0 ? undefined : space));
    if (localAddress !== undefined && net.isIPv6(localAddress)) {
      // An IPv6 source can only reach IPv6 destinations.
      addresses = addresses.filter((a) => net.isIPv6(a.address));
      if (addresses.length === 0) {
        this.#abort(conn, `cannot connect: ${host} has no IPv6 address, and this network gives each user an IPv6 source address`);
        return;
      }
    }
    const target: PinnedTarget = {
      localAddress,
      addresses: addresses.map((a) => a.address),
      port: conn.params.port,
      tls: conn.params.tls,
      servername: net.isIP(host) === 0 ? host.replace(/\.$/, '') : undefined,
      verifyCertificate: conn.params.verifyCertificate !== false,
    };
    this.#dial(conn, target);
  }

  #dial(conn: Conn, target: PinnedTarget): void {
    const { params, log } = conn;
    // The user's own fallback for this network wins over the operator's; an unknown label
    // (the form validates it, but stored data may predate that) falls back with a warning.
    let fallbackEncoding = this.#opts.fallbackEncoding ?? DEFAULT_FALLBACK_ENCODING;
    if (params.encoding !== undefined) {
      try {
        new TextDecoder(params.encoding);
        fallbackEncoding = params.encoding;
      } catch {
        log.warn({ encoding: params.encoding }, 'unknown encoding in the user settings; using the default');
      }
    }
    const transport = new PinnedTransport(target, log, fallbackEncoding);
    transport.bypass = (line) => this.#frameworkBlind(conn, line);
    conn.transport = transport;
    const options: ClientOptions = {
      host: params.host,
      port: params.port,
      tls: params.tls,
      nick: params.nick,
      username: params.username,
      gecos: params.realname,
      encoding: 'utf8',
      version: null,
      enable_echomessage: true,
      enable_chghost: true,
      auto_reconnect: false,
      // The pool's keep-alive instead (DEFAULT_KEEP_ALIVE).
      ping_interval: 0,
      ping_timeout: 0,
      sasl_disconnect_on_fail: false,
      account: params.sasl ? { account: params.sasl.account, password: params.sasl.password } : {},
      // Connection constructs the transport itself; hand it the one that holds our pinned target.
      transport: function PinnedTransportFactory() {
        return transport;
      } as unknown as ClientOptions['transport'],
    };
    if (params.serverPassword !== undefined) options.password = params.serverPassword;
    const client = new Client(options);
    // IRCv3 chathistory (issue 10 §4: catch-up after a rejoin), when offered; `batch`,
    // `server-time` and `message-tags` are in irc-framework's own list. requestCap is
    // irc-framework's (client.js), not in our type declarations.
    (client as unknown as { requestCap(caps: string[]): void }).requestCap(['draft/chathistory', 'chathistory']);
    shareCommandHandlers(client);
    trimClientState(client);
    conn.client = client;
    conn.state = 'connecting';
    this.#bind(conn, client);
    try {
      client.connect();
    } catch (err) {
      log.error({ err }, 'irc-framework failed to start connecting');
      this.#abort(conn, `cannot connect: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The client's listeners are the same functions for every connection, each called with
   * its connection's `Binding` as `this` (eventemitter3's listener context): a closure per
   * listener and connection, with the guard around it and their contexts, was 1.1 kB of
   * heap per connection (issue 11 §3).
   */
  #bind(conn: Conn, client: Client): void {
    const binding: Binding = { pool: this, conn, client };
    for (const [event, listener] of IrcPool.#LISTENERS) client.on(event, listener, binding);
  }

  static readonly #LISTENERS: ReadonlyArray<readonly [string, Listener]> = (
    [
      [
        'raw',
        function (this: Binding, { line, from_server }: RawEvent) {
          const { pool, conn, client } = this;
          const { log } = conn;
          const trace = log.isLevelEnabled('trace');
          if (!from_server) {
            if (trace) log.trace({ line: redactLine(line, conn.traceSecrets) }, 'irc out');
            pool.#opts.onLineSent?.(conn.key);
            return;
          }
          conn.heard = true;
          if (trace) log.trace({ line: redactLine(line, conn.traceSecrets) }, 'irc in');
          if (conn.finished) return;
          // 'raw' comes before irc-framework dispatches the line: what the lines so far
          // made it hold is measured here; past a bound its caches are emptied and the
          // socket is destroyed, so at most this one more line is dispatched.
          const fp = frameworkFootprint(client, pool.#limits.caches);
          const overflow = frameworkOverflow(fp, pool.#limits);
          if (overflow !== undefined) {
            log.warn({ ...fp }, 'server exceeded a bound on irc-framework state; disconnecting');
            (client as unknown as FrameworkInternals).command_handler?.resetCache?.();
            pool.#abort(conn, `disconnected: ${overflow}`);
            return;
          }
          pool.#callOnLine(conn, line);
        },
      ],
      [
        'socket connected',
        function (this: Binding) {
          const { pool, conn } = this;
          if (conn.finished || conn.state !== 'connecting') return;
          conn.state = 'open';
          conn.heard = true;
          pool.#keepAliveTimer ??= setInterval(() => pool.#sweep(), pool.#keepAlive.sweepMs).unref();
          conn.log.debug('socket open, registering');
          pool.#pump(conn);
        },
      ],
      [
        'registered',
        function (this: Binding, { nick }: RegisteredEvent) {
          const { pool, conn } = this;
          const { log } = conn;
          if (conn.finished || conn.state === 'quitting') return;
          if (conn.state === 'registered') {
            // irc-framework emits 'registered' for every 001; the core hears it once per connect.
            log.warn({ nick }, 'server sent RPL_WELCOME again; ignored');
            return;
          }
          conn.state = 'registered';
          clearTimeout(conn.deadlineTimer);
          conn.deadlineTimer = undefined;
          pool.#releaseSlot(conn);
          log.debug({ nick }, 'registered');
          pool.#callOnEvent(conn, { kind: 'registered', nick });
        },
      ],
      [
        'irc error',
        function (this: Binding, ev: IrcErrorEvent) {
          if (ev.error === 'irc' && typeof ev.reason === 'string') this.conn.serverError = ev.reason;
        },
      ],
      [
        'socket close',
        function (this: Binding, err: Error | false | undefined) {
          const { pool, conn } = this;
          const socketReason = err instanceof Error ? describeSocketError(err) : undefined;
          if (err instanceof Error) conn.log.debug({ err }, 'socket error');
          const reason =
            conn.localReason ??
            conn.serverError ??
            socketReason ??
            (conn.state === 'quitting' ? 'disconnected after QUIT' : 'connection closed by the server');
          pool.#finish(conn, reason);
        },
      ],
      [
        'error',
        function (this: Binding, err: unknown) {
          this.conn.log.error({ err }, 'irc-framework error event');
        },
      ],
    ] as Array<[string, Listener]>
  ).map(([event, fn]) => [event, guarded(event, fn)] as const);

  /**
   * PRIVMSG, NOTICE and the other `FRAMEWORK_BLIND` lines change nothing irc-framework
   * keeps or answers (it answers no CTCP: `version` is null; its ping time-out is reset by
   * PONG), so they go to the core as its 'raw' handler would send them, without
   * irc-framework's parsing, events, middleware and a timer reset per line: most of the
   * per-line cost of a busy channel (issue 11 §2), and 11 of the ~20 lines of a join.
   */
  #frameworkBlind(conn: Conn, line: string): boolean {
    if (!FRAMEWORK_BLIND.test(line)) return false;
    conn.heard = true;
    if (conn.log.isLevelEnabled('trace')) conn.log.trace({ line: redactLine(line, conn.traceSecrets) }, 'irc in');
    if (!conn.finished) this.#callOnLine(conn, line);
    return true;
  }

  /** Queues lines for sending, paced; lines that would break the protocol are dropped and logged. */
  send(key: ConnKey, lines: string[]): void {
    const conn = this.#conns.get(key);
    if (conn === undefined) {
      this.#log.warn({ lines: lines.length }, 'send on an unknown IRC connection; dropped');
      return;
    }
    if (conn.state === 'quitting' || conn.finished) {
      conn.log.debug({ lines: lines.length }, 'send after QUIT; dropped');
      return;
    }
    if (conn.queue.length + lines.length > MAX_QUEUED_LINES) {
      // A backstop: the core bounds each message, so this means a flood of them.
      conn.log.warn({ queued: conn.queue.length, lines: lines.length }, 'send queue full; lines dropped');
      return;
    }
    // The lines that pass, in order: `accepted` stays undefined while every line so far
    // passed (then `lines` itself goes). With nothing waiting and no pacer they go straight
    // to `#write`, as `#pump` would write them, without passing through the queue (a push and
    // a new queue array per message, issue 11 §4).
    let accepted: string[] | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (refusedLine(conn, line)) accepted ??= lines.slice(0, i);
      else accepted?.push(line);
    }
    const out = accepted ?? lines;
    if (conn.queue.length === 0 && conn.pacer === null && this.#writableNow(conn)) {
      if (out.length > 0) this.#write(conn, out);
      return;
    }
    for (const line of out) conn.queue.push(line);
    this.#pump(conn);
  }

  /** Whether `#pump` would write now rather than wait for a timer, the connection or the client. */
  #writableNow(conn: Conn): boolean {
    return conn.pumpTimer === undefined && (conn.state === 'open' || conn.state === 'registered') && conn.client !== undefined;
  }

  /**
   * Unpaced, the lines sent while handling one event (all the stanzas of one read from the
   * XMPP server) go out as one socket write per connection: the transport gathers what is
   * written during one event and writes it from a microtask (`PinnedTransport#writeLine`;
   * issue 11: one write system call per line was 40 % of the XMPP → IRC
   * CPU; a microtask rather than `setImmediate` adds no loop phase to a lone message);
   * paced, the lines the pacer lets go together are one write. FIFO order holds either way.
   */
  #pump(conn: Conn): void {
    if (!this.#writableNow(conn)) return;
    const { pacer } = conn;
    if (pacer === null) {
      if (conn.queue.length === 0) return;
      const lines = conn.queue;
      conn.queue = [];
      this.#write(conn, lines);
      return;
    }
    const due: string[] = [];
    while (conn.queue.length > 0) {
      const now = Date.now();
      const wait = pacer.peek(now);
      if (wait > 0) {
        this.#opts.onPacingWait?.(conn.key, wait);
        conn.pumpTimer = setTimeout(() => {
          conn.pumpTimer = undefined;
          this.#pump(conn);
        }, wait);
        break;
      }
      pacer.reserve(now);
      due.push(conn.queue.shift()!);
    }
    this.#write(conn, due);
  }

  /**
   * Writes lines already checked by `send`, past irc-framework's `raw` (which would cost a
   * write and an event per line): logged at trace and counted as its 'raw' handler does.
   */
  #write(conn: Conn, lines: readonly string[]): void {
    const transport = conn.transport;
    if (transport === undefined || lines.length === 0) return;
    const trace = conn.log.isLevelEnabled('trace');
    for (const line of lines) {
      if (trace) conn.log.trace({ line: redactLine(line, conn.traceSecrets) }, 'irc out');
      this.#opts.onLineSent?.(conn.key);
    }
    transport.writeLine(lines.length === 1 ? lines[0]! : lines.join('\r\n'));
  }

  /** Sends QUIT (dropping lines still queued) and closes; `closed` follows. */
  quit(key: ConnKey, message: string): void {
    const conn = this.#conns.get(key);
    if (conn === undefined) {
      this.#log.warn('quit on an unknown IRC connection; ignored');
      return;
    }
    this.#quit(conn, message);
  }

  #quit(conn: Conn, message: string): void {
    if (conn.finished || conn.state === 'quitting') return;
    conn.queue = [];
    clearTimeout(conn.pumpTimer);
    conn.pumpTimer = undefined;
    const wasOpen = conn.state === 'open' || conn.state === 'registered';
    conn.state = 'quitting';
    if (!wasOpen || conn.client === undefined) {
      conn.log.debug('quit before the connection was open');
      conn.localReason ??= 'quit before the connection was open';
      this.#finishLater(conn, conn.localReason);
      return;
    }
    let text = message;
    if (/[\r\n\0]/.test(text) || utf8ByteLength(`QUIT :${text}`) > MAX_SEND_BYTES) {
      conn.log.error({ bytes: utf8ByteLength(text) }, 'refusing a malformed QUIT message; quitting without one');
      text = '';
    }
    conn.log.debug('quitting');
    conn.client.quit(text);
    clearTimeout(conn.deadlineTimer);
    conn.deadlineTimer = setTimeout(() => {
      conn.deadlineTimer = undefined;
      this.#abort(conn, conn.serverError ?? `the server did not close the connection within ${QUIT_GRACE_MS} ms of QUIT`);
    }, QUIT_GRACE_MS);
  }

  /** The keep-alive (see DEFAULT_KEEP_ALIVE): PING after a silence, drop after a longer one. */
  #sweep(): void {
    const now = performance.now();
    const { pingAfterMs, timeoutMs } = this.#keepAlive;
    for (const conn of this.#conns.values()) {
      if (conn.finished || (conn.state !== 'open' && conn.state !== 'registered')) continue;
      if (conn.heard) {
        conn.heard = false;
        conn.quietSince = now;
        conn.pinged = false;
        continue;
      }
      const quiet = now - conn.quietSince;
      if (quiet >= timeoutMs) {
        conn.log.debug({ quietMs: Math.round(quiet) }, 'ping timeout');
        this.#abort(conn, `ping timeout: no data from the server for ${timeoutMs / 1000} s`);
      } else if (!conn.pinged && quiet >= pingAfterMs && conn.state === 'registered') {
        conn.pinged = true;
        conn.client?.raw(`PING :${Date.now()}`);
      }
    }
  }

  /**
   * Quits every connection, waits up to `deadlineMs` for the servers to close
   * them, then destroys what is left. Every connection reports `closed`; new
   * connects are refused from now on.
   */
  async closeAll(message: string, deadlineMs: number): Promise<void> {
    this.#shuttingDown = true;
    clearInterval(this.#keepAliveTimer);
    this.#keepAliveTimer = undefined;
    const conns = [...this.#conns.values()];
    for (const conn of conns) this.#quit(conn, message);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.all(conns.map((c) => c.done)), deadline]);
    clearTimeout(timer);
    for (const conn of conns) {
      if (!conn.finished) this.#abort(conn, conn.serverError ?? 'closed at shutdown');
    }
  }

  /** Ends the connection now (destroying any socket) and reports `closed` with our reason. */
  #abort(conn: Conn, reason: string, refused = false): void {
    if (conn.finished) return;
    conn.localReason ??= reason;
    this.#finish(conn, conn.localReason, refused);
  }

  /** `#finish` on a later turn, for paths reached from a call the core made. */
  #finishLater(conn: Conn, reason: string): void {
    setImmediate(() => this.#finish(conn, reason));
  }

  #finish(conn: Conn, reason: string, refused = false): void {
    if (conn.finished) return;
    conn.finished = true;
    clearTimeout(conn.deadlineTimer);
    clearTimeout(conn.pumpTimer);
    conn.deadlineTimer = undefined;
    conn.pumpTimer = undefined;
    conn.queue = [];
    conn.transport?.close(true);
    if (this.#conns.get(conn.key) === conn) this.#conns.delete(conn.key);
    conn.log.debug({ reason, refused }, 'closed');
    conn.resolveDone();
    this.#callOnEvent(conn, refused ? { kind: 'closed', reason, refused: true } : { kind: 'closed', reason });
    this.#releaseSlot(conn); // a waiting one is passed over when its turn comes
  }

  /** Gives up `conn`'s dial slot, if it holds one, to the next connection waiting. */
  #releaseSlot(conn: Conn): void {
    if (conn.slot !== 'held') return;
    conn.slot = 'none';
    this.#dialing--;
    while (!this.#shuttingDown && this.#dialing < this.#parallelConnects && this.#waitingHead < this.#waiting.length) {
      const next = this.#waiting[this.#waitingHead++]!;
      if (next.finished || next.slot !== 'waiting') continue;
      this.#startDial(next);
      this.#callOnEvent(next, { kind: 'dialing' });
    }
    if (this.#waitingHead === this.#waiting.length) {
      this.#waiting = [];
      this.#waitingHead = 0;
    } else if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  #callOnLine(conn: Conn, line: string): void {
    try {
      this.#opts.onLine(conn.key, line);
    } catch (err) {
      conn.log.error({ err }, 'onLine failed');
    }
  }

  #callOnEvent(conn: Conn, ev: IrcConnEvent): void {
    try {
      this.#opts.onEvent(conn.key, ev);
    } catch (err) {
      conn.log.error({ err, event: ev.kind }, 'onEvent failed');
    }
  }
}
