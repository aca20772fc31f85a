/**
 * The IRC writer: the one place where outgoing IRC lines are built.
 *
 * Why: every byte Jabirc sends to an IRC server comes from XMPP users, whose
 * nicks, room names and bodies may hold anything. A CR or LF that reaches the
 * wire ends the line and starts a command of the sender's choosing (`hi\r\nQUIT`),
 * a NUL truncates the line on many servers, a space in a middle parameter
 * shifts every parameter after it. So this module refuses, and never silently
 * repairs, anything that would change the meaning of a line; the callers
 * sanitize explicitly, and message bodies go through `splitMessageText`, which
 * turns line breaks into separate messages.
 *
 * Rules kept (RFC 1459 §2.3 and §2.3.1, RFC 2812 §2.3, https://modern.ircdocs.horse):
 * - A line is `command *( SPACE middle ) [ SPACE ":" trailing ]`; clients send no
 *   prefix. Message tags are not written here.
 * - The command is letters or exactly three digits.
 * - No part contains CR, LF or NUL.
 * - Only the last parameter may be empty, contain a space or start with ':';
 *   it gets the ':' trailing marker exactly when it needs one. Middle
 *   parameters are non-empty, hold no space and do not start with ':'.
 * - At most 15 parameters (RFC 1459 §2.3.1).
 * - At most 512 bytes including the CRLF that the transport appends.
 *
 * Long text is split by `splitMessageText` into messages that fit the budget
 * `messagePayloadBudget` computes for the line the server relays to others,
 * which is longer than the one we send because the server prepends our
 * `:nick!user@host`. CTCP (https://modern.ircdocs.horse/ctcp) framing is here
 * too, because a /me eats into that budget.
 */

import { BoundedCache, detached } from './bounded-cache.js';

/** RFC 1459 §2.3: a line is at most 512 bytes, CRLF included. */
export const IRC_MAX_LINE_BYTES = 512;
/** RFC 1459 §2.3.1: at most 15 parameters. */
export const IRC_MAX_PARAMS = 15;
/** Common USERLEN (solanum, InspIRCd, UnrealIRCd), '~' of a missing ident included. */
export const DEFAULT_USER_BYTES = 10;
/** Common HOSTLEN: a DNS label limit that ircds also apply to whole hosts and cloaks. */
export const DEFAULT_HOST_BYTES = 63;

const CTCP_DELIM = '\x01';
const CTCP_ACTION_PREFIX = `${CTCP_DELIM}ACTION `;
/** Bytes a CTCP ACTION adds around its text: `\x01ACTION ` and `\x01`. */
export const CTCP_ACTION_OVERHEAD_BYTES = CTCP_ACTION_PREFIX.length + CTCP_DELIM.length;

export type ForbiddenChar = 'CR' | 'LF' | 'NUL';

/** Why `tryBuildLine` refused a line. `paramIndex` counts from 0. */
export type IrcLineRefusal =
  | { kind: 'bad-command'; command: string }
  | { kind: 'forbidden-char'; where: 'command' }
  | { kind: 'forbidden-char'; where: 'param'; paramIndex: number; char: ForbiddenChar }
  | { kind: 'bad-middle-param'; paramIndex: number; reason: 'empty' | 'space' | 'leading-colon' }
  | { kind: 'too-many-params'; count: number }
  | { kind: 'too-long'; bytes: number };

export type BuildLineResult = { kind: 'line'; line: string } | { kind: 'refused'; refusal: IrcLineRefusal };

/** Thrown by `buildLine`; the message names the rule, never the text. */
export class IrcLineRefusedError extends Error {
  readonly refusal: IrcLineRefusal;

  constructor(refusal: IrcLineRefusal) {
    super(`IRC line refused: ${describeRefusal(refusal)}`);
    this.name = 'IrcLineRefusedError';
    this.refusal = refusal;
  }
}

