/**
 * IRC case mapping and the few RPL_ISUPPORT (005) values the gateway needs.
 *
 * Why: IRC compares channel names and nicks case-insensitively, with a folding
 * rule chosen by each server (CASEMAPPING). `#Foo[1]` and `#foo{1}` are one
 * channel on an rfc1459 server and two on an ascii one. Sessions key their
 * per-channel and per-nick state through {@link CaseMappedMap}, never by raw
 * string. XMPP's idea of case (localparts may be lower-cased by the server)
 * plays no part: identity is the IRC fold, the display spelling comes from IRC.
 *
 * Rules kept:
 * - RFC 1459 §2.2: `{}|^` are the lower-case forms of `[]\~` ("rfc1459").
 *   "strict-rfc1459" folds `[]\` but not `~`; "ascii" folds only A-Z.
 *   No mapping touches non-ASCII letters: `É` and `é` stay distinct.
 * - Modern ISUPPORT (https://modern.ircdocs.horse/#rplisupport-005):
 *   defaults when a server does not advertise a parameter are
 *   CASEMAPPING=rfc1459, CHANTYPES=#&, PREFIX=(ov)@+; `-PARAM` restores the
 *   default; CHANTYPES or PREFIX with no value means "none".
 * - Any other CASEMAPPING value (rfc7613, rfc8265, a server's own name) falls
 *   back to rfc1459 and is kept in `advertisedCasemapping` so the caller can
 *   warn. rfc1459 is the widest ASCII fold: it may merge `[x]` with `{x}` on a
 *   server that keeps them apart, and it does not fold non-ASCII letters the
 *   way rfc7613 would.
 */

/** A case mapping Jabirc implements. */
export type CaseMapping = 'ascii' | 'rfc1459' | 'strict-rfc1459';

/** Channel membership prefix: mode letter and the symbol shown in NAMES. */
export interface MemberPrefix {
  readonly mode: string;
  readonly symbol: string;
}

/** What the gateway takes from a server's RPL_ISUPPORT. */
export interface ServerSupport {
  readonly casemapping: CaseMapping;
  /** The CASEMAPPING value as the server sent it; null when not advertised. */
  readonly advertisedCasemapping: string | null;
  /** Channel prefix characters, e.g. `#&`; empty when the server has none. */
  readonly chantypes: string;
  /** Membership prefixes, highest rank first, e.g. `o`/`@` before `v`/`+`. */
  readonly prefixes: readonly MemberPrefix[];
}

/** The values a client assumes before (or without) RPL_ISUPPORT. */
export const DEFAULT_SERVER_SUPPORT: ServerSupport = {
  casemapping: 'rfc1459',
  advertisedCasemapping: null,
  chantypes: '#&',
  prefixes: [
    { mode: 'o', symbol: '@' },
    { mode: 'v', symbol: '+' },
  ],
};

const FOLD_PATTERN: Record<CaseMapping, RegExp> = {
  ascii: /[A-Z]+/g,
  rfc1459: /[A-Z[\]\\~]+/g,
  'strict-rfc1459': /[A-Z[\]\\]+/g,
};

const SPECIAL_FOLD: Readonly<Record<string, string>> = { '[': '{', ']': '}', '\\': '|', '~': '^' };

/** One character `FOLD_PATTERN` would change: most names have none, and a test is far cheaper than a replace. */
const FOLD_NEEDED: Record<CaseMapping, RegExp> = {
  ascii: /[A-Z]/,
  rfc1459: /[A-Z[\]\\~]/,
  'strict-rfc1459': /[A-Z[\]\\]/,
};

/** Folds `s` to its canonical lower-case form under `mapping` (RFC 1459 §2.2). */
export function foldCase(mapping: CaseMapping, s: string): string {
  if (!FOLD_NEEDED[mapping].test(s)) return s;
  return s.replace(FOLD_PATTERN[mapping], (run) => {
    let out = '';
    for (const ch of run) out += SPECIAL_FOLD[ch] ?? ch.toLowerCase();
    return out;
  });
}

/** Whether two IRC names are the same name under `mapping`. */
export function ircEquals(mapping: CaseMapping, a: string, b: string): boolean {
  return a === b || foldCase(mapping, a) === foldCase(mapping, b);
}

/** Maps a CASEMAPPING value to the mapping used; unknown values give rfc1459. */
export function caseMappingFromToken(value: string): CaseMapping {
  const lower = value.toLowerCase();
  return lower === 'ascii' || lower === 'strict-rfc1459' ? lower : 'rfc1459';
}

/** Parses a PREFIX value such as `(qaohv)~&@%+`; undefined when malformed. */
function parsePrefix(value: string): MemberPrefix[] | undefined {
  if (value === '') return [];
  const match = /^\(([^()]*)\)(.*)$/.exec(value);
  const modes = match?.[1];
  const symbols = match?.[2];
  if (modes === undefined || symbols === undefined || modes.length !== symbols.length) return undefined;
  return [...modes].map((mode, i) => ({ mode, symbol: symbols[i] as string }));
}

/**
 * Folds RPL_ISUPPORT tokens into `prev` (default {@link DEFAULT_SERVER_SUPPORT}).
 * Tokens are the 005 parameters between the nick and the trailing text, e.g.
 * `['CHANTYPES=#', 'PREFIX=(qaohv)~&@%+', 'CASEMAPPING=ascii', '-EXCEPTS']`.
 * Unknown parameters are ignored; a malformed PREFIX leaves the old value.
 */
