/**
 * GatewayCore.onStanza as the XMPP server sees it: stanzas in, stanzas out.
 * Only the public behaviour is asserted — the replies in the `send-stanza`
 * effects — so the core's internals may change freely.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/core/bridge/index.js';
import { GatewayCore } from '../../../src/core/gateway.js';
import { silentLog } from '../../../src/core/log-port.js';

const GW = 'irc.example.org';
const USER = 'alice@example.org/laptop';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_VERSION = 'jabber:iq:version';
const NS_PING = 'urn:xmpp:ping';

/**
 * Bridge options as src/main.ts passes them. A variable rather than an inline
 * literal, so options the bridge gains or drops while it grows do not break
 * this file's type check for the gateway tests.
 */
let ids = 0;
const bridgeOptions = {
  domain: GW,
  network: (name: string) => (name === 'irc.libera.chat' ? { host: 'irc.libera.chat', port: 6697, tls: true } : undefined),
  allowPrivateAddresses: false,
  maxConnectionsPerUser: 10,
  maxChannelsPerUser: 50,
  joinTimeoutMs: 30_000,
  reconnectBaseMs: 2_000,
  reconnectCapMs: 300_000,
  newId: () => `id-${++ids}`,
  random: () => 0.5,
  now: () => 1_700_000_000_000,
  log: silentLog,
};

/** Built the way src/main.ts builds it, with one listed network. */
function makeCore(): GatewayCore {
  return new GatewayCore({
    domain: GW,
    allowedDomains: ['example.org'],
    software: { name: 'Jabirc', version: '9.8.7' },
    log: silentLog,
    bridge: new Bridge(bridgeOptions),
  });
}

/** The stanzas the core asks to send for one input. */
function replies(stanza: Element, core = makeCore()): Element[] {
  return core.onStanza(stanza).flatMap((e) => (e.kind === 'send-stanza' ? [e.stanza] : []));
}

/** The one reply to `stanza`; fails unless there is exactly one. */
function reply(stanza: Element): Element {
  const out = replies(stanza);
  expect(out, `replies to ${stanza.toString()}`).toHaveLength(1);
  return out[0] as Element;
}

function iq(type: string, payload: Element | Element[] | null, attrs: Record<string, string> = {}): Element {
  const children = payload === null ? [] : Array.isArray(payload) ? payload : [payload];
  return xml('iq', { type, id: 'q1', from: USER, to: GW, ...attrs }, ...children);
}