function describeRefusal(r: IrcLineRefusal): string {
  switch (r.kind) {
    case 'bad-command':
      return 'command must be letters or three digits';
    case 'forbidden-char':
      return r.where === 'command' ? 'command contains CR, LF or NUL' : `param ${r.paramIndex} contains ${r.char}`;
    case 'bad-middle-param':
      return `middle param ${r.paramIndex} is invalid (${r.reason})`;
    case 'too-many-params':
      return `${r.count} params, at most ${IRC_MAX_PARAMS} allowed`;
    case 'too-long':
      return `${r.bytes} bytes with CRLF, at most ${IRC_MAX_LINE_BYTES} allowed`;
  }
}

const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;

function refuse(refusal: IrcLineRefusal): BuildLineResult {
  return { kind: 'refused', refusal };
}

function forbiddenChar(s: string): ForbiddenChar | null {
  if (s.includes('\r')) return 'CR';
  if (s.includes('\n')) return 'LF';
  if (s.includes('\0')) return 'NUL';
  return null;
}

/**
 * Builds the wire form of one line, without CRLF, or says why it may not be sent.
 *
 *     tryBuildLine('PRIVMSG', ['#chan', 'hello world']) → line 'PRIVMSG #chan :hello world'
 *     tryBuildLine('JOIN', ['#chan'])                   → line 'JOIN #chan'
 *     tryBuildLine('TOPIC', ['#chan', ''])              → line 'TOPIC #chan :'
 *     tryBuildLine('KICK', ['#c', 'bad nick', 'bye'])   → refused (middle param with space)
 *     tryBuildLine('NICK', ['a\r\nQUIT'])               → refused (CR)
 */
export function tryBuildLine(command: string, params: readonly string[]): BuildLineResult {
  if (forbiddenChar(command) !== null) return refuse({ kind: 'forbidden-char', where: 'command' });
  if (!COMMAND.test(command)) return refuse({ kind: 'bad-command', command });
  if (params.length > IRC_MAX_PARAMS) return refuse({ kind: 'too-many-params', count: params.length });
  let line = command;
  for (let paramIndex = 0; paramIndex < params.length; paramIndex++) {
    const param = params[paramIndex]!;
    const char = forbiddenChar(param);
    if (char !== null) return refuse({ kind: 'forbidden-char', where: 'param', paramIndex, char });
    const needsTrailing = param === '' || param.includes(' ') || param.charCodeAt(0) === 0x3a;
    if (!needsTrailing) {
      line += ` ${param}`;
    } else if (paramIndex === params.length - 1) {
      line += ` :${param}`;
    } else {
      const reason = param === '' ? 'empty' : param.startsWith(':') ? 'leading-colon' : 'space';
      return refuse({ kind: 'bad-middle-param', paramIndex, reason });
    }
  }
  const bytes = utf8ByteLength(line) + 2;
  if (bytes > IRC_MAX_LINE_BYTES) return refuse({ kind: 'too-long', bytes });
  return { kind: 'line', line };
}

/** `tryBuildLine` for callers that have validated their input: a refusal is a bug, so it throws. */
export function buildLine(command: string, params: readonly string[]): string {
  const result = tryBuildLine(command, params);
  if (result.kind === 'refused') throw new IrcLineRefusedError(result.refusal);
  return result.line;
}

/**
 * A raw command line the user wrote themselves (after-connect commands, issue 4), checked
 * by the same rules as every built line: no CR, LF or NUL, at most 510 bytes (RFC 2812
 * §2.3), and a command word of letters first. Its parameters are the user's own syntax and
 * are sent as written.
 *
 *     tryBuildRawLine('MODE alice +x')        → line 'MODE alice +x'
 *     tryBuildRawLine('/msg NickServ help')   → refused (bad command)
 *     tryBuildRawLine('OPER a b\r\nQUIT')    → refused (CR)
 */
export function tryBuildRawLine(text: string): BuildLineResult {
  const line = text.trim();
  const char = forbiddenChar(line);
  if (char !== null) return { kind: 'refused', refusal: { kind: 'forbidden-char', where: 'param', paramIndex: 0, char } };
  const bytes = utf8ByteLength(line) + 2;
  if (bytes > IRC_MAX_LINE_BYTES) return { kind: 'refused', refusal: { kind: 'too-long', bytes } };
  const space = line.indexOf(' ');
  const command = space === -1 ? line : line.slice(0, space);
  if (!/^[A-Za-z]+$/.test(command)) return { kind: 'refused', refusal: { kind: 'bad-command', command } };
  return { kind: 'line', line };
}

