/**
 * `serializeElement` writes what ltx's `toString` writes, byte for byte: the link
 * serialises every stanza with it (issue 11 §2), so any difference would change the wire.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { element, serializeElement } from '../../../src/core/stanza.js';

const cases: Array<[string, () => Element]> = [
  ['an empty element', () => xml('presence')],
  ['attributes in insertion order, undefined skipped', () => xml('presence', { to: 'a@b/c', from: undefined, type: 'unavailable' })],
  ['all five escapes in an attribute', () => xml('message', { id: `a"b&c'd<e>f` })],
  ['text escapes &, < and > only', () => xml('message', {}, xml('body', {}, `x & y <z> "q" 'a'`))],
  ['a number attribute', () => xml('x', { seconds: 30 })],
  [
    'nested children, null children skipped, namespaces kept',
    () =>
      xml(
        'presence',
        { from: '#c%n@gw/nick', to: 'u@d/r' },
        xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('item', { affiliation: 'none', role: 'participant' }), null, xml('status', { code: '110' })),
      ),
  ],
  ['mixed text and elements', () => xml('body', {}, 'a', xml('b'), 'c&d')],
  ['non-BMP text and XML-illegal characters left for xmlSafe', () => xml('body', {}, '😀 \x01 \uFFFE')],
  [
    'a tree built with c()/t()/up()',
    () => xml('iq', { type: 'result', id: '1' }).c('query', { xmlns: 'jabber:iq:version' }).c('name').t('Jabirc').up().c('version').t('0.1 <dev>').root(),
  ],
];

describe('serializeElement', () => {
  it.each(cases)('matches ltx toString: %s', (_what, build) => {
    const el = build();
    expect(serializeElement(el)).toBe(el.toString());
  });

  it('matches ltx on every message the core builds for a channel line (the hot path)', () => {
    const el = xml(
      'message',
      { from: '#fan%127.0.0.1@gw.localhost/bot0', to: 'user1@localhost/bench', type: 'groupchat', id: 'abc' },
      xml('body', {}, 'BENCH 1 2 padding'),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: 'x', by: '#fan%127.0.0.1@gw.localhost' }),
    );
    expect(serializeElement(el)).toBe(el.toString());
  });
});

describe('element', () => {
  it('builds what xml() builds: same serialisation, attributes, children and parents', () => {
    const fast = element('message', { from: 'r@gw/n', to: 'u@d/r', type: 'groupchat', id: '1' }, [
      element('body', {}, ['a < b']),
      element('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: 'x', by: 'r@gw' }),
    ]);
    const slow = xml(
      'message',
      { from: 'r@gw/n', to: 'u@d/r', type: 'groupchat', id: '1' },
      xml('body', {}, 'a < b'),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: 'x', by: 'r@gw' }),
    );
    expect(fast.toString()).toBe(slow.toString());
    expect(fast.attrs).toEqual(slow.attrs);
    expect(fast.getChildText('body')).toBe('a < b');
    expect(fast.getChild('stanza-id', 'urn:xmpp:sid:0')?.parent).toBe(fast);
    expect(fast.getChildElements().map((c) => c.name)).toEqual(['body', 'stanza-id']);
  });
});