/** The defined condition of an error reply (RFC 6120 §8.3.3), or undefined. */
function condition(el: Element): string | undefined {
  return el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

function expectError(el: Element, cond: string, errorType?: string): void {
  expect(el.attrs.type).toBe('error');
  expect(condition(el)).toBe(cond);
  if (errorType) expect(el.getChild('error')?.attrs.type).toBe(errorType);
}

describe('GatewayCore: the gateway entity', () => {
  it('answers disco#info with the gateway/irc identity and the features that work (XEP-0030 §3.1)', () => {
    const r = reply(iq('get', xml('query', { xmlns: NS_DISCO_INFO })));
    expect(r.attrs).toMatchObject({ type: 'result', id: 'q1', from: GW, to: USER });
    const query = r.getChild('query', NS_DISCO_INFO);
    expect(query).toBeDefined();
    const gateways = (query?.getChildren('identity') ?? []).filter((i) => i.attrs.category === 'gateway');
    expect(gateways).toHaveLength(1);
    expect(gateways[0]?.attrs.type).toBe('irc');
    expect(gateways[0]?.attrs.name).toMatch(/\S/);
    const features = (query?.getChildren('feature') ?? []).map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS_DISCO_INFO, NS_DISCO_ITEMS, NS_VERSION, NS_PING]));
    expect(new Set(features).size).toBe(features.length);
    // Nothing this core does not serve: no registration, commands or search yet.
    for (const absent of ['jabber:iq:register', 'http://jabber.org/protocol/commands', 'jabber:iq:search']) {
      expect(features).not.toContain(absent);
    }
  });

  it('answers disco#items (XEP-0030 §4.1)', () => {
    const r = reply(iq('get', xml('query', { xmlns: NS_DISCO_ITEMS })));
    expect(r.attrs).toMatchObject({ type: 'result', id: 'q1', from: GW, to: USER });
    expect(r.getChild('query', NS_DISCO_ITEMS)).toBeDefined();
  });

  it('answers software version with name and version and no <os/> (XEP-0092 §2)', () => {
    const r = reply(iq('get', xml('query', { xmlns: NS_VERSION })));
    expect(r.attrs.type).toBe('result');
    const query = r.getChild('query', NS_VERSION);
    expect(query?.getChildText('name')).toBe('Jabirc');
    expect(query?.getChildText('version')).toBe('9.8.7');
    expect(query?.getChild('os')).toBeUndefined();
  });

  it('answers a ping with an empty result (XEP-0199 §4.2)', () => {
    const r = reply(iq('get', xml('ping', { xmlns: NS_PING })));
    expect(r.attrs).toMatchObject({ type: 'result', id: 'q1', from: GW, to: USER });
    expect(r.getChildElements()).toHaveLength(0);
  });

  it.each([
    ['an unknown namespace', iq('get', xml('query', { xmlns: 'urn:example:nonexistent' })), 'service-unavailable', 'cancel'],
    ['an unknown namespace in a set', iq('set', xml('query', { xmlns: 'urn:example:nonexistent' })), 'service-unavailable', 'cancel'],
    ['disco#info on a node that does not exist', iq('get', xml('query', { xmlns: NS_DISCO_INFO, node: 'nope' })), 'item-not-found', 'cancel'],
    ['disco#items on a node that does not exist', iq('get', xml('query', { xmlns: NS_DISCO_ITEMS, node: 'nope' })), 'item-not-found', 'cancel'],
    ['disco#info set', iq('set', xml('query', { xmlns: NS_DISCO_INFO })), 'feature-not-implemented', 'cancel'],
    ['version set', iq('set', xml('query', { xmlns: NS_VERSION })), 'feature-not-implemented', 'cancel'],
    ['an iq get without payload (RFC 6120 §8.2.3)', iq('get', null), 'bad-request', 'modify'],
    [
      'an iq get with two payloads',
      iq('get', [xml('ping', { xmlns: NS_PING }), xml('query', { xmlns: NS_VERSION })]),
      'bad-request',
      'modify',
    ],
    ['an iq set without payload', iq('set', null), 'bad-request', 'modify'],
    ['an iq of an unknown type', iq('bogus', xml('ping', { xmlns: NS_PING })), 'bad-request', 'modify'],
  ])('refuses %s', (_what, stanza, cond, errorType) => {
    const r = reply(stanza);
    expectError(r, cond, errorType);
    expect(r.attrs).toMatchObject({ id: 'q1', from: GW, to: USER });
  });

  it('answers a message to the gateway with an error that keeps the body (RFC 6120 §8.3.1)', () => {
    const msg = xml('message', { type: 'chat', id: 'm1', from: USER, to: GW }, xml('body', {}, 'hello gateway'));
    const r = reply(msg);
    expect(r.name).toBe('message');
    expect(r.attrs).toMatchObject({ type: 'error', id: 'm1', from: GW, to: USER });
    expect(condition(r)).toBeDefined();
    expect(r.getChildText('body')).toBe('hello gateway');
  });
});

