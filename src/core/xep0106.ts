/**
 * JID Escaping (XEP-0106) for localparts.
 *
 * Why: IRC channel names and nicks may contain characters that a JID
 * localpart may not (`#a/b`, `#a@b`, `&chan`, `[tom]'s`). XEP-0106 §3 maps
 * each of them to `\hh`, so `&chan%net` travels as `\26chan%net`.
 *
 * Rules kept (section numbers of XEP-0106 1.1.1):
 * - §3.2/§3.3: exactly ten sequences, lower-case hex only ("CASE IS
 *   SIGNIFICANT", §3.1): space `\20`, `"` `\22`, `&` `\26`, `'` `\27`,
 *   `/` `\2f`, `:` `\3a`, `<` `\3c`, `>` `\3e`, `@` `\40`, `\` `\5c`.
 * - §4.1 rule 3 and §4.3: unescaping touches only those ten; `\2F`, `\41`,
 *   `\bar`, a lone `\` are left as they are.
 * - §4.1 rule 7 and §4.3: a `\` is itself escaped to `\5c` only when what
 *   follows would otherwise read as an escape sequence; `foo\bar` stays
 *   `foo\bar`. (The §5.1 example table writes `c:\net` as `c\3a\5cnet`,
 *   which disagrees with §4.3; both forms unescape to the same string.)
 *   Jabirc extension of that rule: a `\` before an upper-case variant such as
 *   `\2F` is escaped too, because servers that case-fold localparts (Prosody
 *   applies nodeprep) would turn a literal `\2F` into the sequence `\2f`.
 * - §3.2 note and §4.1 rule 6: an escaped localpart may not begin or end with
 *   `\20`, so a string with a leading or trailing space has no escaped form.
 *
 * No other sequence is defined: in particular Jabirc does not invent `\25`
 * for `%`. `%` is legal in a localpart; how address.ts keeps it unambiguous
 * is explained there.
 */

const ESCAPES: ReadonlyMap<string, string> = new Map([
  [' ', '\\20'],
  ['"', '\\22'],
  ['&', '\\26'],
  ["'", '\\27'],
  ['/', '\\2f'],
  [':', '\\3a'],
  ['<', '\\3c'],
  ['>', '\\3e'],
  ['@', '\\40'],
  ['\\', '\\5c'],
]);

const UNESCAPES: ReadonlyMap<string, string> = new Map(
  [...ESCAPES].map(([plain, escaped]) => [escaped.slice(1), plain]),
);

/** The ten sequences of §3.3, without the backslash, in either case. */
const SEQUENCE_AFTER_BACKSLASH = /^(?:20|22|26|27|2f|3a|3c|3e|40|5c)/i;

/** The characters XEP-0106 escapes (space " & ' / : < > @ and backslash). */
export const XEP0106_ESCAPED_CHARACTERS = ' "&\'/:<>@\\';
const NEEDS_ESCAPE = /[ "&'/:<>@\\]/;

/**
 * Whether `plain` has an escaped form: XEP-0106 §4.1 rule 6 forbids `\20` at
 * either end, so a leading or trailing space cannot be carried.
 */
export function canEscapeLocalpart(plain: string): boolean {
  return !plain.startsWith(' ') && !plain.endsWith(' ');
}

/**
 * Escapes a plain string into a localpart (XEP-0106 §3.2, §4.1 rule 7).
 * `escapeLocalpart("#a/b")` → `"#a\\2fb"`, `escapeLocalpart("c:\\net")` →
 * `"c\\3a\\net"`.
 *
 * @throws RangeError when `plain` begins or ends with a space (see
 *   {@link canEscapeLocalpart}); callers validate names before building JIDs.
 */
export function escapeLocalpart(plain: string): string {
  if (!canEscapeLocalpart(plain)) {
    throw new RangeError('XEP-0106 §4.1: a localpart cannot begin or end with an escaped space');
  }
  // Most names hold nothing to escape (the hot path of every stanza we address, issue 11).
  if (!NEEDS_ESCAPE.test(plain)) return plain;
  let out = '';
  for (let i = 0; i < plain.length; i++) {
    const ch = plain[i] as string;
    if (ch === '\\') {
      out += SEQUENCE_AFTER_BACKSLASH.test(plain.slice(i + 1, i + 3)) ? '\\5c' : '\\';
    } else {
      out += ESCAPES.get(ch) ?? ch;
    }
  }
  return out;
}

/**
 * Unescapes a localpart (XEP-0106 §3.3): only the ten lower-case sequences
 * are replaced; anything else after a `\` is kept verbatim (§4.3).
 * `unescapeLocalpart("\\26chan")` → `"&chan"`, `unescapeLocalpart("foob\\41r")`
 * → `"foob\\41r"`.
 */
export function unescapeLocalpart(local: string): string {
  if (!local.includes('\\')) return local;
  return local.replace(/\\([0-9a-f]{2})/g, (whole: string, hex: string) => UNESCAPES.get(hex) ?? whole);
}
