/**
 * IRC → XMPP text conversion: mIRC formatting codes, XML-safe characters and
 * byte decoding.
 *
 * Why: IRC lines carry in-band control characters (mIRC formatting) and may be
 * any bytes at all, while an XMPP body is XML 1.0 character data. A stray
 * control character from a broken IRC line must never become an invalid stanza
 * (which the XMPP server would answer by closing our stream), so every IRC
 * text that reaches a body passes through one of the functions here.
 *
 * Rules kept:
 * - Formatting codes follow https://modern.ircdocs.horse/formatting: bold \x02,
 *   italic \x1D, underline \x1F, strikethrough \x1E, monospace \x11, reverse
 *   \x16, reset \x0F, colour \x03[fg[,bg]] (1–2 digits each; the comma belongs to
 *   the code only when a digit follows it), hex colour \x04[RRGGBB[,RRGGBB]].
 *   Bold, italic, strikethrough and monospace toggle; colours, underline and
 *   reverse are always dropped (XEP-0393 has no equivalent).
 * - XEP-0393 (Message Styling) §6.2 spans: a span needs text between its
 *   directives; the opening directive stands at the start of the line, after
 *   whitespace, or after another opening directive (v0.2.1 fix); it is not
 *   followed by whitespace, and the closing directive is not preceded by it.
 *   Spans are matched lazily, so a span is emitted only if its directive
 *   character appears nowhere in the text itself (a literal `*` could otherwise
 *   close or open our bold). Spans must nest, and a preformatted span (`) holds
 *   no child spans (§6.2.5), so a span lying between two literal backticks of
 *   the text is dropped, as is all styling when a line starts with ``` (a
 *   preformatted block, §6.1.2). Styling that cannot be expressed validly is dropped;
 *   the text is always kept, byte for byte apart from the controls below.
 * - XML 1.0 §2.2 Char: C0 controls other than tab, LF and CR are removed (after
 *   formatting codes are interpreted); lone surrogates, U+FFFE and U+FFFF become
 *   U+FFFD. C1 controls and DEL are legal XML and kept.
 */

/** A character XML 1.0 cannot carry that is not a C0 control: each becomes U+FFFD. */
const XML_UNREPRESENTABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g;
/** Any surrogate, U+FFFE or U+FFFF: where `XML_UNREPRESENTABLE` can match at all. */
const MAY_BE_UNREPRESENTABLE = /[\uD800-\uDFFF\uFFFE\uFFFF]/;

/**
 * `text` with `XML_UNREPRESENTABLE` replaced; one test first, as most text holds no
 * surrogate at all (a global replace that finds nothing cost 2.5x the test, per IRC line).
 */
function replaceUnrepresentable(text: string): string {
  return MAY_BE_UNREPRESENTABLE.test(text) ? text.replace(XML_UNREPRESENTABLE, '\uFFFD') : text;
}
/** C0 controls forbidden by XML 1.0 (all but tab, LF, CR): removed. */
const XML_FORBIDDEN_C0 = /[\x00-\x08\x0B\x0C\x0E-\x1F]/g;

/** Returns `text` with every character XML 1.0 forbids removed (C0) or replaced by U+FFFD. */
export function sanitizeForXml(text: string): string {
  return text.replace(XML_FORBIDDEN_C0, '').replace(XML_UNREPRESENTABLE, '\uFFFD');
}

const BOLD = 0x02;
const COLOR = 0x03;
const HEX_COLOR = 0x04;
const RESET = 0x0f;
const MONOSPACE = 0x11;
const REVERSE = 0x16;
const ITALIC = 0x1d;
const STRIKETHROUGH = 0x1e;
const UNDERLINE = 0x1f;

/** The styles XEP-0393 can express, as bits, in the order they nest (outermost first). */
const STYLE_BOLD = 1;
const STYLE_ITALIC = 2;
const STYLE_STRIKE = 4;
const STYLE_MONO = 8;
const TOGGLES: ReadonlyMap<number, number> = new Map([
  [BOLD, STYLE_BOLD],
  [ITALIC, STYLE_ITALIC],
  [STRIKETHROUGH, STYLE_STRIKE],
  [MONOSPACE, STYLE_MONO],
]);
const DIRECTIVES: ReadonlyArray<{ readonly style: number; readonly directive: string }> = [
  { style: STYLE_BOLD, directive: '*' },
  { style: STYLE_ITALIC, directive: '_' },
  { style: STYLE_STRIKE, directive: '~' },
  { style: STYLE_MONO, directive: '`' },
];

