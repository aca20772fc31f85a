/**
 * XEP-0050 ad-hoc commands as worked examples: the list per entity and per requester,
 * execute → form → submit/cancel, and every refusal. The ports are a Map-based fake of
 * our own interfaces (ports.ts).
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { AdhocCommands, isAdhocRequest, type AdhocContext } from '../../../src/core/adhoc.js';
import type { BareJid } from '../../../src/core/jid.js';
import type { NetworkIdentity } from '../../../src/core/ports.js';
import type { LiveConnection } from '../../../src/core/ports.js';
import { MemoryPorts, MemoryRoomEncodings, thrown } from './fake-ports.js';
import {
  ADMIN, ALICE, GW, LIVE, NET, NS_COMMANDS, NS_DATA, ON_GW, ON_NET, ON_ROOM, commandErrorOf, commandIq, commands, context, execute, fieldValues, newId, only, run, submit,
  type Entity,
} from './adhoc-steps.js';

describe('the commands each entity lists (XEP-0050 §2.2)', () => {
  const nodes = (entity: Entity, user: BareJid, extra: Partial<AdhocContext> = {}): string[] =>
    commands().items(context(entity, new MemoryPorts(), { user, ...extra }), entity.jid).map((i) => i.node);
  it.each<[string, Entity, BareJid, Partial<AdhocContext>, string[]]>([
    ['gw, a user', ON_GW, ALICE, {}, ['defaults', 'networks', 'configure']],
    ['gw, an admin', ON_GW, ADMIN, {}, ['defaults', 'networks', 'configure', 'users', 'connections', 'connection-info', 'disconnect-user', 'disconnect-network', 'announce']],
    ['gw, an admin, with reload', ON_GW, ADMIN, { reload: () => '' }, ['defaults', 'networks', 'configure', 'users', 'connections', 'connection-info', 'disconnect-user', 'disconnect-network', 'announce', 'reload']],
    ['gw, a user, with reload', ON_GW, ALICE, { reload: () => '' }, ['defaults', 'networks', 'configure']],
    ['net@gw, a user', ON_NET, ALICE, {}, ['settings', 'configure']],
    ['net@gw, an admin', ON_NET, ADMIN, {}, ['settings', 'configure']],
    ['a room', ON_ROOM, ALICE, {}, ['room', 'configure']],
    ['gw in fixed-network mode, a user', ON_GW, ALICE, { fixedNetwork: NET }, ['settings', 'server-configure']],
    ['gw in fixed-network mode, an admin', ON_GW, ADMIN, { fixedNetwork: NET }, ['settings', 'server-configure', 'users', 'connections', 'connection-info', 'disconnect-user', 'disconnect-network', 'announce']],
  ])('%s', (_name, entity, user, extra, expected) => {
    expect(nodes(entity, user, extra)).toEqual(expected);
  });

  it('answers disco#items of the commands node with items on the entity', () => {
    const iq = xml('iq', { type: 'get', id: 'd1', from: `${ALICE}/laptop`, to: ON_NET.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS }));
    const query = only(commands().handle(iq, context(ON_NET)).replies).getChild('query');
    expect(query?.attrs.node).toBe(NS_COMMANDS);
    expect(query?.getChildren('item').map((i) => i.attrs)).toEqual([
      { jid: ON_NET.jid, node: 'settings', name: 'Settings for this network' },
      { jid: ON_NET.jid, node: 'configure', name: "Configure this network (biboumi's configure)" },
    ]);
  });

  it('answers disco#info of a command node (XEP-0050 §2.3); an admin node is not found for a user', () => {
    const info = (node: string): Element =>
      xml('iq', { type: 'get', id: 'd2', from: `${ALICE}/laptop`, to: GW }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node }));
    const query = only(commands().handle(info('defaults'), context(ON_GW)).replies).getChild('query');
    expect(query?.getChild('identity')?.attrs).toMatchObject({ category: 'automation', type: 'command-node' });
    expect(query?.getChildren('feature').map((f) => f.attrs.var)).toEqual([NS_COMMANDS, NS_DATA]);
    expect(thrown(() => commands().handle(info('users'), context(ON_GW))).condition).toBe('item-not-found');
  });

  it.each<[string, Element, boolean]>([
    ['a command', commandIq(ON_GW, { node: 'defaults' }), true],
    ['disco#items of the commands node', xml('iq', {}, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS })), true],
    ['disco#info of a command node', xml('iq', {}, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'settings' })), true],
    ['plain disco#items', xml('iq', {}, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })), false],
    ['disco#info of another node', xml('iq', {}, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'x' })), false],
    ['a ping', xml('iq', {}, xml('ping', { xmlns: 'urn:xmpp:ping' })), false],
  ])('isAdhocRequest: %s → %s', (_name, iq, expected) => {
    expect(isAdhocRequest(iq)).toBe(expected);
  });
});

describe('execute, submit, cancel (XEP-0050 §3.4)', () => {
  it('execute gives a form with a session and complete as the only action; submit completes with a note', () => {
    const ports = new MemoryPorts();
    const ctx = context(ON_GW, ports);
    const c = commands();
    const reply = only(c.handle(commandIq(ON_GW, { node: 'defaults', action: 'execute' }), ctx).replies);
    const cmd = reply.getChild('command', NS_COMMANDS);
    expect(reply.attrs).toMatchObject({ type: 'result', id: 'c1', from: GW, to: `${ALICE}/laptop` });
    expect(cmd?.attrs).toMatchObject({ node: 'defaults', status: 'executing' });
    expect(cmd?.getChild('actions')?.attrs.execute).toBe('complete');
    expect(cmd?.getChild('actions')?.getChildElements().map((e) => e.name)).toEqual(['complete']);
    expect(Object.keys(fieldValues(cmd?.getChild('x', NS_DATA)))).toEqual(['nick', 'username', 'realname']);

    const done = c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: cmd?.attrs.sessionid, action: 'complete' }, submit({ nick: 'alice', realname: 'Alice' })), ctx);
    const completed = only(done.replies).getChild('command', NS_COMMANDS);
    expect(completed?.attrs).toMatchObject({ node: 'defaults', sessionid: cmd?.attrs.sessionid, status: 'completed' });
    expect(completed?.getChild('note')?.attrs.type).toBe('info');
    expect(ports.get(ALICE, '')).toEqual({ nick: 'alice', realname: 'Alice' });
    expect(c.pendingSessions).toBe(0);
  });

  it('a command without an action attribute executes (XEP-0050 §3.4 default)', () => {
    const reply = only(commands().handle(commandIq(ON_GW, { node: 'defaults' }), context(ON_GW)).replies);
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('executing');
  });

  it('execute then submit with action execute also completes', () => {
    const c = commands();
    const ctx = context(ON_GW);
    const { sessionid } = execute(c, ON_GW, 'defaults', ctx);
    const reply = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'execute' }, submit({ nick: 'al' })), ctx).replies);
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
  });

  it('cancel ends the session; the session id is then unknown', () => {
    const c = commands();
    const ctx = context(ON_GW);
    const { sessionid } = execute(c, ON_GW, 'defaults', ctx);
    const canceled = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'cancel' }), ctx).replies);
    expect(canceled.getChild('command', NS_COMMANDS)?.attrs).toMatchObject({ status: 'canceled', sessionid });
    const late = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, submit({})), ctx).replies);
    expect(commandErrorOf(late)).toMatchObject({ condition: 'bad-request', specific: 'bad-sessionid' });
  });

  it('a cancelled form (x type cancel) cancels the command', () => {
    const c = commands();
    const ctx = context(ON_GW);
    const { sessionid } = execute(c, ON_GW, 'defaults', ctx);
    const reply = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, xml('x', { xmlns: NS_DATA, type: 'cancel' })), ctx).replies);
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('canceled');
  });

  it.each<[string, (c: AdhocCommands, ctx: AdhocContext) => Element, string]>([
    ['next on a one-stage command', (c, ctx) => commandIq(ON_GW, { node: 'defaults', sessionid: execute(c, ON_GW, 'defaults', ctx).sessionid, action: 'next' }), 'bad-action'],
    ['an unknown action', () => commandIq(ON_GW, { node: 'defaults', action: 'jump' }), 'malformed-action'],
    ['complete without a session', () => commandIq(ON_GW, { node: 'defaults', action: 'complete' }, submit({})), 'bad-sessionid'],
    ['a session of another command', (c, ctx) => commandIq(ON_GW, { node: 'networks', sessionid: execute(c, ON_GW, 'defaults', ctx).sessionid, action: 'complete' }), 'bad-sessionid'],
    ['a session opened on another entity', (c, ctx) => commandIq({ ...ON_GW, jid: `${GW}/x` }, { node: 'defaults', sessionid: execute(c, ON_GW, 'defaults', ctx).sessionid, action: 'complete' }), 'bad-sessionid'],
    ['complete without the form', (c, ctx) => commandIq(ON_GW, { node: 'defaults', sessionid: execute(c, ON_GW, 'defaults', ctx).sessionid, action: 'complete' }), 'bad-payload'],
  ])('%s → bad-request <%s/>', (_name, build, specific) => {
    const c = commands();
    const ctx = context(ON_GW);
    const reply = only(c.handle(build(c, ctx), ctx).replies);
    expect(reply.attrs.type).toBe('error');
    expect(commandErrorOf(reply)).toMatchObject({ condition: 'bad-request', specific });
  });

  it('another user cannot complete a session', () => {
    const c = commands();
    const { sessionid } = execute(c, ON_GW, 'defaults', context(ON_GW));
    const reply = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, submit({})), context(ON_GW, new MemoryPorts(), { user: ADMIN })).replies);
    expect(commandErrorOf(reply).specific).toBe('bad-sessionid');
  });

  it.each<[string, Element, BareJid, string]>([
    ['an unknown node', commandIq(ON_GW, { node: 'format-disk' }), ALICE, 'item-not-found'],
    ['a gw command on a network', commandIq(ON_NET, { node: 'defaults' }), ALICE, 'item-not-found'],
    ['an admin command by a user', commandIq(ON_GW, { node: 'users' }), ALICE, 'forbidden'],
    ['no node', commandIq(ON_GW, {}), ALICE, 'bad-request'],
    ['an iq get', xml('iq', { type: 'get', id: 'x', from: ALICE, to: GW }, xml('command', { xmlns: NS_COMMANDS, node: 'defaults' })), ALICE, 'bad-request'],
  ])('%s → %s', (_name, iq, user, condition) => {
    const entity = iq.attrs.to === ON_NET.jid ? ON_NET : ON_GW;
    expect(thrown(() => commands().handle(iq, context(entity, new MemoryPorts(), { user }))).condition).toBe(condition);
  });

  it('sessions are bounded by count: the oldest goes first', () => {
    const c = commands(2);
    const ctx = context(ON_GW);
    const first = execute(c, ON_GW, 'defaults', ctx).sessionid;
    execute(c, ON_GW, 'defaults', ctx);
    const third = execute(c, ON_GW, 'defaults', ctx).sessionid;
    expect(c.pendingSessions).toBe(2);
    const late = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: first, action: 'complete' }, submit({})), ctx).replies);
    expect(commandErrorOf(late).specific).toBe('bad-sessionid');
    const ok = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: third, action: 'complete' }, submit({})), ctx).replies);
    expect(ok.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
  });
  it('sessions are bounded per user (10): that user\'s oldest goes, other users\' sessions stay', () => {
    const c = commands();
    const bob = context(ON_GW, new MemoryPorts(), { user: 'bob@example.org' as BareJid });
    const bobs = execute(c, ON_GW, 'defaults', bob).sessionid;
    const ctx = context(ON_GW);
    const alices = Array.from({ length: 11 }, () => execute(c, ON_GW, 'defaults', ctx).sessionid);
    expect(c.pendingSessions).toBe(11);
    const late = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: alices[0], action: 'complete' }, submit({})), ctx).replies);
    expect(commandErrorOf(late).specific).toBe('bad-sessionid');
    for (const [sessionid, who] of [[alices[1], ctx], [bobs, bob]] as const) {
      const ok = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, submit({})), who).replies);
      expect(ok.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    }
  });

  it('sessions expire after 10 minutes (injected clock): <session-expired/>, and old ones are dropped', () => {
    let now = 1_000_000;
    const c = new AdhocCommands({ newId, now: () => now });
    const ctx = context(ON_GW);
    const old = execute(c, ON_GW, 'defaults', ctx).sessionid;
    const other = execute(c, ON_GW, 'defaults', ctx).sessionid;
    now += 10 * 60_000 - 1;
    const fresh = execute(c, ON_GW, 'defaults', ctx).sessionid;
    const ok = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: other, action: 'complete' }, submit({})), ctx).replies);
    expect(ok.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    now += 1;
    const late = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: old, action: 'complete' }, submit({})), ctx).replies);
    expect(commandErrorOf(late)).toMatchObject({ condition: 'not-allowed', specific: 'session-expired' });
    expect(c.pendingSessions).toBe(1);
    now += 10 * 60_000;
    execute(c, ON_GW, 'defaults', ctx);
    expect(c.pendingSessions).toBe(1); // `fresh` expired and was dropped
    const gone = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid: fresh, action: 'complete' }, submit({})), ctx).replies);
    expect(commandErrorOf(gone).specific).toBe('bad-sessionid');
  });
});

describe('a bad field value → bad-request <bad-payload/> naming the field (XEP-0050 §4.6)', () => {
  it.each<[string, Entity, string, Record<string, string | string[]>, string]>([
    ['defaults: a nick with a space', ON_GW, 'defaults', { nick: 'a b' }, 'nick'],
    ['settings: tls not a boolean', ON_NET, 'settings', { tls: 'maybe' }, 'tls'],
    ['settings: verify_certificate not a boolean', ON_NET, 'settings', { verify_certificate: 'yes' }, 'verify_certificate'],
    ['settings: port 0', ON_NET, 'settings', { port: '0' }, 'port'],
    ['settings: port 70000', ON_NET, 'settings', { port: '70000' }, 'port'],
    ['settings: port not a number', ON_NET, 'settings', { port: '66a' }, 'port'],
    ['settings: after_connect with a leading /', ON_NET, 'settings', { after_connect: ['/msg NickServ identify x'] }, 'after_connect'],
    ['settings: after_connect with LF inside a line', ON_NET, 'settings', { after_connect: ['JOIN #a\nQUIT'] }, 'after_connect'],
    ['settings: after_connect longer than 510 bytes', ON_NET, 'settings', { after_connect: [`PRIVMSG x :${'é'.repeat(250)}`] }, 'after_connect'],
    ['settings: after_connect of 21 lines', ON_NET, 'settings', { after_connect: Array.from({ length: 21 }, () => 'AWAY') }, 'after_connect'],
    ['settings: encoding no label', ON_NET, 'settings', { encoding: 'klingon' }, 'encoding'],
    ['settings: the replacement encoding', ON_NET, 'settings', { encoding: 'iso-2022-kr' }, 'encoding'],
    ['settings: server_password with CR', ON_NET, 'settings', { server_password: 'a\rb' }, 'server_password'],
    ['room: persistent not a boolean', ON_ROOM, 'room', { persistent: 'on' }, 'persistent'],
    ['room: key with a space', ON_ROOM, 'room', { persistent: 'true', key: 'a b' }, 'key'],
    ['room: a key for a room that is not persistent', ON_ROOM, 'room', { persistent: 'false', key: 'k' }, 'key'],
  ])('%s', (_name, entity, node, fields, field) => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, { nick: 'alice' });
    const { reply, actions } = run(entity, node, fields, context(entity, ports, { roomEncodings: new MemoryRoomEncodings() }));
    expect(reply.attrs.type).toBe('error');
    const err = commandErrorOf(reply);
    expect(err).toMatchObject({ condition: 'bad-request', specific: 'bad-payload' });
    expect(err.text).toContain(`field "${field}"`);
    expect(actions).toEqual([]);
    expect(ports.get(ALICE, NET)).toEqual({ nick: 'alice' });
    expect(ports.all()).toEqual([]);
  });

  it('the session survives a refused value, so the corrected form can be sent', () => {
    const c = commands();
    const ctx = context(ON_GW);
    const { sessionid } = execute(c, ON_GW, 'defaults', ctx);
    c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, submit({ nick: 'a b' })), ctx);
    const ok = only(c.handle(commandIq(ON_GW, { node: 'defaults', sessionid, action: 'complete' }, submit({ nick: 'ab' })), ctx).replies);
    expect(ok.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
  });
});

describe('settings on net@gw', () => {
  it('shows stored values and the operator defaults, never a password', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, {
      nick: 'alice', saslAccount: 'alice', saslPassword: 'hunter2',
      afterConnect: ['MODE alice +R', 'PRIVMSG NickServ :IDENTIFY ns-secret'], encoding: 'windows-1252',
    });
    const c = commands();
    const reply = only(c.handle(commandIq(ON_NET, { node: 'settings' }), context(ON_NET, ports)).replies);
    expect(reply.toString()).not.toContain('hunter2');
    expect(reply.toString()).not.toContain('ns-secret');
    expect(reply.toString()).not.toContain('MODE alice');
    expect(reply.toString()).toContain('2 commands set — leave empty to keep');
    const forget = reply.getChild('command')?.getChild('x', NS_DATA)?.getChildren('field').find((f) => f.attrs.var === 'forget');
    expect(forget?.getChildren('option').map((o) => o.getChildText('value'))).toEqual(['sasl_password', 'after_connect']);
    const values = fieldValues(reply.getChild('command')?.getChild('x', NS_DATA));
    expect(values).toMatchObject({
      nick: ['alice'], tls: ['true'], verify_certificate: ['true'], port: ['6697'], sasl_account: ['alice'],
      sasl_password: [], after_connect: [], encoding: ['windows-1252'],
    });
    expect(reply.toString()).toContain('set — leave empty to keep');
  });

  it.each<[string, Record<string, string | string[]>, NetworkIdentity]>([
    ['the untouched form pins no operator default', { tls: 'true', verify_certificate: '1', port: '6697', sasl_password: '' }, { nick: 'alice', saslPassword: 'old' }],
    ['TLS off and another port are stored', { tls: 'false', port: '6667' }, { nick: 'alice', saslPassword: 'old', tls: false, port: 6667 }],
    ['after_connect keeps lines, drops blank ones', { after_connect: ['MODE alice +R', '', ' JOIN #a '] }, { nick: 'alice', saslPassword: 'old', afterConnect: ['MODE alice +R', 'JOIN #a'] }],
    ['an encoding label is stored by its canonical name', { encoding: 'latin1' }, { nick: 'alice', saslPassword: 'old', encoding: 'windows-1252' }],
    ['an empty encoding clears it', { encoding: '' }, { nick: 'alice', saslPassword: 'old' }],
    ['a new SASL password replaces the old', { sasl_account: 'alice', sasl_password: 'new' }, { nick: 'alice', saslAccount: 'alice', saslPassword: 'new' }],
    ['forget clears the SASL password', { forget: 'sasl_password' }, { nick: 'alice' }],
  ])('%s', (_name, fields, expected) => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, { nick: 'alice', saslPassword: 'old' });
    const { reply } = run(ON_NET, 'settings', fields, context(ON_NET, ports));
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    expect(ports.get(ALICE, NET)).toEqual(expected);
  });

  it.each<[string, Record<string, string | string[]>, NetworkIdentity]>([
    ['an empty after_connect keeps the stored commands', { after_connect: [], nick: 'al' }, { nick: 'al', afterConnect: ['PRIVMSG NickServ :IDENTIFY pw'] }],
    ['blank after_connect lines keep them too', { after_connect: ['', ' '] }, { nick: 'alice', afterConnect: ['PRIVMSG NickServ :IDENTIFY pw'] }],
    ['new after_connect lines replace them all', { after_connect: ['AWAY :x'] }, { nick: 'alice', afterConnect: ['AWAY :x'] }],
    ['forget clears them', { forget: 'after_connect' }, { nick: 'alice' }],
  ])('after_connect is kept like a password: %s', (_name, fields, expected) => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, { nick: 'alice', afterConnect: ['PRIVMSG NickServ :IDENTIFY pw'] });
    const { reply } = run(ON_NET, 'settings', fields, context(ON_NET, ports));
    expect(reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    expect(ports.get(ALICE, NET)).toEqual(expected);
  });

  it('saving settings for a new network counts against the network limit', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, 'irc.oftc.net', {});
    const limits = { maxChannelsPerUser: 10, maxNetworksPerUser: 1 };
    const err = thrown(() => run(ON_NET, 'settings', { nick: 'alice' }, context(ON_NET, ports, { limits })));
    expect(err.condition).toBe('not-acceptable');
    expect(err.text).toContain(NET);
    expect(ports.get(ALICE, NET)).toBeUndefined();
  });

  it('fixed-network mode: settings on gw edit the one network', () => {
    const ports = new MemoryPorts();
    run(ON_GW, 'settings', { nick: 'alice' }, context(ON_GW, ports, { fixedNetwork: NET }));
    expect(ports.get(ALICE, NET)).toEqual({ nick: 'alice' });
  });
});

describe('room settings', () => {
  it('persistent with a key, then the key is shown only as set, then forgotten', () => {
    const ports = new MemoryPorts();
    const encodings = new MemoryRoomEncodings();
    const ctx = context(ON_ROOM, ports, { roomEncodings: encodings });
    const c = commands();
    expect(fieldValues(execute(c, ON_ROOM, 'room', ctx).form)).toEqual({ persistent: ['false'], key: [], encoding: [] });

    run(ON_ROOM, 'room', { persistent: 'true', key: 'sesame', encoding: 'koi8-r' }, ctx);
    // The nick the user has there (LIVE) is kept for the restart (issue 9 §2).
    expect(ports.all()).toEqual([{ user: ALICE, network: NET, channel: '#jabirc', key: 'sesame', nick: 'alice' }]);
    expect(encodings.get(ALICE, NET, '#jabirc')).toBe('koi8-r');

    const shown = execute(c, ON_ROOM, 'room', ctx).form;
    expect(shown?.toString()).not.toContain('sesame');
    expect(fieldValues(shown)).toMatchObject({ persistent: ['true'], key: [], encoding: ['koi8-r'] });

    run(ON_ROOM, 'room', { persistent: 'true', key: '' }, ctx);
    expect(ports.all()[0]?.key).toBe('sesame');
    run(ON_ROOM, 'room', { forget: 'key' }, ctx);
    expect(ports.all()).toEqual([{ user: ALICE, network: NET, channel: '#jabirc', key: undefined, nick: 'alice' }]);
    run(ON_ROOM, 'room', { persistent: 'false' }, ctx);
    expect(ports.all()).toEqual([]);
  });

  it('tells the bridge (action room-settings) whenever persistent or the key changes, not otherwise', () => {
    const ports = new MemoryPorts();
    const ctx = context(ON_ROOM, ports, { roomEncodings: new MemoryRoomEncodings() });
    const action = [{ kind: 'room-settings', user: ALICE, network: NET, channel: '#jabirc' }];
    expect(run(ON_ROOM, 'room', { persistent: 'true' }, ctx).actions).toEqual(action);
    expect(run(ON_ROOM, 'room', { persistent: 'true', encoding: 'koi8-r' }, ctx).actions).toEqual([]);
    expect(run(ON_ROOM, 'room', { key: 'sesame' }, ctx).actions).toEqual(action);
    expect(run(ON_ROOM, 'room', { key: 'sesame' }, ctx).actions).toEqual([]);
    expect(run(ON_ROOM, 'room', { key: '' }, ctx).actions).toEqual([]);
    expect(run(ON_ROOM, 'room', { forget: 'key' }, ctx).actions).toEqual(action);
    expect(run(ON_ROOM, 'room', { persistent: 'false' }, ctx).actions).toEqual(action);
    expect(run(ON_ROOM, 'room', { persistent: 'false' }, ctx).actions).toEqual([]);
  });

  it('refuses a new persistent channel beyond the per-user limit (field persistent); an existing one may still change', () => {
    const ports = new MemoryPorts();
    ports.setPersistent({ user: ALICE, network: 'irc.oftc.net', channel: '#a' }, true);
    ports.setPersistent({ user: 'bob@example.org', network: NET, channel: '#b' }, true);
    const limits = { maxChannelsPerUser: 1, maxNetworksPerUser: 5 };
    const { reply, actions } = run(ON_ROOM, 'room', { persistent: 'true' }, context(ON_ROOM, ports, { limits }));
    expect(commandErrorOf(reply)).toMatchObject({ condition: 'bad-request', specific: 'bad-payload' });
    expect(commandErrorOf(reply).text).toContain('field "persistent"');
    expect(actions).toEqual([]);
    expect(ports.isPersistent(ALICE, NET, '#jabirc')).toBe(false);
    // At the limit, a channel already persistent keeps working.
    const onA: typeof ON_ROOM = { network: 'irc.oftc.net', channel: '#a', jid: `#a%irc.oftc.net@${GW}` };
    const ok = run(onA, 'room', { persistent: 'true', key: 'k' }, context(onA, ports, { limits }));
    expect(ok.reply.getChild('command', NS_COMMANDS)?.attrs.status).toBe('completed');
    expect(ports.count(ALICE)).toBe(1);
  });

  it('reads the room through ChannelStore.get, matching the name by case', () => {
    const ports = new MemoryPorts();
    ports.setPersistent({ user: ALICE, network: NET, channel: '#JabIRC', key: 'sesame' }, true);
    const form = execute(commands(), ON_ROOM, 'room', context(ON_ROOM, ports)).form;
    expect(fieldValues(form)).toMatchObject({ persistent: ['true'], key: [] });
    expect(form?.toString()).toContain('Channel key (set — leave empty to keep)');
  });

  it('without an encoding store the room form has no encoding field', () => {
    expect(Object.keys(fieldValues(execute(commands(), ON_ROOM, 'room', context(ON_ROOM)).form))).toEqual(['persistent', 'key']);
  });
});

describe('read-only results', () => {
  const table = (reply: Element): string[][] =>
    (reply.getChild('command')?.getChild('x', NS_DATA)?.getChildren('item') ?? []).map((item) => item.getChildren('field').map((f) => f.getChildText('value') ?? ''));

  it('networks: the user\'s networks as a table, completed at once', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, '', { nick: 'alice' });
    ports.set(ALICE, NET, { nick: 'ali' });
    ports.set(ALICE, 'irc.oftc.net', {});
    const reply = only(commands().handle(commandIq(ON_GW, { node: 'networks' }), context(ON_GW, ports)).replies);
    expect(reply.getChild('command')?.attrs.status).toBe('completed');
    expect(reply.getChild('command')?.getChild('x', NS_DATA)?.attrs.type).toBe('result');
    expect(table(reply)).toEqual([[`${NET}@${GW}`, 'ali'], [`irc.oftc.net@${GW}`, 'alice']]);
  });

  it('users and connections, for an admin', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, {});
    ports.set('carol@example.org', '', {});
    const ctx = context(ON_GW, ports, { user: ADMIN });
    const users = only(commands().handle(commandIq(ON_GW, { node: 'users' }), ctx).replies);
    expect(users.getChild('command')?.getChildText('note')).toBe('2 registered users.');
    expect(table(users)).toEqual([
      [ALICE, NET, 'yes'],
      ['carol@example.org', '', 'no'],
    ]);
    expect(table(only(commands().handle(commandIq(ON_GW, { node: 'connections' }), ctx).replies))).toEqual([
      [ALICE, NET, 'alice', '3'],
      ['bob@example.org', 'irc.oftc.net', 'bob', '1'],
    ]);
  });
});

describe('admin actions', () => {
  const admin = (): AdhocContext => context(ON_GW, new MemoryPorts(), { user: ADMIN });

  it('disconnect-user returns the action for the caller', () => {
    const { reply, actions } = run(ON_GW, 'disconnect-user', { user: 'bob@example.org', reason: 'spam' }, admin());
    expect(reply.getChild('command')?.getChildText('note')).toBe('Disconnecting 1 connections of bob@example.org.');
    expect(actions).toEqual([{ kind: 'disconnect-user', user: 'bob@example.org', reason: 'spam' }]);
  });

  it.each<[Record<string, string>, string]>([
    [{}, 'user'],
    [{ user: 'bob@example.org/phone' }, 'user'],
    [{ user: '@' }, 'user'],
    [{ user: 'nobody@example.org' }, 'user'],
    [{ user: 'bob@example.org', reason: 'x'.repeat(301) }, 'reason'],
  ])('disconnect-user %j → field %s', (fields, field) => {
    const { reply, actions } = run(ON_GW, 'disconnect-user', fields, admin());
    expect(commandErrorOf(reply).text).toContain(`field "${field}"`);
    expect(actions).toEqual([]);
  });

  it('announce returns the lines as one message', () => {
    const { reply, actions } = run(ON_GW, 'announce', { message: ['Restart at 22:00.', 'Sorry!'] }, admin());
    expect(actions).toEqual([{ kind: 'announce', text: 'Restart at 22:00.\nSorry!' }]);
    expect(reply.getChild('command')?.getChildText('note')).toBe('Announced to 2 users.');
  });

  it.each<[string[], string]>([
    [[], 'message'],
    [['  '], 'message'],
    [['a\rb'], 'message'],
    [['x'.repeat(4001)], 'message'],
  ])('announce %j → field %s', (message, field) => {
    const { reply } = run(ON_GW, 'announce', { message }, admin());
    expect(commandErrorOf(reply)).toMatchObject({ specific: 'bad-payload' });
    expect(commandErrorOf(reply).text).toContain(`field "${field}"`);
  });
});
