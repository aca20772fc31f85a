import { describe, expect, it } from 'vitest';
import { canEscapeLocalpart, escapeLocalpart, unescapeLocalpart } from '../../../src/core/xep0106.js';

describe('escapeLocalpart', () => {
  // XEP-0106 §5.1 examples 1–8 and 12; 9–11 follow §4.3 (a `\` before a
  // non-sequence is left alone), see the module header.
  it.each([
    ['space cadet', 'space\\20cadet'],
    ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
    ['at&t guy', 'at\\26t\\20guy'],
    ["d'artagnan", 'd\\27artagnan'],
    ['/.fanboy', '\\2f.fanboy'],
    ['::foo::', '\\3a\\3afoo\\3a\\3a'],
    ['<foo>', '\\3cfoo\\3e'],
    ['user@host', 'user\\40host'],
    ['c:\\net', 'c\\3a\\net'],
    ['c:\\\\net', 'c\\3a\\\\net'],
    ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
    ['c:\\5commas', 'c\\3a\\5c5commas'],
    ['\\27', '\\5c27'],
    ['\\5c', '\\5c5c'],
    ['\\3and\\2is\\5cool', '\\5c3and\\2is\\5c5cool'], // §4.2 Wireless Village example
    ['\\2F', '\\5c2F'], // Jabirc: protect upper-case look-alikes from server case folding
    ['nick\\', 'nick\\'],
    ['\\', '\\'],
    ['#100%', '#100%'],
    ['#café', '#café'],
    ['', ''],
  ])('%j → %j', (plain, escaped) => {
    expect(escapeLocalpart(plain)).toBe(escaped);
  });

  it.each([' lead', 'trail ', ' '])('refuses %j: \\20 may not begin or end a localpart (§4.1 rule 6)', (plain) => {
    expect(canEscapeLocalpart(plain)).toBe(false);
    expect(() => escapeLocalpart(plain)).toThrow(RangeError);
  });

  it('escapes an inner space', () => {
    expect(canEscapeLocalpart('a b')).toBe(true);
    expect(escapeLocalpart('a b')).toBe('a\\20b');
  });
});

describe('unescapeLocalpart', () => {
  it.each([
    ['space\\20cadet', 'space cadet'],
    ['call\\20me\\20\\22ishmael\\22', 'call me "ishmael"'],
    ['at\\26t\\20guy', 'at&t guy'],
    ['d\\27artagnan', "d'artagnan"],
    ['\\2f.fanboy', '/.fanboy'],
    ['\\3a\\3afoo\\3a\\3a', '::foo::'],
    ['\\3cfoo\\3e', '<foo>'],
    ['user\\40host', 'user@host'],
    ['c\\3a\\5cnet', 'c:\\net'], // §5.1 table form
    ['c\\3a\\net', 'c:\\net'], // §4.3 form
    ['c\\3a\\5c5commas', 'c:\\5commas'],
    ['\\5c5c', '\\5c'],
    ['\\5c27', '\\27'],
    // §4.3 exceptions: partial and unknown sequences stay as they are.
    ['\\2plus\\2is\\4', '\\2plus\\2is\\4'],
    ['foo\\bar', 'foo\\bar'],
    ['foob\\41r', 'foob\\41r'],
    ['#100\\25', '#100\\25'], // no \25 in XEP-0106, and Jabirc adds none
    ['\\2F', '\\2F'], // case is significant (§3.1)
    ['trailing\\', 'trailing\\'],
  ])('%j → %j', (escaped, plain) => {
    expect(unescapeLocalpart(escaped)).toBe(plain);
  });
});

describe('round trip', () => {
  const alphabet = [' ', '"', '&', "'", '/', ':', '<', '>', '@', '\\', '2', '0', '5', 'c', 'f', 'F', '%', 'x', 'é'];

  it('unescape(escape(s)) === s for every string over the tricky alphabet up to length 4', () => {
    const failures: string[] = [];
    const visit = (s: string): void => {
      if (canEscapeLocalpart(s) && unescapeLocalpart(escapeLocalpart(s)) !== s) failures.push(s);
      if (s.length < 4) for (const ch of alphabet) visit(s + ch);
    };
    visit('');
    expect(failures).toEqual([]);
  });

  it('escaped output contains none of the characters XEP-0106 forbids', () => {
    expect(escapeLocalpart('a "b" & \'c\' /d: <e> @f')).not.toMatch(/[ "&'/:<>@]/);
  });
});
