/**
 * biboumi's ad-hoc nodes as aliases of ours (issue 9 §8 a), as worked examples: which
 * entity lists which node, the form under biboumi's field vars, a submission in biboumi's
 * names landing in our stores, and the note naming every field left out and why. Also the
 * port lists (core/biboumi.ts) as a table.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { AdhocContext } from '../../../src/core/adhoc.js';
import { portsFromBiboumi, splitBiboumiPorts, unusedPortsText, type BiboumiPorts } from '../../../src/core/biboumi.js';
import { MemoryPorts, MemoryRoomEncodings, thrown } from './fake-ports.js';
import { ALICE, GW, NET, NS_COMMANDS, NS_DATA, NS_STANZAS, ON_GW, ON_NET, ON_ROOM, commandIq, commands, context, fieldValues, submit, type Entity } from './adhoc-steps.js';

/** Executes `node` on `entity`: the form; then submits `fields`: the note, or the error text. */
function configure(entity: Entity, ctx: AdhocContext, fields: Record<string, string | string[]>, node = 'configure') {
  const c = commands();
  const started = c.handle(commandIq(entity, { node, action: 'execute' }), ctx).replies[0]?.getChild('command', NS_COMMANDS);
  expect(started?.attrs.status).toBe('executing');
  const form = started?.getChild('x', NS_DATA);
  const reply = c.handle(commandIq(entity, { node, sessionid: String(started?.attrs.sessionid), action: 'complete' }, submit(fields)), ctx).replies[0] as Element;
  const note = reply.getChild('command', NS_COMMANDS)?.getChildText('note') ?? undefined;
  const error = reply.getChild('error');
  return {
    form,
    note,
    status: reply.getChild('command', NS_COMMANDS)?.attrs.status,
    error: error && {
      specific: error.getChildElements().find((e) => e.attrs.xmlns === NS_COMMANDS)?.name,
      text: error.getChildText('text', NS_STANZAS),
    },
  };
}

describe('biboumi configure is listed only where it applies (XEP-0050 §2.2)', () => {
  const nodes = (entity: Entity, extra: Partial<AdhocContext> = {}): string[] =>
    commands().items(context(entity, new MemoryPorts(), extra), entity.jid).map((i) => i.node);
  it.each<[string, Entity, Partial<AdhocContext>, string[]]>([
    ['gw', ON_GW, {}, ['defaults', 'networks', 'configure']],
    ['net@gw', ON_NET, {}, ['settings', 'configure']],
    ['a room', ON_ROOM, {}, ['room', 'configure']],
    ['gw in fixed-network mode: biboumi names it server-configure', ON_GW, { fixedNetwork: NET }, ['settings', 'server-configure']],
    ['a room in fixed-network mode', { network: NET, channel: '#jabirc', jid: `#jabirc@${GW}` }, { fixedNetwork: NET }, ['room', 'configure']],
  ])('%s', (_name, entity, extra, expected) => {
    expect(nodes(entity, extra)).toEqual(expected);
  });

  it('server-configure does not exist outside fixed-network mode, nor configure on gw inside it', () => {
    expect(thrown(() => commands().handle(commandIq(ON_NET, { node: 'server-configure' }), context(ON_NET))).condition).toBe('item-not-found');
    expect(thrown(() => commands().handle(commandIq(ON_GW, { node: 'configure' }), context(ON_GW, new MemoryPorts(), { fixedNetwork: NET }))).condition).toBe(
      'item-not-found',
    );
  });

  it('disco#info of configure on a room is a command node (XEP-0050 §2.3)', () => {
    const iq = xml('iq', { type: 'get', id: 'd', from: `${ALICE}/laptop`, to: ON_ROOM.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'configure' }));
    const query = commands().handle(iq, context(ON_ROOM)).replies[0]?.getChild('query');
    expect(query?.getChild('identity')?.attrs).toMatchObject({ category: 'automation', type: 'command-node', name: "Configure this room (biboumi's configure)" });
  });
});

describe('configure on gw: biboumi global options onto defaults', () => {
  it('shows our defaults under the names biboumi uses; saves nick and realname; names what it left out', () => {
    const ports = new MemoryPorts();
    const out = configure(ON_GW, context(ON_GW, ports), {
      nick: 'alice',
      realname: 'Alice A.',
      record_history: 'true',
      max_history_length: '20',
      persistent: 'true',
      sasl_password: 'pw',
    });
    expect(Object.keys(fieldValues(out.form))).toEqual(['nick', 'username', 'realname']);
    expect(out.status).toBe('completed');
    expect(ports.get(ALICE, '')).toEqual({ nick: 'alice', realname: 'Alice A.' });
    expect(out.note).toBe(
      'Saved your defaults; they apply the next time Jabirc connects you to a network. Not applied: ' +
        'record_history (history is configured by the operator); max_history_length (history is configured by the operator); ' +
        "persistent (Jabirc has no all-channels default: set persistent in each room's configure); " +
        'sasl_password (a per-network setting: use configure on the network (net@gw)).',
    );
  });

  it('a submission of only our own fields completes with our note', () => {
    const out = configure(ON_GW, context(ON_GW), { nick: 'al' });
    expect(out.note).toBe('Saved your defaults; they apply the next time Jabirc connects you to a network.');
  });
});

