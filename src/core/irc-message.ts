/**
 * Parsing of incoming IRC lines, NAMES entries and MODE changes.
 *
 * Why: everything the gateway learns from an IRC server arrives as text that
 * the server (or, relayed through it, any IRC user) chose. The session logic
 * must see it as typed data: a source that says whether it is a server or a
 * user, a command it can switch on, parameters that are exactly the ones the
 * server sent, and message tags already unescaped. A line that cannot be read
 * is a typed refusal (`{ kind: 'malformed' }`), never a throw, so one broken
 * line from a server costs one `warn`, not a session. Outgoing lines are built
 * by irc-writer.ts; this module only reads.
 *
 * Rules kept:
 * - Message format (RFC 1459 §2.3.1, https://modern.ircdocs.horse/#messages):
 *   `['@' tags SPACE] [':' source SPACE] command *(SPACE param) [SPACE ':' trailing]`.
 *   Runs of spaces between parts are tolerated as one separator, as are
 *   leading and trailing spaces; only U+0020 separates (a tab is data). The
 *   trailing parameter is kept byte for byte: it may be empty, hold spaces, or
 *   be `:` itself (`PRIVMSG #c ::` has text `:`).
 * - Parameters: any number is accepted. RFC 1459 §2.3.1 caps them at 15 and
 *   RFC 2812 §2.3.1 reads a 15th parameter as trailing even without `:`, but
 *   modern.ircdocs.horse says clients MUST parse any number, and no server we
 *   know relies on the RFC 2812 rule; dropping or merging parameters would
 *   be worse than keeping them.
 * - The command is letters (returned upper-cased) or exactly three digits.
 * - NUL, CR and LF are refused anywhere: framing has already split lines at
 *   CR/LF, so one inside a line means the transport or the server is broken.
 * - Length (IRCv3 message-tags, "Size limit"; RFC 1459 §2.3): the tags section
 *   including `@` and its trailing space is at most 8191 bytes; the rest is at
 *   most 512 bytes. The RFC's 512 counts the CRLF that framing removed; we
 *   allow those 2 bytes to servers that count differently. Byte counts are of
 *   the line as decoded to UTF-8, so a line that was decoded from another
 *   charset is measured approximately. Both limits can be raised by the caller.
 * - Tags (https://ircv3.net/specs/extensions/message-tags): `key[=value]`
 *   separated by `;`. A missing value and `key=` both give `''`. Values are
 *   unescaped: `\:` → `;`, `\s` → space, `\\` → `\`, `\r` → CR, `\n` → LF,
 *   `\` before any other character is dropped, a trailing lone `\` is
 *   dropped. Keys are `[+][vendor/]name` with name `[A-Za-z0-9-]+`; a tag with
 *   an invalid key is skipped (the line is kept), a repeated key keeps the
 *   last value, client-only `+` tags are kept under their `+` key. Tag values
 *   may hold CR/LF after unescaping; they are data and never re-enter a line.
 * - Source: `nick!user@host`, `nick@host`, `nick`, or a server name. A source
 *   with neither `!` nor `@` that contains a `.` is a server (nicks cannot
 *   hold `.`); its name is given as `nick` with `isServer: true`.
 */
import type { MemberPrefix } from './casemap.js';
import { utf8ByteLength } from './irc-writer.js';

/** IRCv3 message-tags: the tags section, `@` and trailing space included. */
export const IRC_MAX_TAG_BYTES = 8191;
/**
 * Jabirc's own tag (a vendor tag the transport adds, never sent by a server): the
 * base64 bytes of a line that was not valid UTF-8, for rooms with their own encoding.
 */
export const RAW_BYTES_TAG = 'jabirc.invalid/raw';
/** RFC 1459 §2.3: 512 bytes; counted here without the CRLF framing removed (see header). */
export const IRC_MAX_BODY_BYTES = 512;

