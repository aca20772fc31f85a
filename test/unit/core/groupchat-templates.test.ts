/**
 * `GroupchatTemplates` gives each copy of a channel line the text its own element would
 * serialise to: the wire must not change because the text is shared (issue 11 §2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupchatTemplates, groupchatMessage, type GroupchatInput } from '../../../src/core/muc-stanzas.js';
import { serializeElement } from '../../../src/core/stanza.js';

const text = fc.string({ unit: fc.constantFrom('a', 'é', '&', '<', '>', '"', "'", ' ', '/', '%', '#', '\u0000', 't', 'i', 's', '😀'), maxLength: 24 });

describe('GroupchatTemplates', () => {
  it('writes each copy as its element serialises, whatever the text and however copies interleave', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            from: text,
            to: text,
            id: text,
            body: text,
            stanzaId: text,
            roomJid: text,
            occupantId: fc.option(text, { nil: undefined }),
            delay: fc.option(text, { nil: undefined }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (inputs) => {
          const templates = new GroupchatTemplates();
          // Each input twice, the second with another recipient and ids: the shared path.
          const all: GroupchatInput[] = inputs.flatMap((m) => [m, { ...m, to: `${m.to}2`, id: `${m.id}&`, stanzaId: `x${m.stanzaId}` }]);
          for (const m of all) {
            const plain = serializeElement(groupchatMessage(m));
            expect(serializeElement(templates.message(m))).toBe(plain);
          }
        },
      ),
      { seed: 20261201, numRuns: 300 },
    );
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
