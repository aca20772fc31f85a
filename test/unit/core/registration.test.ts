/**
 * XEP-0077 registration and the XEP-0100 gateway handshake as worked examples: stanzas in,
 * replies, actions and stored identities out. The ports are a Map-based fake of our own
 * interfaces (ports.ts), so every write can be read back.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { BareJid } from '../../../src/core/jid.js';
import type { LiveConnection, NetworkIdentity } from '../../../src/core/ports.js';
import {
  handleGatewayPresence,
  handleRegister,
  isRegistrationRequest,
  type EntityContext,
} from '../../../src/core/registration.js';
import { MemoryPorts, thrown } from './fake-ports.js';

const GW = 'irc.example.org';
const NET = 'irc.libera.chat';
const ALICE = 'alice@example.org' as BareJid;
const NS_REGISTER = 'jabber:iq:register';
const NS_GATEWAY = 'jabber:iq:gateway';
const NS_DATA = 'jabber:x:data';

function context(network: string, stores = new MemoryPorts(), extra: Partial<EntityContext> = {}): EntityContext {
  return {
    user: ALICE,
    network,
    gatewayDomain: GW,
    identities: stores,
    channels: stores,
    admins: new Set(),
    liveConnections: () => [],
    ...extra,
  };
}

const entityJid = (network: string): string => (network === '' ? GW : `${network}@${GW}`);

function registerIq(type: 'get' | 'set', network: string, ...children: Element[]): Element {
  return xml('iq', { type, id: 'r1', from: `${ALICE}/laptop`, to: entityJid(network) }, xml('query', { xmlns: NS_REGISTER }, ...children));
}

/** A submitted registration form (XEP-0077 §7). */
function submitForm(fields: Record<string, string | string[]>): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, NS_REGISTER)),
    ...Object.entries(fields).map(([name, v]) => xml('field', { var: name }, ...(Array.isArray(v) ? v : [v]).map((s) => xml('value', {}, s)))),
  );
}

interface ShownField {
  type: string | undefined;
  label: string | undefined;
  desc: string | undefined;
  values: string[];
}

function formFields(x: Element | undefined): Record<string, ShownField> {
  const out: Record<string, ShownField> = {};
  for (const f of x?.getChildren('field') ?? []) {
    out[String(f.attrs.var)] = {
      type: f.attrs.type,
      label: f.attrs.label,
      desc: f.getChildText('desc') ?? undefined,
      values: f.getChildren('value').map((v) => v.text()),
    };
  }
  return out;
}

describe('registration form (XEP-0077 §3.1, §7)', () => {
  it('on gw: legacy nick/username/name, no password, a form with FORM_TYPE and the default fields', () => {
    const { replies, actions } = handleRegister(registerIq('get', ''), context(''));
    expect(actions).toEqual([]);
    const query = replies[0]?.getChild('query', NS_REGISTER);
    expect(replies[0]?.attrs).toMatchObject({ type: 'result', id: 'r1', from: GW, to: `${ALICE}/laptop` });
    expect(query?.getChildElements().map((c) => c.name)).toEqual(['instructions', 'nick', 'username', 'name', 'x']);
    const fields = formFields(query?.getChild('x', NS_DATA));
    expect(Object.keys(fields)).toEqual(['FORM_TYPE', 'nick', 'username', 'realname']);
    expect(fields.FORM_TYPE).toMatchObject({ type: 'hidden', values: [NS_REGISTER] });
  });

  it('on net@gw: legacy <password/> and the credentials, passwords as text-private', () => {
    const query = handleRegister(registerIq('get', NET), context(NET)).replies[0]?.getChild('query', NS_REGISTER);
    expect(query?.getChild('registered')).toBeUndefined();
    expect(query?.getChild('password')?.text()).toBe('');
    const fields = formFields(query?.getChild('x', NS_DATA));
    expect(Object.keys(fields)).toEqual([
      'FORM_TYPE', 'nick', 'username', 'realname', 'sasl_account', 'sasl_password', 'nickserv_password', 'server_password',
    ]);
    for (const name of ['sasl_password', 'nickserv_password', 'server_password']) expect(fields[name]?.type).toBe('text-private');
  });

  it('when registered: <registered/>, values filled, and no password anywhere — only "set"', () => {
    const stores = new MemoryPorts();
    stores.set(ALICE, NET, {
      nick: 'alice', username: 'al', realname: 'Alice L', saslAccount: 'alice',
      saslPassword: 'sasl-secret', nickservPassword: 'ns-secret', serverPassword: 'pass-secret',
    });
    const reply = handleRegister(registerIq('get', NET), context(NET, stores)).replies[0];
    const text = reply?.toString() ?? '';
    for (const secret of ['sasl-secret', 'ns-secret', 'pass-secret']) expect(text).not.toContain(secret);
    const query = reply?.getChild('query', NS_REGISTER);
    expect(query?.getChild('registered')).toBeDefined();
    expect(query?.getChildText('nick')).toBe('alice');
    expect(query?.getChildText('name')).toBe('Alice L');
    const fields = formFields(query?.getChild('x', NS_DATA));
    expect(fields.nick?.values).toEqual(['alice']);
    expect(fields.sasl_account?.values).toEqual(['alice']);
    for (const name of ['sasl_password', 'nickserv_password', 'server_password']) {
      expect(fields[name]?.values).toEqual([]);
      expect(fields[name]?.label).toContain('set — leave empty to keep');
    }
    expect(fields.forget?.type).toBe('list-multi');
  });
});