/** Who sent a message. For a server, `nick` is the server name. */
export interface IrcSource {
  nick: string;
  user?: string;
  host?: string;
  isServer: boolean;
}

export interface IrcMessage {
  kind: 'message';
  /** Unescaped tag values by key; a null-prototype object, so any key is safe to read. */
  tags: Record<string, string>;
  source?: IrcSource;
  /** Upper-cased letters, or three digits. */
  command: string;
  params: string[];
}

export type MalformedReason =
  | 'empty'
  | 'forbidden-char'
  | 'tags-too-long'
  | 'body-too-long'
  | 'no-command'
  | 'bad-source'
  | 'bad-command';

export interface IrcMalformed {
  kind: 'malformed';
  reason: MalformedReason;
}

export type ParsedLine = IrcMessage | IrcMalformed;

export interface ParseLimits {
  maxTagBytes?: number;
  maxBodyBytes?: number;
}

const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
const TAG_ESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/**
 * Parses one line as received, without its CRLF.
 *
 *     parseIrcLine(':alice!a@host PRIVMSG #chan :hello world')
 *       → { kind: 'message', tags: {}, source: { nick: 'alice', user: 'a', host: 'host', isServer: false },
 *           command: 'PRIVMSG', params: ['#chan', 'hello world'] }
 *     parseIrcLine('@time=2024-01-02T03:04:05.678Z PING :x') → command 'PING', params ['x'], tags { time: … }
 *     parseIrcLine(':irc.example.net 331 me #c :')         → params ['me', '#c', '']
 *     parseIrcLine('@a=b')                                  → { kind: 'malformed', reason: 'no-command' }
 */
export function parseIrcLine(line: string, limits: ParseLimits = {}): ParsedLine {
  if (/[\0\r\n]/.test(line)) return malformed('forbidden-char');
  let pos = skipSpaces(line, 0);
  if (pos === line.length) return malformed('empty');

  let tags: Record<string, string> = Object.create(null) as Record<string, string>;
  if (line[pos] === '@') {
    const end = line.indexOf(' ', pos);
    if (end === -1) return malformed('no-command');
    if (utf8ByteLength(line.slice(pos, end + 1)) > (limits.maxTagBytes ?? IRC_MAX_TAG_BYTES)) {
      return malformed('tags-too-long');
    }
    tags = parseTags(line.slice(pos + 1, end));
    pos = skipSpaces(line, end);
  }
  const maxBody = limits.maxBodyBytes ?? IRC_MAX_BODY_BYTES;
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short rest needs no count.
  if ((line.length - pos) * 3 > maxBody && utf8ByteLength(line.slice(pos)) > maxBody) return malformed('body-too-long');

  let source: IrcSource | undefined;
  if (line[pos] === ':') {
    const end = line.indexOf(' ', pos);
    if (end === -1) return malformed('no-command');
    source = parseSource(line.slice(pos + 1, end));
    if (source === undefined) return malformed('bad-source');
    pos = skipSpaces(line, end);
  }

  if (pos === line.length) return malformed('no-command');
  const commandEnd = indexOrEnd(line, ' ', pos);
  const raw = line.slice(pos, commandEnd);
  // The commands the gateway reads, as the constants the dispatch table is keyed by: a
  // slice of the line would be hashed and looked up in V8's string table at each use as a
  // key (issue 11 §2); anything else is checked and upper-cased.
  let command = KNOWN_COMMANDS.get(raw);
  if (command === undefined) {
    if (!COMMAND.test(raw)) return malformed('bad-command');
    command = raw.toUpperCase();
  }

  const params: string[] = [];
  pos = skipSpaces(line, commandEnd);
  while (pos < line.length) {
    if (line[pos] === ':') {
      params.push(line.slice(pos + 1));
      break;
    }
    const end = indexOrEnd(line, ' ', pos);
    params.push(line.slice(pos, end));
    pos = skipSpaces(line, end);
  }

  const message: IrcMessage = { kind: 'message', tags, command, params };
  if (source !== undefined) message.source = source;
  return message;
}

