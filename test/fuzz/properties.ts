/**
 * The fuzz properties (issue 8 §6) and how long they run.
 *
 * `npm test` runs each property a fixed number of times from a fixed seed, so a
 * failure there replays exactly. `npm run fuzz` runs the same properties for as
 * long as asked and records every shrunk counterexample in corpus.json, which
 * every later run replays as a regular case:
 *
 *     FUZZ_SECONDS=600 npm run fuzz      # each property for 10 minutes, random seed
 *     FUZZ_RUNS=100000 npm run fuzz      # each property 100,000 times
 *     FUZZ_SEED=42 FUZZ_RUNS=5000 npm run fuzz
 *
 * Environment: FUZZ_RUNS, FUZZ_SECONDS, FUZZ_SEED, FUZZ_RECORD=1 (set by
 * `npm run fuzz`: append counterexamples to corpus.json), FUZZ_AVOID_KNOWN=0 (do
 * not skip the inputs of known bugs, see KNOWN_BUG_GUARDS).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseIrcLine } from '../../src/core/irc-message.js';
import { buildLine, buildMessageLines, ctcpAction, IrcLineRefusedError, messagePayloadBudget, splitMessageText, tryBuildLine, utf8ByteLength } from '../../src/core/irc-writer.js';
import { bytesToLine, coreSession, hostileString, ircLine, type CoreAction } from './arbitraries.js';
import { runCore } from './core-runner.js';

export const CORPUS_FILE = new URL('./corpus.json', import.meta.url);

export type PropertyName = 'parser' | 'parser-roundtrip' | 'writer-line' | 'writer-message' | 'core';

export interface CorpusEntry {
  property: PropertyName;
  /** The shrunk counterexample, exactly as the property takes it. */
  input: unknown;
  /** What failed, and for known bugs the issue that owns the fix. */
  note: string;
  /** Set while the bug is unfixed: the replay asserts the failure still reproduces with this text. */
  knownBug?: string;
  found: string;
}

export function readCorpus(): CorpusEntry[] {
  return JSON.parse(readFileSync(CORPUS_FILE, 'utf8')) as CorpusEntry[];
}

const env = process.env;
const fuzzing = env.FUZZ_RUNS !== undefined || env.FUZZ_SECONDS !== undefined;
export const FUZZ_SECONDS = env.FUZZ_SECONDS !== undefined ? Number(env.FUZZ_SECONDS) : undefined;

/** fast-check parameters: fixed runs and seed in `npm test`; as long as asked when fuzzing. */
function parameters(defaultRuns: number): fc.Parameters<unknown> {
  const seed = env.FUZZ_SEED !== undefined ? Number(env.FUZZ_SEED) : fuzzing ? Date.now() ^ (Math.random() * 0x7fffffff) : 20261201;
  const p: fc.Parameters<unknown> = { seed, numRuns: env.FUZZ_RUNS !== undefined ? Number(env.FUZZ_RUNS) : defaultRuns };
  if (FUZZ_SECONDS !== undefined) {
    p.numRuns = env.FUZZ_RUNS !== undefined ? Number(env.FUZZ_RUNS) : Number.MAX_SAFE_INTEGER;
    p.interruptAfterTimeLimit = FUZZ_SECONDS * 1000;
    p.markInterruptAsFailure = false;
  }
  return p;
}