describe('registering and updating (XEP-0077 §3.1)', () => {
  const full: NetworkIdentity = { nick: 'alice', username: 'al', realname: 'Alice', saslAccount: 'alice', saslPassword: 'old-sasl', nickservPassword: 'old-ns' };
  it.each<[string, NetworkIdentity | undefined, Record<string, string | string[]>, NetworkIdentity]>([
    ['a first registration stores what was given', undefined,
      { nick: 'alice', username: 'al', realname: 'Alice', sasl_account: 'alice', sasl_password: 's3cret' },
      { nick: 'alice', username: 'al', realname: 'Alice', saslAccount: 'alice', saslPassword: 's3cret' }],
    ['empty passwords keep the stored ones', full,
      { nick: 'alice2', sasl_password: '', nickserv_password: '', server_password: '' },
      { ...full, nick: 'alice2' }],
    ['a new password replaces the stored one', full, { sasl_password: 'new-sasl' }, { ...full, saslPassword: 'new-sasl' }],
    ['an empty text field clears it', full, { realname: '' }, { nick: 'alice', username: 'al', saslAccount: 'alice', saslPassword: 'old-sasl', nickservPassword: 'old-ns' }],
    ['fields left out keep their value', full, {}, full],
    ['forget clears the named passwords', full, { forget: ['sasl_password', 'nickserv_password'] }, { nick: 'alice', username: 'al', realname: 'Alice', saslAccount: 'alice' }],
    ['unknown fields are ignored', full, { colour: 'blue' }, full],
    ['a new SASL password uses the stored account', { saslAccount: 'alice' }, { sasl_password: 'pw' }, { saslAccount: 'alice', saslPassword: 'pw' }],
    ['clearing the account and forgetting the password together', full, { sasl_account: '', forget: 'sasl_password' },
      { nick: 'alice', username: 'al', realname: 'Alice', nickservPassword: 'old-ns' }],
    ['an older row with a password but no account still takes other edits', { saslPassword: 'pw' }, { nick: 'al' }, { nick: 'al', saslPassword: 'pw' }],
  ])('%s', (_name, before, submitted, after) => {
    const stores = new MemoryPorts();
    if (before) stores.set(ALICE, NET, before);
    const { replies } = handleRegister(registerIq('set', NET, submitForm(submitted)), context(NET, stores));
    expect(replies.map((r) => r.attrs.type)).toEqual(['result']);
    expect(stores.get(ALICE, NET)).toEqual(after);
  });

  it('legacy fields: nick, username, name → realname, password → NickServ password', () => {
    const stores = new MemoryPorts();
    const set = registerIq('set', NET, xml('nick', {}, 'alice'), xml('username', {}, 'al'), xml('name', {}, 'Alice L'), xml('password', {}, 'ns'));
    handleRegister(set, context(NET, stores));
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'alice', username: 'al', realname: 'Alice L', nickservPassword: 'ns' });
  });

  it('a legacy empty <password/> keeps the stored one', () => {
    const stores = new MemoryPorts();
    stores.set(ALICE, NET, { nick: 'alice', nickservPassword: 'ns' });
    handleRegister(registerIq('set', NET, xml('nick', {}, 'bob'), xml('password')), context(NET, stores));
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'bob', nickservPassword: 'ns' });
  });

  it('a cancelled form stores nothing and is answered with a result', () => {
    const stores = new MemoryPorts();
    const { replies } = handleRegister(registerIq('set', NET, xml('x', { xmlns: NS_DATA, type: 'cancel' })), context(NET, stores));
    expect(replies.map((r) => r.attrs.type)).toEqual(['result']);
    expect(stores.get(ALICE, NET)).toBeUndefined();
  });

  it('fixed-network mode: gw registers the one network, with its credentials', () => {
    const stores = new MemoryPorts();
    const ctx = context('', stores, { fixedNetwork: NET });
    const fields = formFields(handleRegister(registerIq('get', ''), ctx).replies[0]?.getChild('query')?.getChild('x', NS_DATA));
    expect(Object.keys(fields)).toContain('sasl_password');
    handleRegister(registerIq('set', '', submitForm({ nick: 'alice', sasl_account: 'alice', sasl_password: 'x' })), ctx);
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'alice', saslAccount: 'alice', saslPassword: 'x' });
    expect(stores.get(ALICE, '')).toBeUndefined();
  });
});

