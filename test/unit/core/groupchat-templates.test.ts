/**
 * `GroupchatTemplates` gives each copy of a channel line the text its own element would
 * serialise to: the wire must not change because the text is shared (issue 11 §2).
 */
import xml from '@xmpp/xml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupchatTemplates, groupchatMessage, type GroupchatInput } from '../../../src/core/muc-stanzas.js';
import { serializeElement, wireText } from '../../../src/core/stanza.js';
import { xmlSafe } from '../../../src/core/xml-safe.js';

/** Markup, the slot characters, and what XML 1.0 cannot carry (xml-safe.ts): controls, lone surrogates, U+FFFE. */
const text = fc.string({
  unit: fc.constantFrom('a', 'é', '&', '<', '>', '"', "'", ' ', '/', '%', '#', '\u0000', 't', 'i', 'b', 's', '😀', '\u0001', '\uD800', '\uDC00', '\uFFFE'),
  maxLength: 24,
});

/** A copy's inputs, each value drawn from `value`. */
const inputOf = (value: fc.Arbitrary<string>) =>
  fc.record({
    from: value,
    to: value,
    id: value,
    body: value,
    stanzaId: value,
    roomJid: value,
    occupantId: fc.option(value, { nil: undefined }),
    delay: fc.option(value, { nil: undefined }),
  });

describe('GroupchatTemplates', () => {
  it.each([
    ['a channel line', 'message'],
    ['a reflection', 'ownMessage'],
    ['a reflection whose caller keeps the template it used last', 'ownMessageMemo'],
  ] as const)('writes each copy of %s as its element serialises, and to the wire what xmlSafe makes of it, however copies interleave', (_what, method) => {
    fc.assert(
      fc.property(fc.array(inputOf(text), { minLength: 1, maxLength: 12 }), text, text, (inputs, other, otherBody) => {
        const templates = new GroupchatTemplates();
        const memo = {};
        const build = (m: GroupchatInput) =>
          method === 'ownMessageMemo' ? templates.ownMessage(m, memo) : templates[method](m);
        // Each input again with other recipients and ids (the shared path), twice with its
        // stanza-id as its id (the live path), once with another body (a reflection's next message).
        const all: GroupchatInput[] = inputs.flatMap((m) => [
          m,
          { ...m, to: `${m.to}2`, id: `${m.id}&`, stanzaId: `x${m.stanzaId}` },
          { ...m, to: other, id: m.stanzaId },
          { ...m, to: `${other}3`, id: m.stanzaId },
          { ...m, body: otherBody },
        ]);
        for (const m of all) {
          const plain = serializeElement(groupchatMessage(m));
          const copy = build(m);
          expect(serializeElement(copy)).toBe(plain);
          // The tree the core's readers see (built when first read) is the element's too.
          expect(copy.toString()).toBe(plain);
          expect(copy.getChildText('body')).toBe(m.body);
          // An element as ltx's constructor makes one (the copies are made without it).
          expect(copy).toBeInstanceOf(xml.Element);
          expect({ name: copy.name, parent: copy.parent, attrs: copy.attrs }).toEqual({ name: 'message', parent: null, attrs: groupchatMessage(m).attrs });
          // Unscanned by the link only when nothing in it needed xmlSafe.
          expect(wireText(copy)).toBe(xmlSafe(plain));
        }
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });

  it('keeps the variants of one body apart: another sender, room, occupant id or delay', () => {
    const templates = new GroupchatTemplates();
    const m = { from: '#c%n@gw/bob', to: 'a@x/r', id: 'l1', body: 'same', stanzaId: 'l1', roomJid: '#c%n@gw' };
    const variants: GroupchatInput[] = [m, { ...m, from: '#c%n@gw/eve' }, { ...m, roomJid: '#C%n@gw' }, { ...m, occupantId: 'o' }, { ...m, delay: '2026-12-01T00:00:00Z' }];
    for (let round = 0; round < 2; round++) {
      for (const v of variants) {
        expect(serializeElement(templates.message(v))).toBe(serializeElement(groupchatMessage(v)));
        expect(serializeElement(templates.ownMessage({ ...v, body: `${round}` }))).toBe(serializeElement(groupchatMessage({ ...v, body: `${round}` })));
      }
    }
  });

  it('shares the text of copies that differ only in the recipient and the ids', () => {
    const templates = new GroupchatTemplates();
    const m = { from: '#c%n@gw/bob', to: 'a@x/r', id: 'l1', body: 'hi <there> & "you"', stanzaId: 'l1', roomJid: '#c%n@gw', occupantId: 'o1' };
    const first = serializeElement(templates.message(m));
    const second = serializeElement(templates.message({ ...m, to: 'b@x/r', id: 'l2', stanzaId: 'l2' }));
    expect(first).toBe(serializeElement(groupchatMessage(m)));
    expect(second).toBe(first.replace('to="a@x/r"', 'to="b@x/r"').replaceAll('"l1"', '"l2"'));
  });
});
