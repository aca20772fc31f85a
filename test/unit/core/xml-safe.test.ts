import { describe, expect, it } from 'vitest';
import { hasXmlIllegalChar, xmlSafe } from '../../../src/core/xml-safe.js';

describe('xmlSafe (XML 1.0 §2.2 Char)', () => {
  it.each([
    ['<a b="ok\t\n\r">text</a>', '<a b="ok\t\n\r">text</a>'],
    ['<a>\x00\x01\x08\x0B\x0C\x0E\x1F</a>', '<a>\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD</a>'],
    ['<a id="\uFFFE\uFFFF"/>', '<a id="\uFFFD\uFFFD"/>'],
    ['<a>lone \uD800 high, lone \uDC00 low, reversed \uDC00\uD800</a>', '<a>lone \uFFFD high, lone \uFFFD low, reversed \uFFFD\uFFFD</a>'],
    ['<a>pair 😀 \u{10FFFF} \u{1FFFE}</a>', '<a>pair 😀 \u{10FFFF} \u{1FFFE}</a>'],
    ['<a>c1 \x85 del \x7F bom \uFEFF fffd \uFFFD</a>', '<a>c1 \x85 del \x7F bom \uFEFF fffd \uFFFD</a>'],
  ])('%j → %j', (input, safe) => {
    expect(xmlSafe(input)).toBe(safe);
    expect(hasXmlIllegalChar(xmlSafe(input))).toBe(false);
    expect(xmlSafe(input).length).toBe(input.length);
  });

  it('returns the very same string when nothing is illegal (no copy on the hot path)', () => {
    const s = `<message to="a@b">${'x'.repeat(1000)}</message>`;
    expect(xmlSafe(s)).toBe(s);
    expect(hasXmlIllegalChar(s)).toBe(false);
  });
});