describe('limits: networks per user', () => {
  const limits = { maxChannelsPerUser: 10, maxNetworksPerUser: 2 };

  it('refuses registering with a new network beyond the limit, naming it; updates and gw defaults pass', () => {
    const stores = new MemoryPorts();
    stores.set(ALICE, '', { nick: 'alice' });
    stores.set(ALICE, NET, { nick: 'alice' });
    stores.set(ALICE, 'irc.oftc.net', { nick: 'alice' });
    const ctx = (network: string) => context(network, stores, { limits });
    const err = thrown(() => handleRegister(registerIq('set', 'irc.rizon.net', submitForm({ nick: 'al' })), ctx('irc.rizon.net')));
    expect(err.condition).toBe('not-acceptable');
    expect(err.text).toContain('irc.rizon.net');
    expect(stores.get(ALICE, 'irc.rizon.net')).toBeUndefined();
    // Updating a registered network and the gateway-wide defaults are not new registrations.
    handleRegister(registerIq('set', NET, submitForm({ nick: 'al' })), ctx(NET));
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'al' });
    handleRegister(registerIq('set', '', submitForm({ nick: 'al' })), ctx(''));
    expect(stores.get(ALICE, '')).toEqual({ nick: 'al' });
  });

  it('below the limit, or without limits, a new network registers', () => {
    const stores = new MemoryPorts();
    stores.set(ALICE, NET, {});
    handleRegister(registerIq('set', 'irc.oftc.net', submitForm({ nick: 'al' })), context('irc.oftc.net', stores, { limits }));
    handleRegister(registerIq('set', 'irc.rizon.net', submitForm({ nick: 'al' })), context('irc.rizon.net', stores));
    expect(stores.networks(ALICE)).toHaveLength(3);
  });
});

describe('validation: not-acceptable naming the field, nothing stored', () => {
  it.each<[string, string, Record<string, string | string[]> | Element[]]>([
    ['nick with a space', 'nick', { nick: 'al ice' }],
    ['nick starting with #', 'nick', { nick: '#alice' }],
    ['nick too long', 'nick', { nick: 'a'.repeat(65) }],
    ['nick with two values', 'nick', { nick: ['a', 'b'] }],
    ['username with @', 'username', { username: 'al@x' }],
    ['realname with LF', 'realname', { realname: 'Alice\nQUIT' }],
    ['realname too long', 'realname', { realname: 'x'.repeat(257) }],
    ['SASL account with a space', 'sasl_account', { sasl_account: 'a b' }],
    ['SASL password with CR', 'sasl_password', { sasl_password: 'a\rb' }],
    ['server password with NUL', 'server_password', { server_password: 'a\0b' }],
    ['forget naming a field that is no password', 'forget', { forget: ['nick'] }],
    ['FORM_TYPE of another form', 'FORM_TYPE', [xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:other')))]],
    ['legacy nick that is not a nick', 'nick', [xml('nick', {}, 'a,b')]],
  ])('%s → %s', (_name, field, submitted) => {
    const stores = new MemoryPorts();
    stores.set(ALICE, NET, { nick: 'alice' });
    const payload = Array.isArray(submitted) ? submitted : [submitForm({ nick: 'ok', ...submitted })];
    const err = thrown(() => handleRegister(registerIq('set', NET, ...payload), context(NET, stores)));
    expect(err.condition).toBe('not-acceptable');
    expect(err.errorType).toBe('modify');
    expect(err.text).toContain(`field "${field}"`);
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'alice' });
  });

  it('a legacy <password/> on gw is refused: the gateway holds no credentials', () => {
    const err = thrown(() => handleRegister(registerIq('set', '', xml('password', {}, 'x')), context('')));
    expect(err.text).toContain('field "password"');
  });

  it('a refused value is never echoed in the error text', () => {
    const err = thrown(() => handleRegister(registerIq('set', NET, submitForm({ sasl_password: 'top\nsecret' })), context(NET)));
    expect(err.text).not.toContain('secret');
  });
});

