/**
 * `chatMessage` gives a plain private message its text up front (context.ts): what the
 * link writes must be what the element itself serialises to, through `xmlSafe`, for any
 * inputs (issue 11 §2).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { chatMessage } from '../../../src/core/bridge/context.js';
import { serializeElement, wireText } from '../../../src/core/stanza.js';
import { xmlSafe } from '../../../src/core/xml-safe.js';

/** Markup, quotes, and what XML 1.0 cannot carry (xml-safe.ts): controls, lone surrogates, U+FFFE. */
const text = fc.string({
  unit: fc.constantFrom('a', 'é', '&', '<', '>', '"', "'", ' ', '%', '@', '/', '\u0000', '😀', '\u0001', '\uD800', '\uDC00', '\uFFFE'),
  maxLength: 16,
});

describe('chatMessage', () => {
  it('writes to the wire what xmlSafe makes of ltx\'s serialisation of the same message, whatever the inputs', () => {
    fc.assert(
      fc.property(text, text, text, text, (from, to, id, body) => {
        const msg = chatMessage(from, to, id, body);
        const ltx = xml('message', { from, to, type: 'chat', id }, xml('body', {}, body === '' ? null : body)).toString();
        expect(serializeElement(msg)).toBe(ltx);
        expect(msg.toString()).toBe(ltx);
        expect(wireText(msg)).toBe(xmlSafe(ltx));
        expect(msg.getChildText('body')).toBe(body);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves a message without a sender to serialisation, so the sender the link fills in is what goes out', () => {
    const msg = chatMessage('', 'user@example.org', 'id-2', 'hi');
    msg.attrs.from = 'gw.example';
    expect(wireText(msg)).toBe('<message from="gw.example" to="user@example.org" type="chat" id="id-2"><body>hi</body></message>');
  });

  it('writes a plain message as ltx does', () => {
    const msg = chatMessage('nick%irc.example@gw.example', 'user@example.org', 'id-1', "it's 5 \"o'clock\"");
    expect(wireText(msg)).toBe(
      '<message from="nick%irc.example@gw.example" to="user@example.org" type="chat" id="id-1"><body>it\'s 5 "o\'clock"</body></message>',
    );
    expect(wireText(chatMessage('a@b', 'c@d', 'i', ''))).toBe('<message from="a@b" to="c@d" type="chat" id="i"><body/></message>');
  });
});