function malformed(reason: MalformedReason): IrcMalformed {
  return { kind: 'malformed', reason };
}

/** Commands servers send most, spelled as they send them (upper case). */
const KNOWN_COMMANDS = new Map(
  ['PRIVMSG', 'NOTICE', 'JOIN', 'PART', 'QUIT', 'KICK', 'NICK', 'MODE', 'TOPIC', 'AWAY', 'PING', 'PONG', 'CAP', 'BATCH', 'ACCOUNT', 'CHGHOST', 'INVITE', 'ERROR', 'TAGMSG'].map(
    (c) => [c, c] as const,
  ),
);

function skipSpaces(s: string, pos: number): number {
  while (s[pos] === ' ') pos++;
  return pos;
}

function indexOrEnd(s: string, ch: string, from: number): number {
  const i = s.indexOf(ch, from);
  return i === -1 ? s.length : i;
}

function parseTags(raw: string): Record<string, string> {
  const tags = Object.create(null) as Record<string, string>;
  for (const tag of raw.split(';')) {
    const eq = tag.indexOf('=');
    const key = eq === -1 ? tag : tag.slice(0, eq);
    if (!TAG_KEY.test(key)) continue;
    tags[key] = eq === -1 ? '' : unescapeTagValue(tag.slice(eq + 1));
  }
  return tags;
}

/** IRCv3 message-tags "Escaping values", reversed. */
export function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/gs, (_, ch: string) => TAG_ESCAPES[ch] ?? ch);
}

/**
 * Reads `nick!user@host`, `nick@host`, `nick` or a server name; undefined
 * when the nick (or server name) is empty. Empty user or host parts are
 * left out.
 */
export function parseSource(raw: string): IrcSource | undefined {
  const bang = raw.indexOf('!');
  const at = raw.indexOf('@', bang === -1 ? 0 : bang);
  const nickEnd = bang !== -1 ? bang : at !== -1 ? at : raw.length;
  const nick = raw.slice(0, nickEnd);
  if (nick === '') return undefined;
  const source: IrcSource = { nick, isServer: bang === -1 && at === -1 && nick.includes('.') };
  const user = bang === -1 ? '' : raw.slice(bang + 1, at === -1 ? raw.length : at);
  const host = at === -1 ? '' : raw.slice(at + 1);
  if (user !== '') source.user = user;
  if (host !== '') source.host = host;
  return source;
}

const SERVER_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The IRCv3 server-time `time` tag (https://ircv3.net/specs/extensions/server-time)
 * when it is exactly `YYYY-MM-DDThh:mm:ss.sssZ` and a real instant (no
 * 2024-02-30, no 24:00); otherwise undefined.
 */
export function serverTime(tags: Readonly<Record<string, string>>): string | undefined {
  const time = tags['time'];
  if (time === undefined || !SERVER_TIME.test(time)) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) || new Date(ms).toISOString() !== time ? undefined : time;
}

/** The IRCv3 message-ids `msgid` tag, when present and non-empty. */
export function msgid(tags: Readonly<Record<string, string>>): string | undefined {
  const id = tags['msgid'];
  return id === undefined || id === '' ? undefined : id;
}

/** The IRCv3 account-tag `account` tag: the sender's account, when logged in. `*` means none. */
export function account(tags: Readonly<Record<string, string>>): string | undefined {
  const name = tags['account'];
  return name === undefined || name === '' || name === '*' ? undefined : name;
}

/** One member from an RPL_NAMREPLY (353) list. */
export interface NamesEntry {
  nick: string;
  user?: string;
  host?: string;
  /** Membership symbols, highest rank first, e.g. `@+`; `''` for none. */
  prefixes: string;
}