describe('GatewayCore: routing and access', () => {
  it('refuses users of a domain that is not allowed with forbidden', () => {
    const r = reply(iq('get', xml('ping', { xmlns: NS_PING }), { from: 'mallory@evil.example/x' }));
    expectError(r, 'forbidden', 'auth');
    expect(r.attrs.to).toBe('mallory@evil.example/x');
  });

  it('applies a new list of allowed domains to senders it has seen before (a reload)', () => {
    const core = makeCore();
    const ping = (from: string) => replies(iq('get', xml('ping', { xmlns: NS_PING }), { from }), core)[0]!;
    expect(ping(USER).attrs.type).toBe('result');
    expectError(ping('bob@other.example/x'), 'forbidden', 'auth');
    core.setAllowedDomains(['other.example']);
    expectError(ping(USER), 'forbidden', 'auth');
    expect(ping('bob@other.example/x').attrs.type).toBe('result');
    core.setAllowedDomains(['example.org']);
    expect(ping(USER).attrs.type).toBe('result');
  });

  it('compares the allowed domain without regard to case', () => {
    const r = reply(iq('get', xml('ping', { xmlns: NS_PING }), { from: 'alice@Example.ORG/x' }));
    expect(r.attrs.type).toBe('result');
  });

  it('answers item-not-found for a domain it does not serve', () => {
    expectError(reply(iq('get', xml('ping', { xmlns: NS_PING }), { to: 'other.example.org' })), 'item-not-found');
  });

  it.each(['@irc.example.org', 'a@b@irc.example.org', 'irc.example.org/', `${'x'.repeat(1024)}@irc.example.org`])(
    'answers jid-malformed for the malformed address %s',
    (to) => {
      const r = reply(iq('get', xml('ping', { xmlns: NS_PING }), { to }));
      expectError(r, 'jid-malformed', 'modify');
      expect(r.attrs.from).toBe(to);
    },
  );

  it.each([
    ['an iq error', xml('iq', { type: 'error', id: 'e1', from: USER, to: GW }, xml('error', { type: 'cancel' }))],
    ['a message error', xml('message', { type: 'error', id: 'e2', from: USER, to: GW }, xml('body', {}, 'x'))],
    ['a presence error', xml('presence', { type: 'error', id: 'e3', from: USER, to: GW })],
    ['an iq error from a forbidden domain', xml('iq', { type: 'error', id: 'e4', from: 'x@evil.example', to: GW })],
    ['an iq error to a malformed address', xml('iq', { type: 'error', id: 'e5', from: USER, to: '@@' })],
    ['an iq result', xml('iq', { type: 'result', id: 'r1', from: USER, to: GW })],
    ['an iq result to another domain', xml('iq', { type: 'result', id: 'r2', from: USER, to: 'other.example.org' })],
    ['an iq without from', xml('iq', { type: 'get', id: 'n1', to: GW }, xml('ping', { xmlns: NS_PING }))],
    ['an element that is not a stanza', xml('handshake', {})],
  ])('never answers %s', (_what, stanza) => {
    expect(replies(stanza)).toEqual([]);
  });

  it('answers every iq get/set exactly once, each with its own id', () => {
    const core = makeCore();
    const requests: Element[] = [
      iq('get', xml('query', { xmlns: NS_DISCO_INFO })),
      iq('get', xml('query', { xmlns: NS_DISCO_ITEMS })),
      iq('get', xml('query', { xmlns: NS_VERSION })),
      iq('get', xml('ping', { xmlns: NS_PING })),
      iq('set', xml('ping', { xmlns: NS_PING })),
      iq('get', xml('query', { xmlns: 'urn:example:nonexistent' })),
      iq('set', xml('query', { xmlns: 'urn:example:nonexistent' })),
      iq('get', null),
      iq('get', xml('ping', { xmlns: NS_PING }), { from: 'x@evil.example/r' }),
      iq('get', xml('ping', { xmlns: NS_PING }), { to: 'other.example.org' }),
      iq('get', xml('ping', { xmlns: NS_PING }), { to: '@irc.example.org' }),
      iq('get', xml('ping', { xmlns: NS_PING }), { to: `nobody%nowhere@${GW}/r` }),
    ];
    requests.forEach((r, i) => (r.attrs.id = `req-${i}`));
    for (const request of requests) {
      const out = replies(request, core);
      expect(out, request.toString()).toHaveLength(1);
      expect(out[0]?.name).toBe('iq');
      expect(out[0]?.attrs.id).toBe(request.attrs.id);
      expect(['result', 'error']).toContain(out[0]?.attrs.type);
    }
    // The same request again is answered again: the core keeps no per-id state.
    expect(replies(requests[3] as Element, core)).toHaveLength(1);
  });
});