export function parseIsupportTokens(tokens: readonly string[], prev: ServerSupport = DEFAULT_SERVER_SUPPORT): ServerSupport {
  let support = prev;
  for (const token of tokens) {
    const negated = token.startsWith('-');
    const eq = token.indexOf('=');
    const key = (negated ? token.slice(1) : eq === -1 ? token : token.slice(0, eq)).toUpperCase();
    const value = negated || eq === -1 ? '' : token.slice(eq + 1);
    switch (key) {
      case 'CASEMAPPING':
        support =
          negated || value === ''
            ? { ...support, casemapping: DEFAULT_SERVER_SUPPORT.casemapping, advertisedCasemapping: null }
            : { ...support, casemapping: caseMappingFromToken(value), advertisedCasemapping: value };
        break;
      case 'CHANTYPES':
        support = { ...support, chantypes: negated ? DEFAULT_SERVER_SUPPORT.chantypes : value };
        break;
      case 'PREFIX': {
        const prefixes = negated ? DEFAULT_SERVER_SUPPORT.prefixes : parsePrefix(value);
        if (prefixes !== undefined) support = { ...support, prefixes };
        break;
      }
    }
  }
  return support;
}

/** Whether `name` is a channel name on this server: it starts with a CHANTYPES character. */
export function isChannelName(support: Pick<ServerSupport, 'chantypes'>, name: string): boolean {
  return name !== '' && support.chantypes.includes(name[0] as string);
}

/**
 * A Map keyed by IRC name under a case mapping: `get('#FOO')` finds what was
 * set as `#foo`. It keeps the spelling last given to `set`/`rename`, which is
 * what {@link CaseMappedMap.entries} and {@link CaseMappedMap.nameOf} return.
 * Every operation folds its argument once and does one Map lookup.
 *
 * Memory (issue 11 §3; every session holds several, and one per channel with an entry per
 * member): values are kept by folded name, and a spelling only where it differs from the
 * folded name (`#spellings`), instead of a `{ name, value }` record per entry; neither Map
 * exists until something is stored.
 */
export class CaseMappedMap<V> implements Iterable<[name: string, value: V]> {
  #mapping: CaseMapping;
  #values: Map<string, V> | undefined;
  #spellings: Map<string, string> | undefined;

  constructor(mapping: CaseMapping, entries: Iterable<readonly [string, V]> = []) {
    this.#mapping = mapping;
    for (const [name, value] of entries) this.set(name, value);
  }

  get mapping(): CaseMapping {
    return this.#mapping;
  }

  get size(): number {
    return this.#values?.size ?? 0;
  }

  get(name: string): V | undefined {
    return this.#values?.get(foldCase(this.#mapping, name));
  }

  has(name: string): boolean {
    return this.#values?.has(foldCase(this.#mapping, name)) ?? false;
  }

  /** The stored spelling of `name`, e.g. `nameOf('#FOO')` → `'#Foo'`. */
  nameOf(name: string): string | undefined {
    const key = foldCase(this.#mapping, name);
    return this.#values?.has(key) ? this.#spellingOf(key) : undefined;
  }

  /** Sets the value and takes `name` as the spelling from now on. */
  set(name: string, value: V): this {
    this.#put(foldCase(this.#mapping, name), name, value);
    return this;
  }

  delete(name: string): boolean {
    const key = foldCase(this.#mapping, name);
    this.#spellings?.delete(key);
    return this.#values?.delete(key) ?? false;
  }

  /**
   * Moves the value of `from` to `to` (an IRC NICK change), replacing any
   * value already under `to`. Returns false, changing nothing, when `from`
   * is absent.
   */
  rename(from: string, to: string): boolean {
    const key = foldCase(this.#mapping, from);
    const values = this.#values;
    if (values === undefined || !values.has(key)) return false;
    const value = values.get(key) as V;
    values.delete(key);
    this.#spellings?.delete(key);
    this.#put(foldCase(this.#mapping, to), to, value);
    return true;
  }

  /**
   * Re-keys every entry under a new mapping (CASEMAPPING arrived after state
   * was kept). Names that now fold together merge; the later-inserted wins.
   */
  remap(mapping: CaseMapping): void {
    if (mapping === this.#mapping) return;
    const old = [...this.entries()];
    this.#mapping = mapping;
    this.clear();
    for (const [name, value] of old) this.set(name, value);
  }

  clear(): void {
    this.#values?.clear();
    this.#spellings?.clear();
  }

  *entries(): IterableIterator<[name: string, value: V]> {
    if (this.#values === undefined) return;
    for (const [key, value] of this.#values) yield [this.#spellingOf(key), value];
  }

  *names(): IterableIterator<string> {
    if (this.#values === undefined) return;
    for (const key of this.#values.keys()) yield this.#spellingOf(key);
  }

  values(): IterableIterator<V> {
    return (this.#values ?? NO_VALUES).values() as IterableIterator<V>;
  }

  [Symbol.iterator](): IterableIterator<[name: string, value: V]> {
    return this.entries();
  }

  #spellingOf(key: string): string {
    return this.#spellings?.get(key) ?? key;
  }

  #put(key: string, name: string, value: V): void {
    (this.#values ??= new Map()).set(key, value);
    if (name !== key) (this.#spellings ??= new Map()).set(key, name);
    else this.#spellings?.delete(key);
  }
}

const NO_VALUES = new Map<string, never>();
