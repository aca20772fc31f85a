/**
 * The last line of defence between Jabirc and the XMPP server's XML parser: a
 * serialised stanza never carries a character XML 1.0 cannot represent.
 *
 * Why: ltx escapes only `"&'<>`, so a C0 control, U+FFFE/U+FFFF or a lone
 * surrogate that reaches any text or attribute value (a channel name from IRC
 * LIST in a disco#items `<item/>`, a nick as an occupant resource, an IRC
 * `msgid` as a stanza id, an ERROR line's text…) goes out raw; expat (Prosody,
 * ejabberd) then finds the stream not well-formed (RFC 6120 §4.9.3.13) and
 * closes the component link for every user. Builders that know their input
 * comes from IRC still clean it (formatting.ts `sanitizeForXml`); this is the
 * one place every outgoing byte passes, so a path someone forgot cannot take
 * the gateway down.
 *
 * Rules kept:
 * - XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 *   [#x10000-#x10FFFF]. Every other UTF-16 unit (C0 controls but tab, LF, CR;
 *   a surrogate not in a pair; U+FFFE, U+FFFF) becomes U+FFFD. C1 controls
 *   and DEL are legal XML and kept.
 * - Replacing, not removing: a JID or id keeps its length and stays distinct
 *   from its neighbours, and U+FFFD is a legal NameChar, so the rewrite is
 *   correct on the whole serialised string, markup included.
 * - Cheap on the hot path: one test of one character class (with the `u` flag
 *   a surrogate pair is one code point, so only lone surrogates match); the
 *   string is rewritten only when it matches.
 */

/** One character XML 1.0 §2.2 does not allow (with `u`, paired surrogates are one code point and never match). */
const XML_ILLEGAL = /[\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/u;
const XML_ILLEGAL_ALL = /[\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

/** True when `s` holds a character XML 1.0 cannot carry. */
export function hasXmlIllegalChar(s: string): boolean {
  return XML_ILLEGAL.test(s);
}

/** `serialized` with every character XML 1.0 forbids replaced by U+FFFD; the same string when there is none. */
export function xmlSafe(serialized: string): string {
  return XML_ILLEGAL.test(serialized) ? serialized.replace(XML_ILLEGAL_ALL, '\uFFFD') : serialized;
}
