/**
 * A strict checker of XML 1.0 (Fifth Edition) well-formedness for one serialised
 * element, as the XMPP server's parser would read it inside the stream.
 *
 * Why our own: ltx's parser accepts raw control characters and does not check
 * names, so it cannot be the oracle of the fuzz properties; expat is not at hand
 * in the unit tier. This covers what an element can contain: §2.2 Char
 * everywhere; §2.3 Name/NameStartChar for element and attribute names; §3.1
 * start tags, end tags and empty-element tags, with the WFC "Element Type Match"
 * and "Unique Att Spec"; §3.3.3 attribute values without `<` and with valid
 * references; §2.4 character data without `]]>`; §4.1 references, with the WFCs
 * "Legal Character" (char refs) and "Entity Declared" (only the five predefined
 * entities, there being no DTD). Comments, PIs, CDATA and DOCTYPE are refused:
 * ltx never writes them and a stanza may not carry them (RFC 6120 §11.1).
 */

/** XML 1.0 §2.2 Char, over a whole string (the `u` flag makes a surrogate pair one code point). */
const CHARS_ONLY = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const NAME_START = ':A-Z_a-z\\xC0-\\xD6\\xD8-\\xF6\\xF8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\xB7\\u0300-\\u036F\\u203F-\\u2040`;
/** §2.3 Name, anchored at the current position (sticky). */
const NAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
const SPACE = /[\x20\t\r\n]+/y;
const PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

function legalCodePoint(n: number): boolean {
  return n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
}

class NotWellFormed extends Error {}

/** Returns undefined when `xml` is one well-formed element, else why not (with the offset). */
export function xmlProblem(xml: string): string | undefined {
  if (!CHARS_ONLY.test(xml)) {
    const bad = [...xml].findIndex((c) => !CHARS_ONLY.test(c));
    return `§2.2: character U+${(xml.codePointAt(bad) ?? 0).toString(16).toUpperCase().padStart(4, '0')} is not an XML Char`;
  }
  let pos = 0;
  const fail = (why: string): never => {
    throw new NotWellFormed(`${why} at offset ${pos}: ${JSON.stringify(xml.slice(Math.max(0, pos - 20), pos + 20))}`);
  };
  const name = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(xml);
    if (!m) fail('§2.3: a Name was expected');
    pos += m![0].length;
    return m![0];
  };
  const space = (): boolean => {
    SPACE.lastIndex = pos;
    const m = SPACE.exec(xml);
    if (m) pos += m[0].length;
    return m !== null;
  };
  /** §4.1: `&` at `pos`. */
  const reference = (): void => {
    const end = xml.indexOf(';', pos);
    if (end < 0) fail('§4.1: unterminated reference');
    const body = xml.slice(pos + 1, end);
    if (body.startsWith('#x')) {
      if (!/^#x[0-9A-Fa-f]+$/.test(body) || !legalCodePoint(parseInt(body.slice(2), 16))) fail('§4.1 WFC Legal Character');
    } else if (body.startsWith('#')) {
      if (!/^#[0-9]+$/.test(body) || !legalCodePoint(parseInt(body.slice(1), 10))) fail('§4.1 WFC Legal Character');
    } else if (!PREDEFINED.has(body)) {
      fail('§4.1 WFC Entity Declared');
    }
    pos = end + 1;
  };
  const attributeValue = (): void => {
    const quote = xml[pos];
    if (quote !== '"' && quote !== "'") fail('§3.1: a quoted attribute value was expected');
    pos++;
    for (;;) {
      const c = xml[pos];
      if (c === undefined) fail('§3.1: unterminated attribute value');
      if (c === quote) {
        pos++;
        return;
      }
      if (c === '<') fail('§3.1 WFC No < in Attribute Values');
      if (c === '&') reference();
      else pos++;
    }
  };
  /** §3.1 element at `pos` (which is `<`), content and end tag included. */
  const element = (): void => {
    pos++;
    const tag = name();
    const seen = new Set<string>();
    for (;;) {
      const hadSpace = space();
      if (xml.startsWith('/>', pos)) {
        pos += 2;
        return;
      }
      if (xml[pos] === '>') {
        pos++;
        break;
      }
      if (!hadSpace) fail('§3.1: white space must separate attributes');
      const attr = name();
      if (seen.has(attr)) fail(`§3.1 WFC Unique Att Spec (${attr})`);
      seen.add(attr);
      space();
      if (xml[pos] !== '=') fail('§3.1: = was expected');
      pos++;
      space();
      attributeValue();
    }
    // content (§3.1) until the matching end tag
    for (;;) {
      const c = xml[pos];
      if (c === undefined) fail(`§3.1: <${tag}> is never closed`);
      if (c === '<') {
        if (xml[pos + 1] === '/') {
          pos += 2;
          const end = name();
          if (end !== tag) fail(`§3.1 WFC Element Type Match (</${end}> for <${tag}>)`);
          space();
          if (xml[pos] !== '>') fail('§3.1: > was expected');
          pos++;
          return;
        }
        if (xml[pos + 1] === '!' || xml[pos + 1] === '?') fail('comments, PIs, CDATA and DOCTYPE are not expected in a stanza');
        element();
      } else if (c === '&') {
        reference();
      } else {
        if (xml.startsWith(']]>', pos)) fail('§2.4: ]]> in character data');
        pos++;
      }
    }
  };
  try {
    if (xml[0] !== '<') fail('an element was expected');
    element();
    if (pos !== xml.length) fail('§2.1: content after the root element');
    return undefined;
  } catch (err) {
    if (err instanceof NotWellFormed) return err.message;
    throw err;
  }
}