describe('unregistering (XEP-0077 §3.2, XEP-0100 §4.3)', () => {
  function seeded(): MemoryPorts {
    const stores = new MemoryPorts();
    stores.set(ALICE, '', { nick: 'alice' });
    stores.set(ALICE, NET, { nick: 'alice', saslPassword: 'x' });
    stores.set(ALICE, 'irc.oftc.net', { nick: 'al' });
    stores.set('bob@example.org', NET, { nick: 'bob' });
    stores.setPersistent({ user: ALICE, network: NET, channel: '#a' }, true);
    stores.setPersistent({ user: 'bob@example.org', network: NET, channel: '#b' }, true);
    return stores;
  }

  it('on gw: all of the user\'s data goes, both subscriptions are cancelled, connections closed', () => {
    const stores = seeded();
    const { replies, actions } = handleRegister(registerIq('set', '', xml('remove')), context('', stores));
    expect(replies.map((r) => `${r.name} ${r.attrs.type} ${r.attrs.to}`)).toEqual([
      `iq result ${ALICE}/laptop`,
      `presence unsubscribe ${ALICE}`,
      `presence unsubscribed ${ALICE}`,
      `presence unavailable ${ALICE}`,
    ]);
    // Issue 10 §5: the archive forgets the user too.
    expect(actions).toEqual([
      { kind: 'disconnect-user', user: ALICE, reason: 'Unregistered from the gateway' },
      { kind: 'forget-user', user: ALICE },
    ]);
    expect(stores.users()).toEqual(['bob@example.org']);
    expect(stores.all().map((c) => c.channel)).toEqual(['#b']);
  });

  it('on net@gw: only that network goes and only its connection closes', () => {
    const stores = seeded();
    const { replies, actions } = handleRegister(registerIq('set', NET, xml('remove')), context(NET, stores));
    expect(replies.map((r) => r.attrs.type)).toEqual(['result']);
    expect(actions).toEqual([{ kind: 'disconnect-network', user: ALICE, network: NET, reason: 'Unregistered from the gateway' }]);
    expect(stores.networks(ALICE)).toEqual(['irc.oftc.net']);
    expect(stores.get(ALICE, '')).toEqual({ nick: 'alice' });
    expect(stores.all()).toHaveLength(2);
  });
});

describe('XEP-0100 §4.1 presence subscription', () => {
  it('the first registration with gw asks for the user\'s presence; later updates do not', () => {
    const stores = new MemoryPorts();
    const first = handleRegister(registerIq('set', '', submitForm({ nick: 'alice' })), context('', stores)).replies;
    expect(first.map((r) => `${r.name} ${r.attrs.type} ${r.attrs.from} ${r.attrs.to}`)).toEqual([
      `iq result ${GW} ${ALICE}/laptop`,
      `presence subscribe ${GW} ${ALICE}`,
    ]);
    const again = handleRegister(registerIq('set', '', submitForm({ nick: 'alice2' })), context('', stores)).replies;
    expect(again.map((r) => r.name)).toEqual(['iq']);
  });

  it('registering with a network sends no subscription', () => {
    const { replies } = handleRegister(registerIq('set', NET, submitForm({ nick: 'alice' })), context(NET));
    expect(replies.map((r) => r.name)).toEqual(['iq']);
  });

  it.each<[string | undefined, string[]]>([
    ['subscribe', [`subscribed ${ALICE}`, `available ${ALICE}`]],
    ['probe', [`available ${ALICE}`]],
    ['unsubscribe', [`unavailable ${ALICE}`]],
    ['unsubscribed', []],
    ['subscribed', []],
    [undefined, []],
    ['unavailable', []],
  ])('presence %s to gw → %j', (type, expected) => {
    const presence = xml('presence', { type, from: ALICE, to: GW });
    const out = handleGatewayPresence(presence, { gatewayDomain: GW, user: ALICE });
    expect(out.map((p) => `${p.attrs.type ?? 'available'} ${p.attrs.to}`)).toEqual(expected);
    for (const p of out) expect(p.attrs.from).toBe(GW);
  });
});