/**
 * User text for a single IRC parameter (a reason, a status, a topic): every run of CR, LF
 * and NUL becomes one space, so text can never end a line early.
 */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ');
}

/** The longest prefix of `s` within `maxBytes` UTF-8 bytes, cut on a code point boundary. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (utf8ByteLength(s) <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const cp of s) {
    bytes += utf8ByteLength(cp);
    if (bytes > maxBytes) break;
    out += cp;
  }
  return out;
}

/** A user's free text as one bounded IRC parameter (a PART/QUIT reason, an away status). */
export function reasonText(text: string, maxBytes = 300): string {
  return truncateUtf8(oneLine(text).trim(), maxBytes);
}

/** Bytes of `s` in UTF-8; a lone surrogate counts 3 (it is sent as U+FFFD). */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The sender as the server will show it when relaying; unknown parts take the defaults. */
export interface RelayPrefix {
  nick: string;
  /** Our user (ident) as the server shows it; if unknown, DEFAULT_USER_BYTES is assumed. */
  user?: string;
  /** Our host or cloak as the server shows it; if unknown, DEFAULT_HOST_BYTES is assumed. */
  host?: string;
}

export interface MessageBudgetInput {
  command: 'PRIVMSG' | 'NOTICE';
  target: string;
  sender: RelayPrefix;
  /** True for a /me: the CTCP ACTION framing is taken off the budget. */
  action?: boolean;
}

/**
 * Bytes left for the text of one PRIVMSG/NOTICE once the server has relayed it
 * as `:nick!user@host COMMAND target :text\r\n` (and, for an action, wrapped the
 * text in `\x01ACTION …\x01`). The line we send is shorter than that, so text
 * within this budget reaches every recipient whole.
 *
 *     messagePayloadBudget({ command: 'PRIVMSG', target: '#chan', sender: { nick: 'alice' } })
 *       === 512 - ':alice!'.length - 10 - '@'.length - 63 - ' PRIVMSG #chan :'.length - 2 === 413
 */
export function messagePayloadBudget(input: MessageBudgetInput): number {
  const { nick, user, host } = input.sender;
  const prefix =
    1 +
    utf8ByteLength(nick) +
    1 +
    (user === undefined ? DEFAULT_USER_BYTES : utf8ByteLength(user)) +
    1 +
    (host === undefined ? DEFAULT_HOST_BYTES : utf8ByteLength(host));
  // ` ${command} ${target} :` and CRLF, counted by part: spaces stand between the parts, so
  // no surrogate pair spans two of them and the sum is the joined text's count, without
  // building that text and flattening it to scan it for every message (issue 11 §2).
  const rest = 1 + utf8ByteLength(input.command) + 1 + utf8ByteLength(input.target) + 2 + 2;
  return IRC_MAX_LINE_BYTES - prefix - rest - (input.action === true ? CTCP_ACTION_OVERHEAD_BYTES : 0);
}

/** Made at the first line that needs it: creating it maps ~1 MB of ICU data (issue 11 §3). */
let graphemes: Intl.Segmenter | undefined;
const LINE_BREAK = /\r\n|\r|\n/;
/** NUL cannot be sent and \x01 would frame a CTCP: both become U+FFFD, as do lone surrogates. */
const UNSENDABLE = /[\0\x01]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A piece of a line that is never cut: a grapheme cluster, or a code point of an oversized one. */
interface Unit {
  readonly index: number;
  readonly bytes: number;
  readonly isSpace: boolean;
}

/**
 * Characters that can join a neighbour into one grapheme cluster (UAX #29): marks, ZWJ,
 * variation selectors, regional indicators, emoji modifiers and tags, Hangul jamo, and
 * the other "extend"/"prepend" classes rare enough to leave to the full segmenter.
 * Without any of them, every code point is its own cluster and segmentation is skipped.
 */
