import { describe, expect, it } from 'vitest';
import { decodeIrcBytes, ircToXep0393, sanitizeForXml, stripIrcFormatting } from '../../../src/core/formatting.js';

/** XML 1.0 §2.2 Char, for checking outputs. */
const XML_CHAR = /^(?:[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

describe('stripIrcFormatting', () => {
  it.each([
    ['plain', 'plain'],
    ['\x02bold\x02 \x1Ditalic\x1D \x1Funder\x1F \x1Estrike\x1E \x11mono\x11 \x16rev\x16 x\x0F', 'bold italic under strike mono rev x'],
    ['\x034red', 'red'],
    ['\x0304red', 'red'],
    ['\x034,12red on blue', 'red on blue'],
    ['\x0304,1red', 'red'],
    ['\x03123', '3'],
    ['\x034,', ','],
    ['\x034,x', ',x'],
    ['\x03,12x', ',12x'],
    ['a\x03b', 'ab'],
    ['\x0399,99x', 'x'],
    ['\x04FF0000red', 'red'],
    ['\x04ff0000,00FF00red', 'red'],
    ['\x04FF00', 'FF00'],
    ['\x04FF0000,12x', ',12x'],
    ['\x04reset', 'reset'],
    ['bell\x07 and \x01ACTION\x01', 'bell and ACTION'],
    ['tab\tok', 'tab\tok'],
  ])('%j → %j', (irc, plain) => {
    expect(stripIrcFormatting(irc)).toBe(plain);
  });
});

describe('ircToXep0393', () => {
  it.each([
    // Spans XEP-0393 §6.2 can carry.
    ['\x02bold\x02', '*bold*'],
    ['\x1Ditalic\x1D', '_italic_'],
    ['\x1Estrike\x1E', '~strike~'],
    ['\x11mono\x11', '`mono`'],
    ['say \x02this\x02 now', 'say *this* now'],
    ['\x02two words\x02', '*two words*'],
    ['\x02unclosed', '*unclosed*'],
    ['\x02a\x0Fb', '*a*b'],
    // Whitespace moves outside the directives.
    ['\x02bold \x02word', '*bold* word'],
    ['x\x02 bold\x02', 'x *bold*'],
    ['\x02   \x02x', '   x'],
    // Nesting, outer first; monospace is innermost.
    ['\x02\x1Dboth\x1D\x02', '*_both_*'],
    ['\x02\x11code\x11\x02', '*`code`*'],
    ['\x11\x02code\x02\x11', '*`code`*'],
    ['\x02bold \x1Dand italic\x1D\x02', '*bold _and italic_*'],
    ['\x02a \x1Db\x02 c\x1D', '*a _b_* _c_'],
    ['\x11a \x02b\x02\x11', '`a b`'],
    // Not valid as a span: styling dropped, text kept.
    ['a\x02b\x02c', 'abc'],
    ['\x02a\x1Db\x02c\x1D', '*ab*c'],
    ['2\x02*\x023', '2*3'],
    ['\x02a*b\x02', 'a*b'],
    ['*lit* \x02b\x02', '*lit* b'],
    ['`x` \x02b\x02 `y`', '`x` b `y`'],
    ['`x` \x02b\x02', '`x` *b*'],
    ['```\x02b\x02', '```b'],
    // Dropped outright.
    ['\x0304red\x03 \x1Funder\x1F \x16rev\x16', 'red under rev'],
    ['\x02\x02', ''],
    ['nul\x00 and bell\x07', 'nul and bell'],
    ['\x02a\x01b\x02', '*ab*'],
  ])('%j → %j', (irc, xmpp) => {
    expect(ircToXep0393(irc)).toBe(xmpp);
  });

  it('keeps the text: removing directive characters gives stripIrcFormatting', () => {
    const codes = ['\x02', '\x1D', '\x1E', '\x11', '\x0F', '\x034,5', '\x1F', ' ', 'a', 'b', 'é', '😀', '\x07'];
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let n = 0; n < 300; n++) {
      const irc = Array.from({ length: Math.floor(next() * 30) }, () => codes[Math.floor(next() * codes.length)]).join('');
      const out = ircToXep0393(irc);
      expect(out.replace(/[*_~`]/g, '')).toBe(stripIrcFormatting(irc));
      expect(out).toMatch(XML_CHAR);
      // Directives never border whitespace on the inside (§6.2).
      expect(out).not.toMatch(/(?:^|\s)[*_~`]+\s/);
    }
  });
});

describe('sanitizeForXml', () => {
  it.each([
    ['ok\ttab\nlf\rcr', 'ok\ttab\nlf\rcr'],
    ['a\x00b\x01c\x1Fd\x0Be\x0Cf', 'abcdef'],
    ['del\x7F c1\x85', 'del\x7F c1\x85'],
    ['\uFFFE\uFFFF', '\uFFFD\uFFFD'],
    ['lone \uD800 high', 'lone \uFFFD high'],
    ['lone \uDC00 low', 'lone \uFFFD low'],
    ['\uDC00\uD800', '\uFFFD\uFFFD'],
    ['pair 😀', 'pair 😀'],
  ])('%j → %j', (text, safe) => {
    expect(sanitizeForXml(text)).toBe(safe);
    expect(sanitizeForXml(text)).toMatch(XML_CHAR);
  });

  it('makes every output of the IRC → XMPP functions valid XML character data', () => {
    const broken = 'x\x00\x01\x03\x04\x08\uD83D\uFFFF\x1B[31m';
    for (const out of [sanitizeForXml(broken), stripIrcFormatting(broken), ircToXep0393(broken)]) {
      expect(out).toMatch(XML_CHAR);
    }
  });
});

describe('decodeIrcBytes', () => {
  it('decodes valid UTF-8 as UTF-8', () => {
    expect(decodeIrcBytes(new TextEncoder().encode('zoé 😀'), 'windows-1252')).toBe('zoé 😀');
  });

  it('falls back when the bytes are not UTF-8', () => {
    expect(decodeIrcBytes(Uint8Array.of(0x7a, 0x6f, 0xe9), 'windows-1252')).toBe('zoé');
    expect(decodeIrcBytes(Uint8Array.of(0x80), 'windows-1252')).toBe('€');
    expect(decodeIrcBytes(Uint8Array.of(0x80), 'latin1')).toBe('€'); // WHATWG maps latin1 to windows-1252
    expect(decodeIrcBytes(Uint8Array.of(0xa4), 'iso-8859-15')).toBe('€');
    expect(decodeIrcBytes(Uint8Array.of(0xc1), 'koi8-r')).toBe('а');
  });

  it('treats a truncated UTF-8 sequence as not UTF-8', () => {
    expect(decodeIrcBytes(Uint8Array.of(0x61, 0xf0, 0x9f, 0x98), 'windows-1252')).toBe('aðŸ˜');
  });

  it('refuses an unknown fallback label', () => {
    expect(() => decodeIrcBytes(Uint8Array.of(0x61), 'no-such-encoding')).toThrow(RangeError);
  });
});