/** Plain text (already XML-safe) and, per UTF-16 code unit of it, the style bits in force. */
interface StyledText {
  readonly plain: string;
  readonly styles: readonly number[];
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 0x30 && code <= 0x39;
}

const HEX6 = /^[0-9A-Fa-f]{6}/;

/** Length of the arguments of a \x03 colour code starting at `i` (just after \x03). */
function colorArgsLength(text: string, i: number): number {
  let n = 0;
  while (n < 2 && isDigit(text.charCodeAt(i + n))) n++;
  if (n > 0 && text[i + n] === ',' && isDigit(text.charCodeAt(i + n + 1))) {
    n += isDigit(text.charCodeAt(i + n + 2)) ? 3 : 2;
  }
  return n;
}

/** Length of the arguments of a \x04 hex colour code starting at `i` (just after \x04). */
function hexColorArgsLength(text: string, i: number): number {
  if (!HEX6.test(text.slice(i, i + 6))) return 0;
  return text[i + 6] === ',' && HEX6.test(text.slice(i + 7, i + 13)) ? 13 : 6;
}

/** Any C0 control: every formatting code is one, so text without them has no codes. */
const ANY_C0 = /[\x00-\x1F]/;

/** Interprets formatting codes once; both public conversions start from this. */
function parseIrcFormatting(text: string): StyledText {
  let plain = '';
  const styles: number[] = [];
  let current = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const toggle = TOGGLES.get(code);
    if (toggle !== undefined) current ^= toggle;
    else if (code === RESET) current = 0;
    else if (code === COLOR) i += colorArgsLength(text, i + 1);
    else if (code === HEX_COLOR) i += hexColorArgsLength(text, i + 1);
    else if (code === REVERSE || code === UNDERLINE) continue;
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) continue;
    else {
      plain += text[i];
      // A span never crosses a line (XEP-0393 §6.2: "*not \n strong*").
      styles.push(code === 0x0a || code === 0x0d ? 0 : current);
    }
  }
  // Each replaced unit is one code unit, so `styles` stays aligned with `plain`.
  return { plain: plain.replace(XML_UNREPRESENTABLE, '\uFFFD'), styles };
}

/** IRC text without any formatting code, safe for an XML body. */
export function stripIrcFormatting(text: string): string {
  if (!ANY_C0.test(text)) return replaceUnrepresentable(text);
  return parseIrcFormatting(text).plain;
}

interface Span {
  readonly style: number;
  readonly start: number;
  readonly end: number;
}

const WHITESPACE = /\s/u;

function isSpace(plain: string, i: number): boolean {
  return WHITESPACE.test(plain[i] ?? '');
}

/** Narrows [start, end) to exclude whitespace at either end; null when nothing is left. */
function trimSpan(plain: string, span: Span): Span | null {
  let { start, end } = span;
  while (start < end && isSpace(plain, start)) start++;
  while (end > start && isSpace(plain, end - 1)) end--;
  return start < end ? { style: span.style, start, end } : null;
}

/** Maximal runs of `style` in the styled text. */
function runsOf(styled: StyledText, style: number): Span[] {
  const runs: Span[] = [];
  let start = -1;
  for (let i = 0; i <= styled.styles.length; i++) {
    const on = ((styled.styles[i] ?? 0) & style) !== 0;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      runs.push({ style, start, end: i });
      start = -1;
    }
  }
  return runs;
}

function sameRange(a: Span, b: Span): boolean {
  return a.start === b.start && a.end === b.end;
}