/** Runs one property; on failure records the counterexample (FUZZ_RECORD=1) and throws fast-check's report. */
export function assertProperty<T>(name: PropertyName, arb: fc.Arbitrary<T>, predicate: (value: T) => void, defaultRuns: number): number {
  const params = parameters(defaultRuns);
  const details = fc.check(fc.property(arb, predicate), params as fc.Parameters<[T]>);
  if (fuzzing) process.stdout.write(`fuzz ${name}: ${details.numRuns} cases (${details.numSkips} skipped), seed ${params.seed}${details.failed ? ', FAILED' : ''}\n`);
  if (details.failed) {
    if (env.FUZZ_RECORD === '1' && details.counterexample) {
      const corpus = readCorpus();
      const message = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      corpus.push({ property: name, input: details.counterexample[0], note: message.split('\n')[0]!.slice(0, 300), found: new Date().toISOString().slice(0, 10) });
      writeFileSync(CORPUS_FILE, `${JSON.stringify(corpus, null, 2)}\n`);
    }
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${why}\n\n${fc.defaultReportMessage(details)}`);
  }
  return details.numRuns;
}

// ------------------------------------------------------------------ (a) the IRC line parser

const MIDDLE_OK = /^[^\s:\0\r\n][^ \0\r\n]*$/;

/** Any string: parseIrcLine never throws and returns a typed result whose parts keep the line's rules. */
export function parserProperty(line: string): void {
  const r = parseIrcLine(line);
  if (r.kind === 'malformed') return;
  if (!/^(?:[A-Z]+|[0-9]{3})$/.test(r.command)) throw new Error(`command ${JSON.stringify(r.command)}`);
  r.params.forEach((p, i) => {
    if (/[\0\r\n]/.test(p)) throw new Error(`param ${i} holds NUL/CR/LF`);
    if (i < r.params.length - 1 && !/^[^ :][^ ]*$/.test(p)) throw new Error(`middle param ${i} ${JSON.stringify(p)}`);
  });
  for (const v of Object.values(r.tags)) if (typeof v !== 'string') throw new Error('tag value is not a string');
}

export const parserInput: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: ircLine },
  { weight: 2, arbitrary: hostileString(300) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map(bytesToLine) },
);

/** A message the parser must read back exactly: no tags, a valid source, command and middles. */
export const wellFormedMessage = fc.record({
  source: fc.option(fc.constantFrom('irc.local', 'nick!user@host', 'n', 'n@h'), { nil: undefined }),
  command: fc.oneof(fc.stringMatching(/^[A-Z]{1,10}$/), fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0'))),
  middles: fc.array(hostileString(12).filter((s) => MIDDLE_OK.test(s) && !s.includes(' ')), { maxLength: 6 }),
  trailing: fc.option(hostileString(60).map((s) => s.replace(/[\0\r\n]/g, '')), { nil: undefined }),
});

export function parserRoundTripProperty(m: { source: string | undefined; command: string; middles: string[]; trailing: string | undefined }): void {
  const line = [m.source === undefined ? undefined : `:${m.source}`, m.command, ...m.middles, m.trailing === undefined ? undefined : `:${m.trailing}`].filter((x) => x !== undefined).join(' ');
  const r = parseIrcLine(line, { maxBodyBytes: Infinity });
  if (r.kind !== 'message') throw new Error(`refused (${r.reason}): ${JSON.stringify(line)}`);
  const want = m.trailing === undefined ? m.middles : [...m.middles, m.trailing];
  if (r.command !== m.command || JSON.stringify(r.params) !== JSON.stringify(want)) throw new Error(`read back ${JSON.stringify([r.command, r.params])} from ${JSON.stringify(line)}`);
}

// ------------------------------------------------------------------ (b) the IRC writer

/** A line the writer builds is one command, within 510 bytes, that reads back as given. */
export function writerLineProperty({ command, params }: { command: string; params: string[] }): void {
  const r = tryBuildLine(command, params);
  if (r.kind === 'refused') return;
  const line = r.line;
  if (/[\r\n\0]/.test(line)) throw new Error(`CR/LF/NUL in ${JSON.stringify(line)}`);
  if (utf8ByteLength(line) > 510) throw new Error(`${utf8ByteLength(line)} bytes`);
  const back = parseIrcLine(line);
  if (back.kind !== 'message') throw new Error(`the written line does not parse (${back.reason}): ${JSON.stringify(line)}`);
  if (back.command !== command.toUpperCase() || JSON.stringify(back.params) !== JSON.stringify(params)) {
    throw new Error(`wrote ${JSON.stringify(line)}, which reads back as ${JSON.stringify([back.command, back.params])}`);
  }
}

export const writerLineInput = fc.record({
  command: fc.oneof(fc.constantFrom('PRIVMSG', 'NOTICE', 'JOIN', 'PART', 'KICK', 'MODE', 'TOPIC', 'NICK', 'QUIT', '001', 'privmsg'), hostileString(8)),
  params: fc.array(hostileString(40), { maxLength: 17 }),
});

const LINE_BREAK = /\r\n|\r|\n/;
const UNSENDABLE = /[\0\x01]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface MessageInput {
  command: 'PRIVMSG' | 'NOTICE';
  target: string;
  nick: string;
  user: string | undefined;
  host: string | undefined;
  text: string;
  action: boolean;
}

/**
 * Message bodies (user text, any length and content) become only PRIVMSG/NOTICE lines
 * to the target, each within 510 bytes also as the server relays it with our prefix,
 * and the pieces concatenate to the text minus its line breaks (irc-writer.ts header).
 */
export function writerMessageProperty(m: MessageInput): void {
  let lines: string[];
  try {
    lines = buildMessageLines({ command: m.command, target: m.target, sender: { nick: m.nick, user: m.user, host: m.host }, text: m.text, action: m.action });
  } catch (err) {
    // Documented refusals: a target that is not a middle parameter; a prefix that leaves no room.
    if (err instanceof IrcLineRefusedError || err instanceof RangeError) return;
    throw err;
  }
  const pieces: string[] = [];
  for (const line of lines) {
    if (/[\r\n\0]/.test(line)) throw new Error(`CR/LF/NUL in ${JSON.stringify(line)}`);
    const relayed = `:${m.nick}!${m.user ?? 'u'.repeat(10)}@${m.host ?? 'h'.repeat(63)} ${line}`;
    if (utf8ByteLength(relayed) > 510) throw new Error(`relayed line is ${utf8ByteLength(relayed)} bytes: ${JSON.stringify(line.slice(0, 60))}`);
    const back = parseIrcLine(line);
    if (back.kind !== 'message' || back.command !== m.command || back.params.length !== 2 || back.params[0] !== m.target) {
      throw new Error(`user text became ${JSON.stringify(back)} from ${JSON.stringify(line.slice(0, 80))}`);
    }
    let text = back.params[1]!;
    if (m.action) {
      if (!text.startsWith('\x01ACTION ') || !text.endsWith('\x01')) throw new Error(`an action is not framed: ${JSON.stringify(text)}`);
      text = text.slice(8, -1);
    }
    if (text.includes('\x01')) throw new Error(`\\x01 inside the text would frame a CTCP: ${JSON.stringify(text)}`);
    pieces.push(text);
  }
  const expected = m.text
    .split(LINE_BREAK)
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(UNSENDABLE, '\uFFFD'))
    .join('');
  if (pieces.join('') !== expected) throw new Error(`pieces do not concatenate to the text: ${JSON.stringify(pieces).slice(0, 200)}`);
  // The one-line shortcut of buildMessageLines gives exactly what splitting and building each piece gives.
  const input = { command: m.command, target: m.target, sender: { nick: m.nick, user: m.user, host: m.host }, action: m.action };
  const general = splitMessageText(m.text, messagePayloadBudget(input)).map((chunk) => buildLine(m.command, [m.target, m.action ? ctcpAction(chunk) : chunk]));
  if (JSON.stringify(lines) !== JSON.stringify(general)) throw new Error(`${JSON.stringify(lines).slice(0, 200)} differs from the general path's ${JSON.stringify(general).slice(0, 200)}`);
}

export const writerMessageInput: fc.Arbitrary<MessageInput> = fc.record({
  command: fc.constantFrom('PRIVMSG' as const, 'NOTICE' as const),
  target: fc.oneof(fc.constantFrom('#c', 'alice', '#ünï'), hostileString(20)),
  nick: fc.oneof(fc.constantFrom('me', 'a'.repeat(30)), hostileString(20).filter((s) => s.length > 0)),
  user: fc.option(fc.constantFrom('~u', 'jabirc'), { nil: undefined }),
  host: fc.option(fc.constantFrom('gateway.example.org', 'h'), { nil: undefined }),
  text: fc.oneof(
    hostileString(80),
    hostileString(1200),
    fc.string({ unit: 'grapheme', maxLength: 900 }),
    // Ordinary one-line text, the common message: spaces, a leading ':', accents, CJK, emoji, near the byte budget.
    fc.string({ unit: fc.constantFrom('a', ' ', ':', '\u00e9', '\u4e00', '\u{1F600}', '\u00a0', '\t'), maxLength: 200 }),
  ),
  action: fc.boolean(),
});

// ------------------------------------------------------------------ (c) the whole core

export const coreInput: fc.Arbitrary<CoreAction[]> = coreSession;

/**
 * Inputs of bugs already in the corpus as `knownBug` (their replays there prove they
 * still fail) are skipped by the core property, so it keeps looking for new bugs
 * instead of finding the same one again; FUZZ_AVOID_KNOWN=0 turns the guards off.
 * Remove a guard with its bug's `knownBug` once the bug is fixed.
 */
const KNOWN_BUG_GUARDS: Array<(actions: CoreAction[]) => boolean> = [
  // None open: the bridge and gateway bugs the fuzzer found (issue 8) are fixed and replay from the corpus.
];

export function coreProperty(actions: CoreAction[]): void {
  if (env.FUZZ_AVOID_KNOWN !== '0') fc.pre(!KNOWN_BUG_GUARDS.some((guard) => guard(actions)));
  runCore(actions);
}