const CLUSTERING = /[\p{M}\u200C\u200D\uFE00-\uFE0F\p{Regional_Indicator}\u{1F3FB}-\u{1F3FF}\u{E0000}-\u{E007F}\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF\u0600-\u0605\u06DD\u070F\u0890-\u0891\u08E2\u{110BD}\u{110CD}]/u;

function unitsOf(line: string, maxBytes: number): Unit[] {
  const units: Unit[] = [];
  if (!CLUSTERING.test(line)) {
    let index = 0;
    for (const cp of line) {
      units.push({ index, bytes: utf8ByteLength(cp), isSpace: cp === ' ' });
      index += cp.length;
    }
    return units;
  }
  for (const { segment, index } of (graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(line)) {
    const bytes = utf8ByteLength(segment);
    if (bytes <= maxBytes) {
      units.push({ index, bytes, isSpace: segment === ' ' });
      continue;
    }
    let offset = index;
    for (const codePoint of segment) {
      units.push({ index: offset, bytes: utf8ByteLength(codePoint), isSpace: false });
      offset += codePoint.length;
    }
  }
  return units;
}

/** Whether `UNSENDABLE` could match: a NUL, a \x01 or any surrogate (paired ones are then left alone by the regex). */
function hasUnsendable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x01 || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** Room beyond the byte budget in which a grapheme cluster that crosses the cut is seen whole. */
const SEGMENT_MARGIN = 64;

function splitLine(line: string, maxBytes: number): string[] {
  // Most lines fit: no segmentation at all (the hot path of every message).
  if (utf8ByteLength(line) <= maxBytes) return [line];
  const chunks: string[] = [];
  let rest = line;
  while (utf8ByteLength(rest) > maxBytes) {
    // Only the head of the rest can hold the next cut: a UTF-16 unit is at least one
    // UTF-8 byte, so `maxBytes` units already exceed the budget.
    const units = unitsOf(rest.slice(0, maxBytes + SEGMENT_MARGIN), maxBytes);
    let end = 0;
    let bytes = 0;
    let afterLastSpace = -1;
    for (let u = units[end]; u !== undefined && bytes + u.bytes <= maxBytes; u = units[++end]) {
      bytes += u.bytes;
      if (u.isSpace) afterLastSpace = end + 1;
    }
    if (afterLastSpace > 0) end = afterLastSpace;
    const cut = units[end]?.index ?? rest.length;
    chunks.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest !== '') chunks.push(rest);
  return chunks;
}

/**
 * Splits a message body into IRC message texts of at most `maxBytes` UTF-8
 * bytes each (use `messagePayloadBudget`); `maxBytes` must be at least 4 so
 * that any code point fits.
 *
 * 1. Lines: `\r\n`, `\r` and `\n` each end a line, and each line becomes its
 *    own message(s). Lines that are empty or only whitespace are skipped, so a
 *    body of nothing but whitespace yields `[]`: the caller must tell the
 *    sender that nothing was sent. No CR or LF is ever in a result.
 * 2. Characters: NUL and \x01 (which would frame a CTCP) and lone surrogates
 *    become U+FFFD, one for one. Other C0 controls are kept: they are IRC
 *    formatting or harmless, and XMPP bodies cannot carry them anyway.
 * 3. Long lines: cut after the last U+0020 SPACE that fits; the space stays at
 *    the end of the earlier piece. Where no space fits, cut at the last
 *    grapheme-cluster boundary that fits (a cluster larger than `maxBytes`,
 *    e.g. a run of combining marks, is cut between code points). Nothing is
 *    dropped or added: the pieces of a line concatenate to the line.
 *
 *     splitMessageText('hi\r\nQUIT :x', 400) → ['hi', 'QUIT :x']
 *     splitMessageText('aaa bbb ccc', 8)     → ['aaa bbb ', 'ccc']
 *     splitMessageText(' \n\t\r\n', 400)     → []
 */
export function splitMessageText(text: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4, got ${maxBytes}`);
  }
  const chunks: string[] = [];
  // One line with nothing to replace is the common case: no regex runs over it.
  const rawLines = text.includes('\n') || text.includes('\r') ? text.split(LINE_BREAK) : [text];
  for (const rawLine of rawLines) {
    if (rawLine.trim() === '') continue;
    chunks.push(...splitLine(hasUnsendable(rawLine) ? rawLine.replace(UNSENDABLE, '\uFFFD') : rawLine, maxBytes));
  }
  return chunks;
}

export interface MessageLinesInput extends MessageBudgetInput {
  text: string;
}

/**
 * The wire lines (without CRLF) for one message body: split as
 * `splitMessageText` does within `messagePayloadBudget`, wrapped as CTCP ACTION
 * for a /me. `[]` means there was nothing to send. Throws IrcLineRefusedError
 * when the target is not a valid middle parameter.
 *
 *     buildMessageLines({ command: 'PRIVMSG', target: '#c', sender: { nick: 'a' }, text: 'hi\nyo' })
 *       → ['PRIVMSG #c hi', 'PRIVMSG #c yo']
 */
export function buildMessageLines(input: MessageLinesInput): string[] {
  const budget = knownBudget(input);
  const one = plainMessageLine(input, budget);
  if (one !== undefined) return [one];
  const chunks = splitMessageText(input.text, budget);
  return chunks.map((chunk) =>
    buildLine(input.command, [input.target, input.action === true ? ctcpAction(chunk) : chunk]),
  );
}

/** What `messagePayloadBudget` gave last for a target, and for which other inputs. */
interface KnownBudget {
  readonly command: string;
  readonly nick: string;
  readonly user: string | undefined;
  readonly host: string | undefined;
  readonly action: boolean;
  readonly budget: number;
}
/** Targets seen lately (a user's channels and correspondents); emptied when full. */
const BUDGETS = new BoundedCache<string, KnownBudget>(4096);

/**
 * `messagePayloadBudget(input)`, kept per target: a user's messages to one channel all have
 * the same budget, and counting the bytes of nick, command and target again was ~1 % of
 * XMPP → IRC's CPU (issue 11 §2). Every other input is compared, so a new nick or a /me
 * computes it afresh.
 */
function knownBudget(input: MessageBudgetInput): number {
  const { command, target, sender } = input;
  const action = input.action === true;
  const known = BUDGETS.get(target);
  if (known !== undefined && known.nick === sender.nick && known.command === command && known.action === action && known.user === sender.user && known.host === sender.host) {
    return known.budget;
  }
  const budget = messagePayloadBudget(input);
  // Own copies: a name cut from an IRC read would keep the whole read alive (bounded-cache.ts).
  const { user, host } = sender;
  BUDGETS.set(detached(target), {
    command,
    nick: detached(sender.nick),
    user: user === undefined ? undefined : detached(user),
    host: host === undefined ? undefined : detached(host),
    action,
    budget,
  });
  return budget;
}

/**
 * The one line of a body that needs nothing of `splitMessageText`, or undefined: the
 * common message (issue 11 §2: the general path scanned the text six times). One pass
 * over the text finds what would send it down the general path — CR, LF, NUL, \x01, a
 * surrogate that is not half of a pair, no visible ASCII character (a text that might
 * trim to nothing), more bytes than `budget` — and counts its bytes and spaces on the way;
 * a target that is not a plain middle parameter also goes the general way, which refuses
 * it. What it returns is what the general path would: `tryBuildLine`'s output, checked
 * against it by a property in test/fuzz.
 */
function plainMessageLine(input: MessageLinesInput, budget: number): string | undefined {
  const { text, target } = input;
  let bytes = 0;
  let space = false;
  let visible = false;
  if (SENDABLE_ASCII.test(text)) {
    // The common body, ASCII with none of CR, LF, NUL, \x01: the loop's answers from three
    // native scans (issue 11 §2: the loop was ~2 % of XMPP → IRC's CPU; a regex reads a
    // body cut from the socket read in place, where charCodeAt unwraps it per character).
    bytes = text.length;
    space = text.includes(' ');
    visible = VISIBLE_ASCII.test(text);
  } else {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c === 0x0a || c === 0x0d || c <= 0x01) return undefined;
        if (c === 0x20) space = true;
        else if (c > 0x20 && c < 0x7f) visible = true;
        bytes += 1;
      } else if (c < 0x800) bytes += 2;
      else if (c < 0xd800 || c > 0xdfff) bytes += 3;
      else if (c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
        bytes += 4;
        i++;
      } else return undefined;
    }
  }
  // A budget under 4 is refused by `splitMessageText` (RangeError → not-acceptable): leave it to it.
  if (!visible || budget < 4 || bytes > budget || !isPlainMiddle(target)) return undefined;
  const action = input.action === true;
  // The trailing marker exactly when `tryBuildLine` would put one: an action has a space.
  const trailing = action || space || text.charCodeAt(0) === 0x3a;
  const param = action ? `${CTCP_ACTION_PREFIX}${text}${CTCP_DELIM}` : text;
  const lineBytes = input.command.length + 1 + utf8ByteLength(target) + (trailing ? 2 : 1) + bytes + (action ? CTCP_ACTION_OVERHEAD_BYTES : 0);
  if (lineBytes + 2 > IRC_MAX_LINE_BYTES) return undefined;
  return `${input.command} ${target} ${trailing ? ':' : ''}${param}`;
}

/** ASCII but CR, LF, NUL and \x01: one byte a character, nothing `plainMessageLine` refuses. */
const SENDABLE_ASCII = /^[\x02-\x09\x0B\x0C\x0E-\x7F]*$/;
/** A visible ASCII character: a text with one does not trim to nothing. */
const VISIBLE_ASCII = /[\x21-\x7E]/;

/** A middle parameter as `tryBuildLine` takes it: not empty, no space, CR, LF or NUL, no leading ':'. */
function isPlainMiddle(s: string): boolean {
  if (s.length === 0 || s.charCodeAt(0) === 0x3a) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0) return false;
  }
  return true;
}

/** `\x01ACTION text\x01`. Throws RangeError when `text` holds \x01 (it would end the frame). */
export function ctcpAction(text: string): string {
  if (text.includes(CTCP_DELIM)) throw new RangeError('CTCP ACTION text must not contain \\x01');
  return `${CTCP_ACTION_PREFIX}${text}${CTCP_DELIM}`;
}

export type CtcpMessage =
  | { kind: 'action'; text: string }
  | { kind: 'ctcp'; command: string; args: string }
  | { kind: 'plain'; text: string };

/**
 * Reads the text of an incoming PRIVMSG/NOTICE as CTCP (modern.ircdocs.horse/ctcp,
 * "Message Syntax": `\x01 command [SPACE params] [\x01]`). The final \x01 is
 * optional, as the spec asks parsers to accept; the command is returned in
 * upper case and ACTION is recognised in any case. A text that does not start
 * with \x01 followed by a command is plain.
 *
 *     parseCtcp('\x01ACTION waves\x01') → { kind: 'action', text: 'waves' }
 *     parseCtcp('\x01VERSION\x01')      → { kind: 'ctcp', command: 'VERSION', args: '' }
 *     parseCtcp('\x01ACTION waves')     → { kind: 'action', text: 'waves' }
 *     parseCtcp('\x01\x01')             → { kind: 'plain', text: '\x01\x01' }
 */
export function parseCtcp(text: string): CtcpMessage {
  if (!text.startsWith(CTCP_DELIM)) return { kind: 'plain', text };
  const body = text.endsWith(CTCP_DELIM) && text.length > 1 ? text.slice(1, -1) : text.slice(1);
  const space = body.indexOf(' ');
  const command = (space < 0 ? body : body.slice(0, space)).toUpperCase();
  const args = space < 0 ? '' : body.slice(space + 1);
  if (command === '' || /[\0\x01\r\n]/.test(command)) return { kind: 'plain', text };
  return command === 'ACTION' ? { kind: 'action', text: args } : { kind: 'ctcp', command, args };
}