/** True when `inner` is nested in `outer` (equal ranges nest by style order). */
function nestsIn(inner: Span, outer: Span): boolean {
  if (sameRange(inner, outer)) return outer.style < inner.style;
  return outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * A literal `…` around the span could be a preformatted span of the text's own,
 * which would show our directives as characters (§6.2.5): such spans are dropped.
 */
function betweenLiteralBackticks(plain: string, span: Span): boolean {
  const lineStart = plain.lastIndexOf('\n', span.start) + 1;
  const lineEnd = plain.indexOf('\n', span.end);
  const after = plain.slice(span.end, lineEnd < 0 ? plain.length : lineEnd);
  return plain.slice(lineStart, span.start).includes('`') && after.includes('`');
}

/**
 * Chooses spans that nest properly: monospace first, then bold, italic,
 * strikethrough; a span crossing an accepted one is cut at that one's edge and
 * each piece tried again; a span inside a monospace span is dropped.
 */
function nestedSpans(styled: StyledText): Span[] {
  const { plain } = styled;
  const accepted: Span[] = [];
  const order = [STYLE_MONO, STYLE_BOLD, STYLE_ITALIC, STYLE_STRIKE];
  for (const style of order) {
    const directive = DIRECTIVES.find((d) => d.style === style)?.directive ?? '';
    if (plain.includes(directive)) continue;
    const queue = runsOf(styled, style);
    for (let candidate = queue.pop(); candidate !== undefined; candidate = queue.pop()) {
      const span = trimSpan(plain, candidate);
      if (span === null) continue;
      const crossing = accepted.find(
        (a) =>
          (a.start < span.start && span.start < a.end && a.end < span.end) ||
          (span.start < a.start && a.start < span.end && span.end < a.end),
      );
      if (crossing !== undefined) {
        const cut = crossing.start < span.start ? crossing.end : crossing.start;
        queue.push({ style, start: span.start, end: cut }, { style, start: cut, end: span.end });
        continue;
      }
      const inMono = accepted.some((a) => a.style === STYLE_MONO && nestsIn(span, a));
      if (!inMono && !betweenLiteralBackticks(plain, span)) accepted.push(span);
    }
  }
  return dropMisplacedOpenings(plain, accepted);
}

/**
 * XEP-0393 §6.2: an opening directive must start the line or follow whitespace
 * or another opening directive. Dropping one span can strand another that
 * opened right after it, so this repeats until nothing changes.
 */
function dropMisplacedOpenings(plain: string, spans: Span[]): Span[] {
  let kept = spans;
  for (;;) {
    const valid = kept.filter(
      (s) =>
        s.start === 0 ||
        isSpace(plain, s.start - 1) ||
        kept.some((o) => o !== s && o.start === s.start && nestsIn(s, o)),
    );
    if (valid.length === kept.length) return kept;
    kept = valid;
  }
}

/** Orders spans so that an enclosing span comes before the spans it holds. */
function compareOpening(a: Span, b: Span): number {
  return a.start - b.start || b.end - a.end || a.style - b.style;
}

function directiveOf(style: number): string {
  return DIRECTIVES.find((d) => d.style === style)?.directive ?? '';
}

/**
 * IRC text → XMPP body with XEP-0393 styling where it can be expressed
 * validly; colours, underline and reverse dropped; result safe for XML.
 *
 *     ircToXep0393('\x02bold\x02 and \x1Ditalic\x1D') === '*bold* and _italic_'
 *     ircToXep0393('\x02bold \x02word')               === '*bold* word'
 *     ircToXep0393('a\x02b\x02c')                     === 'abc' (mid-word: not a span)
 */
export function ircToXep0393(text: string): string {
  // Most lines carry no code at all: then there is no span, and the text is the plain text.
  if (!ANY_C0.test(text)) return replaceUnrepresentable(text);
  const styled = parseIrcFormatting(text);
  const { plain } = styled;
  // A line starting with ``` opens a preformatted block (§6.1.2) in which our
  // spans would show as literal characters.
  if (/^```/m.test(plain)) return plain;
  const spans = nestedSpans(styled).sort(compareOpening);
  let out = '';
  const open: Span[] = [];
  let next = 0;
  for (let i = 0; i <= plain.length; i++) {
    while (open.length > 0 && open[open.length - 1]?.end === i) {
      out += directiveOf(open.pop()?.style ?? 0);
    }
    for (let s = spans[next]; s !== undefined && s.start === i; s = spans[++next]) {
      out += directiveOf(s.style);
      open.push(s);
    }
    out += plain[i] ?? '';
  }
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * WHATWG index-windows-1252 for bytes 0x80–0x9F (the rest is Latin-1). Node
 * 20.18.3+ decodes windows-1252 (and its aliases latin1, ascii, iso-8859-1) as
 * plain Latin-1, giving C1 controls instead (nodejs/node#56542, #60888), so
 * those are mapped here; on a fixed Node this finds nothing to map.
 */
const WINDOWS_1252_C1 =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/**
 * Decodes bytes from IRC: strict UTF-8 when the bytes are valid UTF-8, else the
 * `fallbackEncoding` (a WHATWG Encoding label such as 'windows-1252', 'latin1',
 * 'iso-8859-15', 'koi8-r'), which never fails on any byte. Throws RangeError when
 * the label is unknown. The result is not yet XML-safe: pass it to
 * `ircToXep0393`, `stripIrcFormatting` or `sanitizeForXml`.
 */
export function decodeIrcBytes(buf: Uint8Array, fallbackEncoding: string): string {
  const fallback = new TextDecoder(fallbackEncoding);
  try {
    return STRICT_UTF8.decode(buf);
  } catch {
    const text = fallback.decode(buf);
    if (fallback.encoding !== 'windows-1252') return text;
    return text.replace(/[\u0080-\u009F]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] ?? c);
  }
}