describe('XEP-0100 §6.3 jabber:iq:gateway', () => {
  const gatewayIq = (type: 'get' | 'set', network: string, prompt?: string): Element =>
    xml('iq', { type, id: 'g1', from: `${ALICE}/laptop`, to: entityJid(network) }, xml('query', { xmlns: NS_GATEWAY }, prompt === undefined ? null : xml('prompt', {}, prompt)));
  const live = (network: string): LiveConnection => ({ user: ALICE, network, nick: 'alice', channels: ['#a'] });

  it('get → a description and the prompt', () => {
    const query = handleRegister(gatewayIq('get', ''), context('')).replies[0]?.getChild('query', NS_GATEWAY);
    expect(query?.getChildText('prompt')).toBe('IRC nick');
    expect(query?.getChildText('desc')).toContain('nick%network');
  });

  it.each<[string, string, string, Partial<EntityContext>, (s: MemoryPorts) => void]>([
    ['nick%network on gw', '', 'bob%irc.oftc.net', {}, () => {}],
    ['the network lower-cased', '', 'bob%IRC.OFTC.NET', {}, () => {}],
    ['a nick asked of net@gw', NET, 'bob', {}, () => {}],
    ['a nick with the user\'s one live connection', '', 'bob', { liveConnections: () => [live(NET), { ...live(NET), user: 'x@y' }] }, () => {}],
    ['a nick with the user\'s one registered network', '', 'bob', {}, (s) => s.set(ALICE, NET, {})],
    ['fixed-network mode', '', 'bob', { fixedNetwork: NET }, () => {}],
    ['a nick that needs XEP-0106 escaping', '', 'b&b%irc.oftc.net', {}, () => {}],
  ])('%s', (_name, network, prompt, extra, seed) => {
    const stores = new MemoryPorts();
    seed(stores);
    const reply = handleRegister(gatewayIq('set', network, prompt), context(network, stores, extra)).replies[0];
    const jid = reply?.getChild('query', NS_GATEWAY)?.getChildText('jid');
    const expected: Record<string, string> = {
      'bob%irc.oftc.net': `bob%irc.oftc.net@${GW}`,
      'bob%IRC.OFTC.NET': `bob%irc.oftc.net@${GW}`,
      'b&b%irc.oftc.net': `b\\26b%irc.oftc.net@${GW}`,
      bob: extra.fixedNetwork ? `bob@${GW}` : `bob%${NET}@${GW}`,
    };
    expect(jid).toBe(expected[prompt]);
  });

  it.each<[string, string, Partial<EntityContext>]>([
    ['no network and none implied', 'bob', {}],
    ['two live networks', 'bob', { liveConnections: () => [live(NET), live('irc.oftc.net')] }],
    ['not a nick', 'bo b%irc.oftc.net', {}],
    ['not a network', 'bob%irc_oftc', {}],
    ['empty', '  ', {}],
  ])('refused: %s', (_name, prompt, extra) => {
    const err = thrown(() => handleRegister(gatewayIq('set', '', prompt), context('', new MemoryPorts(), extra)));
    expect(['not-acceptable', 'bad-request']).toContain(err.condition);
  });
});

describe('isRegistrationRequest', () => {
  it.each<[Element, boolean]>([
    [registerIq('get', ''), true],
    [xml('iq', { type: 'get' }, xml('query', { xmlns: NS_GATEWAY })), true],
    [xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' })), false],
    [xml('iq', { type: 'get' }), false],
  ])('%s → %s', (iq, expected) => {
    expect(isRegistrationRequest(iq)).toBe(expected);
  });
});

describe('SASL account defaults to the nick (issue 9 §4)', () => {
  it('stores a SASL password without an account, and the form says the nick is used', () => {
    const stores = new MemoryPorts();
    handleRegister(registerIq('set', NET, submitForm({ nick: 'alice', sasl_password: 'pw' })), context(NET, stores));
    expect(stores.get(ALICE, NET)).toEqual({ nick: 'alice', saslPassword: 'pw' });
    const form = handleRegister(registerIq('get', NET), context(NET, stores)).replies[0]!;
    const label = form.getChild('query')?.getChild('x')?.getChildren('field').find((f) => f.attrs.var === 'sasl_account')?.attrs.label;
    expect(label).toContain('your IRC nick');
  });
});