describe('configure on net@gw: biboumi server options onto settings', () => {
  it('shows the settings under biboumi names, secrets empty', () => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, { serverPassword: 'secret', afterConnect: ['PRIVMSG NickServ :IDENTIFY x'], encoding: 'windows-1252' });
    const { form } = configure(ON_NET, context(ON_NET, ports), {});
    const values = fieldValues(form);
    expect(Object.keys(values)).toEqual([
      'nick', 'username', 'realname', 'tls', 'verify_cert', 'port', 'sasl_account', 'sasl_password', 'nickserv_password', 'pass',
      'after_connect_commands', 'encoding_in', 'forget',
    ]);
    expect(values.pass).toEqual([]);
    expect(values.after_connect_commands).toEqual([]);
    expect(values.encoding_in).toEqual(['windows-1252']);
  });

  it('takes every biboumi field it has a setting for, and names the rest', () => {
    const ports = new MemoryPorts();
    const out = configure(ON_NET, context(ON_NET, ports), {
      nick: 'alice',
      username: 'al',
      realname: 'Alice',
      sasl_password: 'sasl-pw',
      pass: 'server-pw',
      after_connect_commands: ['MODE alice +R', 'JOIN #secret key'],
      ports: ['6667'],
      tls_ports: ['7000', '6697'],
      verify_cert: 'false',
      encoding_in: 'latin1',
      encoding_out: 'ISO-8859-1',
      throttle_limit: '10',
      max_history_length: '20',
      fingerprint: '',
      address: 'irc.eu.libera.chat',
    });
    expect(out.status).toBe('completed');
    expect(ports.get(ALICE, NET)).toEqual({
      nick: 'alice',
      username: 'al',
      realname: 'Alice',
      saslPassword: 'sasl-pw',
      serverPassword: 'server-pw',
      afterConnect: ['MODE alice +R', 'JOIN #secret key'],
      port: 7000, // TLS is the operator's default here, so it stays unset
      verifyCertificate: false,
      encoding: 'windows-1252',
    });
    expect(out.note).toBe(
      `Saved; the settings apply the next time Jabirc connects you to ${NET}. Not applied: ` +
        'encoding_out (Jabirc always sends UTF-8); throttle_limit (flood control is the operator\'s); ' +
        'max_history_length (history is configured by the operator); ' +
        'fingerprint (Jabirc pins no certificate: it verifies against the system CAs, or not at all (verify_cert)); ' +
        "address (where a network is reached is the operator's setting ([irc.networks] host)); " +
        'ports (Jabirc connects on one port (7000 with TLS); 6697 (TLS), 6667 not used).',
    );
  });

  it.each<[string, Record<string, string[]>, { port?: number; tls?: boolean }]>([
    ["biboumi's defaults: back to the operator's", { ports: ['6667'], tls_ports: ['6697', '6670'] }, {}],
    ['both empty: back to the operator’s', { ports: [], tls_ports: [] }, {}],
    ['plain ports only: the first, without TLS', { ports: ['6668', '6669'], tls_ports: [] }, { port: 6668, tls: false }],
    ['only the ports field: no TLS', { ports: ['6667'] }, { port: 6667, tls: false }],
  ])('ports: %s', (_name, fields, expected) => {
    const ports = new MemoryPorts();
    ports.set(ALICE, NET, { port: 7000, tls: false });
    configure(ON_NET, context(ON_NET, ports), fields);
    expect(ports.get(ALICE, NET)).toEqual(expected);
  });

  it('our own port and tls fields win over biboumi’s lists, which are named', () => {
    const ports = new MemoryPorts();
    const out = configure(ON_NET, context(ON_NET, ports), { port: '6660', ports: ['6667'], tls: 'false' });
    expect(ports.get(ALICE, NET)).toEqual({ port: 6660, tls: false });
    expect(out.note).toContain('Not applied: ports, tls_ports (the port and tls fields were given too, and used).');
  });

  it('a field given under both names: ours is used, biboumi’s named', () => {
    const ports = new MemoryPorts();
    const out = configure(ON_NET, context(ON_NET, ports), { pass: 'a', server_password: 'b' });
    expect(ports.get(ALICE, NET)).toEqual({ serverPassword: 'b' });
    expect(out.note).toContain('Not applied: pass (server_password was given too, and used).');
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['a port that is not one', { tls_ports: ['69x7'] }, 'field "tls_ports": "69x7" is not a port (1 to 65535)'],
    ['an encoding under its biboumi name', { encoding_in: 'klingon' }, 'field "encoding_in": "klingon" is not an encoding label'],
    ['an after-connect command with a leading slash', { after_connect_commands: ['/msg NickServ x'] }, 'field "after_connect_commands": line 1 is not an IRC command line'],
    ['a boolean', { verify_cert: 'maybe' }, 'field "verify_cert": must be true or false'],
  ])('refuses %s with bad-payload naming the field as the form shows it (XEP-0050 §4.6)', (_name, fields, text) => {
    const ports = new MemoryPorts();
    const out = configure(ON_NET, context(ON_NET, ports), fields);
    expect(out.error?.specific).toBe('bad-payload');
    expect(out.error?.text).toContain(text);
    expect(ports.get(ALICE, NET)).toBeUndefined();
  });

  it('in fixed-network mode server-configure on gw edits the network', () => {
    const ports = new MemoryPorts();
    const out = configure(ON_GW, context(ON_GW, ports, { fixedNetwork: NET }), { nick: 'alice', pass: 'pw' }, 'server-configure');
    expect(out.status).toBe('completed');
    expect(ports.get(ALICE, NET)).toEqual({ nick: 'alice', serverPassword: 'pw' });
  });
});

