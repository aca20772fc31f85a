/**
 * Property-based fuzzing of the IRC parser, the IRC writer and the whole pure core
 * (issue 8 §6), plus the replay of every counterexample ever found (corpus.json).
 * See properties.ts for the properties and for running them longer (`npm run fuzz`).
 */
import { describe, expect, it } from 'vitest';
import type { CoreAction } from './arbitraries.js';
import { runCore } from './core-runner.js';
import {
  assertProperty,
  coreInput,
  coreProperty,
  FUZZ_SECONDS,
  parserInput,
  parserProperty,
  parserRoundTripProperty,
  readCorpus,
  wellFormedMessage,
  writerLineInput,
  writerLineProperty,
  writerMessageInput,
  writerMessageProperty,
  type CorpusEntry,
  type MessageInput,
} from './properties.js';
import { xmlProblem } from './xml-check.js';

/** Per property, when fuzzing for FUZZ_SECONDS: its time plus shrinking. */
const timeout = FUZZ_SECONDS !== undefined ? FUZZ_SECONDS * 1000 + 120_000 : 60_000;

describe('the strict XML 1.0 checker the properties rely on', () => {
  it.each(['<a/>', '<a b="1" c=\'2\'>t&amp;&#x1F600;&#10;<d/></a>', '<x:y xmlns:x="u">😀 \x85</x:y>', '<a >x</a >'])('accepts %j', (ok) => {
    expect(xmlProblem(ok)).toBeUndefined();
  });
  it.each(['<a>\x01</a>', '<a b="<"/>', '<a b="1" b="2"/>', '<a>&#1;</a>', '<a>&#xFFFE;</a>', '<a>&foo;</a>', '<a></b>', '<a>]]></a>', '<a', '<a/><b/>', '<1a/>', '<a>\uFFFF</a>', '<a>\uD800</a>', '<a b="1"c="2"/>', '<a><!-- x --></a>', 'x'])('refuses %j', (bad) => {
    expect(xmlProblem(bad)).toBeDefined();
  });
});

describe('fuzz properties (fast-check, seeded, shrinking)', () => {
  it('(a) parseIrcLine never throws on any string, and what it returns keeps the line rules', { timeout }, () => {
    expect(assertProperty('parser', parserInput, parserProperty, 3000)).toBeGreaterThan(0);
  });

  it('(a) parseIrcLine reads back every well-formed message exactly', { timeout }, () => {
    expect(assertProperty('parser-roundtrip', wellFormedMessage, parserRoundTripProperty, 1000)).toBeGreaterThan(0);
  });

  it('(b) tryBuildLine writes one command within 510 bytes that reads back as given', { timeout }, () => {
    expect(assertProperty('writer-line', writerLineInput, writerLineProperty, 2000)).toBeGreaterThan(0);
  });

  it('(b) buildMessageLines turns user text into PRIVMSG/NOTICE lines only, within the relay budget, losing nothing', { timeout }, () => {
    expect(assertProperty('writer-message', writerMessageInput, writerMessageProperty, 1000)).toBeGreaterThan(0);
  });

  it('(c) the core, driven by hostile stanzas and a hostile IRC server, keeps every rule the adapters rely on', { timeout }, () => {
    expect(assertProperty('core', coreInput, coreProperty, 1000)).toBeGreaterThan(0);
  });
});

const REPLAY: Record<CorpusEntry['property'], (input: unknown) => void> = {
  parser: (i) => parserProperty(i as string),
  'parser-roundtrip': (i) => parserRoundTripProperty(i as Parameters<typeof parserRoundTripProperty>[0]),
  'writer-line': (i) => writerLineProperty(i as { command: string; params: string[] }),
  'writer-message': (i) => writerMessageProperty(i as MessageInput),
  core: (i) => runCore(i as CoreAction[]),
};

describe('corpus: every counterexample ever found, replayed', () => {
  const corpus = readCorpus();
  it('is a list of entries with a known property', () => {
    for (const e of corpus) expect(Object.keys(REPLAY)).toContain(e.property);
  });

  const fixed = corpus.filter((e) => e.knownBug === undefined);
  const known = corpus.filter((e) => e.knownBug !== undefined);

  it.each(fixed.map((e, i) => [`${e.property} #${i}: ${e.note.slice(0, 80)}`, e] as const))('%s', (_name, entry) => {
    REPLAY[entry.property](entry.input);
  });

  // Bugs found in code being reorganised by someone else (the bridge): the replay asserts
  // that the recorded failure still happens. When it is fixed this case fails: then delete
  // the entry's `knownBug`, and it replays as a regular passing case from then on.
  it.each(known.map((e, i) => [`KNOWN CORE BUG ${e.property} #${i}: ${e.note.slice(0, 80)}`, e] as const))('%s', (_name, entry) => {
    expect(() => REPLAY[entry.property](entry.input)).toThrow(entry.knownBug);
  });
});