/**
 * Reads one space-separated entry of a 353 list. With IRCv3 multi-prefix
 * (https://ircv3.net/specs/extensions/multi-prefix) an entry carries every
 * symbol the member holds; with userhost-in-names
 * (https://ircv3.net/specs/extensions/userhost-in-names) it is a full
 * `nick!user@host`. Symbols are those of the server's PREFIX; they are
 * returned in PREFIX rank order whatever order the server sent. Undefined
 * when no nick is left.
 *
 *     parseNamesEntry('+@alice!a@host', prefixes(ov)@+) → { nick: 'alice', user: 'a', host: 'host', prefixes: '@+' }
 */
export function parseNamesEntry(entry: string, prefixes: readonly MemberPrefix[]): NamesEntry | undefined {
  const symbols = prefixes.map((p) => p.symbol);
  let i = 0;
  while (i < entry.length && symbols.includes(entry[i] as string)) i++;
  const held = new Set(entry.slice(0, i));
  const source = parseSource(entry.slice(i));
  if (source === undefined) return undefined;
  const result: NamesEntry = { nick: source.nick, prefixes: symbols.filter((s) => held.has(s)).join('') };
  if (source.user !== undefined) result.user = source.user;
  if (source.host !== undefined) result.host = source.host;
  return result;
}

/** CHANMODES groups (https://modern.ircdocs.horse/#chanmodes-parameter). */
export interface Chanmodes {
  /** Lists (ban, exception, invite): a parameter whether set or unset. */
  A: string;
  /** Settings that always take a parameter, e.g. key `k`. */
  B: string;
  /** Settings that take a parameter only when set, e.g. limit `l`. */
  C: string;
  /** Flags that never take a parameter. */
  D: string;
}

/**
 * Reads a CHANMODES value such as `beI,k,l,imnpst`. Missing groups are empty;
 * groups after the fourth are ignored, as the spec asks of clients.
 */
export function parseChanmodes(value: string): Chanmodes {
  const [A = '', B = '', C = '', D = ''] = value.split(',');
  return { A, B, C, D };
}

/** What a client assumes when a server sends no CHANMODES. */
export const DEFAULT_CHANMODES: Chanmodes = parseChanmodes('beI,k,l,imnpst');

export interface ModeSupport {
  readonly prefixes: readonly MemberPrefix[];
  readonly chanmodes: Chanmodes;
}

export interface ModeChange {
  add: boolean;
  mode: string;
  param?: string;
}

/**
 * Reads channel mode changes: `params` are the MODE parameters after the
 * channel (`['+o-v', 'alice', 'bob']`), or those of RPL_CHANNELMODEIS (324)
 * after the nick and channel. Which modes take a parameter follows CHANMODES
 * (https://modern.ircdocs.horse/#chanmodes-parameter): A and B always, C only
 * when set, D never; PREFIX modes always take a nick. A mode the server did
 * not advertise is taken as type D. Signs may repeat (`+o-v+b`); a modestring
 * without a leading sign is read as `+`. A change whose parameter is missing
 * is returned without `param`.
 *
 *     parseModeChanges(['+ol-v', 'alice', '10', 'bob'], support)
 *       → [{ add: true, mode: 'o', param: 'alice' }, { add: true, mode: 'l', param: '10' },
 *          { add: false, mode: 'v', param: 'bob' }]
 */
export function parseModeChanges(params: readonly string[], support: ModeSupport): ModeChange[] {
  const [modestring = '', ...args] = params;
  const { A, B, C } = support.chanmodes;
  const changes: ModeChange[] = [];
  let add = true;
  let next = 0;
  for (const mode of modestring) {
    if (mode === '+' || mode === '-') {
      add = mode === '+';
      continue;
    }
    const takesParam =
      A.includes(mode) ||
      B.includes(mode) ||
      (add && C.includes(mode)) ||
      support.prefixes.some((p) => p.mode === mode);
    const change: ModeChange = { add, mode };
    const param = takesParam ? args[next++] : undefined;
    if (param !== undefined) change.param = param;
    changes.push(change);
  }
  return changes;
}