describe('configure on a room: biboumi channel options onto room', () => {
  it('persistent and encoding_in are applied; encoding_out and record_history named', () => {
    const ports = new MemoryPorts();
    const roomEncodings = new MemoryRoomEncodings();
    const ctx = context(ON_ROOM, ports, { roomEncodings });
    const out = configure(ON_ROOM, ctx, { persistent: 'true', encoding_in: 'koi8-r', encoding_out: 'koi8-r', record_history: 'unset' });
    expect(Object.keys(fieldValues(out.form))).toEqual(['persistent', 'key', 'encoding_in']);
    expect(ports.rooms).toEqual([{ user: ALICE, network: NET, channel: '#jabirc', nick: 'alice' }]);
    expect(roomEncodings.get(ALICE, NET, '#jabirc')).toBe('koi8-r');
    expect(out.note).toBe(
      'Saved. #jabirc stays joined while you are offline. Not applied: encoding_out (Jabirc always sends UTF-8); record_history (history is configured by the operator).',
    );
  });

  it('without a room encoding store, encoding_in is named as not kept', () => {
    const out = configure(ON_ROOM, context(ON_ROOM), { encoding_in: 'koi8-r', nick: 'x' });
    expect(Object.keys(fieldValues(out.form))).toEqual(['persistent', 'key']);
    expect(out.note).toContain(
      'Not applied: encoding_in (this gateway keeps no per-room encoding); nick (a per-network setting: use configure on the network (net@gw)).',
    );
  });
});

describe('biboumi port lists (core/biboumi.ts)', () => {
  it.each<[string, string | string[], string[]]>([
    ['a column with a trailing ;', '6697;6670;', ['6697', '6670']],
    ['an empty column', '', []],
    ['form values, one of them a list', ['6667', ' 6668;6669 '], ['6667', '6668', '6669']],
  ])('splits %s', (_name, input, expected) => {
    expect(splitBiboumiPorts(input)).toEqual(expected);
  });

  it.each<[string, string[], string[], BiboumiPorts, string | undefined]>([
    ["biboumi's defaults", ['6667'], ['6697', '6670'], { kind: 'ports', unused: [] }, undefined],
    ['nothing', [], [], { kind: 'ports', unused: [] }, undefined],
    ['TLS first, as biboumi tries them', ['6667'], ['7000'], { kind: 'ports', port: 7000, tls: true, unused: ['6667'] }, 'Jabirc connects on one port (7000 with TLS); 6667 not used'],
    ['plain only', ['6668'], [], { kind: 'ports', port: 6668, tls: false, unused: [] }, undefined],
    ['a port out of range', ['65536'], [], { kind: 'error', field: 'ports', text: '"65536" is not a port (1 to 65535)' }, undefined],
    ['zero', [], ['0'], { kind: 'error', field: 'tls_ports', text: '"0" is not a port (1 to 65535)' }, undefined],
  ])('%s', (_name, plain, tls, expected, unused) => {
    const got = portsFromBiboumi(plain, tls);
    expect(got).toEqual(expected);
    expect(unusedPortsText(got)).toBe(unused);
  });
});
