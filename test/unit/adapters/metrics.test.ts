/**
 * GatewayMetrics fed by hand the inputs and effects the runtime would see, then scraped:
 * each counter moves by the expected amount, labels stay bounded.
 */
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { IrcConnectionInfo } from '../../../src/adapters/irc-pool.js';
import { GatewayMetrics } from '../../../src/adapters/metrics.js';
import { connKey, type IrcConnectParams } from '../../../src/core/effects.js';
import { GroupchatTemplates } from '../../../src/core/muc-stanzas.js';
import { wireText } from '../../../src/core/stanza.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

function setup(conns: IrcConnectionInfo[] = []) {
  const state = { online: true };
  const metrics = new GatewayMetrics({
    networkLabel: (n) => (n === 'irc.libera.chat' || n === 'localhost' ? n : 'unlisted'),
    ircConnections: () => conns,
    componentOnline: () => state.online,
    eventLoopDelay: () => ({ p50Ms: 0.5, p99Ms: 4, maxMs: 12, samples: 300, busySeconds: 3 }),
    version: '9.9.9',
  });
  /** The value of one sample line, e.g. `jabirc_irc_lines_sent_total{network="localhost"}`; 0 when absent. */
  const value = async (sample: string): Promise<number> => {
    const { body } = await metrics.scrape();
    const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  };
  return { metrics, state, value };
}

const params = (network: string): IrcConnectParams => ({
  network,
  host: network,
  port: 6667,
  tls: false,
  nick: 'n',
  username: 'u',
  realname: 'r',
  allowPrivateAddresses: true,
});

const errorStanza = (condition: string) =>
  xml('iq', { type: 'error', to: 'a@b/c' }, xml('error', { type: 'cancel' }, xml(condition, { xmlns: NS_STANZAS }), xml('text', { xmlns: NS_STANZAS })));

describe('GatewayMetrics', () => {
  it('exposes the event-loop delay while busy, in seconds, by quantile', async () => {
    const { value } = setup();
    expect(await value('jabirc_event_loop_delay_seconds{quantile="0.5"}')).toBe(0.0005);
    expect(await value('jabirc_event_loop_delay_seconds{quantile="0.99"}')).toBe(0.004);
    expect(await value('jabirc_event_loop_delay_seconds{quantile="1"}')).toBe(0.012);
  });

  it('counts stanzas in and out by kind, errors by condition, relayed messages by direction', async () => {
    const { metrics, value } = setup();
    metrics.stanzaIn(xml('message', {}, xml('body', {}, 'hi')));
    metrics.stanzaIn(xml('presence'));
    metrics.stanzaIn(xml('presence'));
    metrics.stanzaIn(xml('handshake'));
    metrics.effect({ kind: 'send-stanza', stanza: xml('message', { type: 'groupchat' }, xml('body', {}, 'hi')) });
    metrics.effect({ kind: 'send-stanza', stanza: xml('message', { type: 'groupchat' }, xml('subject', {}, 'topic')) });
    metrics.effect({ kind: 'send-stanza', stanza: errorStanza('item-not-found') });
    metrics.effect({ kind: 'send-stanza', stanza: errorStanza('item-not-found') });
    metrics.effect({ kind: 'send-stanza', stanza: errorStanza('made-up') });
    const key = connKey('a@b', 'localhost');
    metrics.effect({ kind: 'irc-send', key, lines: ['PRIVMSG #c :one', 'PRIVMSG #c :two', 'NOTICE x :three', 'JOIN #c', 'MODE #c'] });
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="message"}')).toBe(1);
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="presence"}')).toBe(2);
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="other"}')).toBe(1);
    expect(await value('jabirc_xmpp_stanzas_sent_total{kind="message"}')).toBe(2);
    expect(await value('jabirc_xmpp_stanzas_sent_total{kind="iq"}')).toBe(3);
    expect(await value('jabirc_xmpp_stanza_errors_sent_total{condition="item-not-found"}')).toBe(2);
    expect(await value('jabirc_xmpp_stanza_errors_sent_total{condition="other"}')).toBe(1);
    expect(await value('jabirc_messages_relayed_total{direction="irc_to_xmpp"}')).toBe(1);
    expect(await value('jabirc_messages_relayed_total{direction="xmpp_to_irc"}')).toBe(3);
  });

  it('shows every count at every scrape: what was counted since the last one is added to it', async () => {
    const { metrics, value } = setup();
    const key = connKey('a@b', 'localhost');
    metrics.stanzaIn(xml('message', {}, xml('body', {}, 'hi')));
    metrics.ircLineOut(key);
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="message"}')).toBe(1);
    // A second read with nothing new in between: the same totals, not counted twice.
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="message"}')).toBe(1);
    expect(await value('jabirc_irc_lines_sent_total{network="localhost"}')).toBe(1);
    for (let i = 0; i < 3; i++) metrics.stanzaIn(xml('message', {}, xml('body', {}, 'hi')));
    metrics.ircLineOut(key);
    metrics.effect({ kind: 'irc-send', key, lines: ['PRIVMSG #c :one', 'PRIVMSG #c :two'] });
    expect(await value('jabirc_xmpp_stanzas_received_total{kind="message"}')).toBe(4);
    expect(await value('jabirc_irc_lines_sent_total{network="localhost"}')).toBe(2);
    expect(await value('jabirc_messages_relayed_total{direction="xmpp_to_irc"}')).toBe(2);
    // prom-client's JSON reads the same values.
    const json = await metrics.registry.getMetricsAsJSON();
    const received = json.find((m) => m.name === 'jabirc_xmpp_stanzas_received_total');
    expect(received?.values).toEqual([{ value: 4, labels: { kind: 'message' } }]);
  });

  it('counts the gateway\'s templated channel lines and reflections as relayed, and leaves them as they are', async () => {
    const { metrics, value } = setup();
    const templates = new GroupchatTemplates();
    const line = { from: '#c%irc@gw/bob', id: 'l1', body: 'hi all', stanzaId: 'l1', roomJid: '#c%irc@gw', occupantId: 'o1' };
    const copies = [
      templates.message({ ...line, to: 'alice@x/phone' }),
      templates.message({ ...line, to: 'carol@x/pc' }),
      templates.ownMessage({ ...line, from: '#c%irc@gw/alice', to: 'alice@x/phone', id: 'm1', stanzaId: 's1' }),
    ];
    const before = copies.map(wireText);
    for (const stanza of copies) metrics.effect({ kind: 'send-stanza', stanza });
    expect(await value('jabirc_messages_relayed_total{direction="irc_to_xmpp"}')).toBe(3);
    expect(copies.map(wireText)).toEqual(before);
    expect(copies.map((c) => c.getChildText('body'))).toEqual(['hi all', 'hi all', 'hi all']);
  });

  it('counts IRC lines and connections by network, unlisted networks under one label', async () => {
    const { metrics, value } = setup();
    const a = connKey('a@b', 'localhost');
    const x = connKey('a@b', 'some.where.else');
    metrics.ircLineIn(a);
    metrics.ircLineIn(a);
    metrics.ircLineOut(a);
    metrics.ircLineIn(x);
    metrics.effect({ kind: 'irc-connect', key: a, params: params('localhost') });
    metrics.ircEvent(x, { kind: 'closed', reason: 'private', refused: true });
    expect(await value('jabirc_irc_lines_received_total{network="localhost"}')).toBe(2);
    expect(await value('jabirc_irc_lines_sent_total{network="localhost"}')).toBe(1);
    expect(await value('jabirc_irc_lines_received_total{network="unlisted"}')).toBe(1);
    expect(await value('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(1);
    expect(await value('jabirc_irc_connections_refused_total{network="unlisted"}')).toBe(1);
    const { body } = await metrics.scrape();
    expect(body).not.toContain('some.where.else');
    expect(body).not.toContain('a@b');
  });

  it('counts a reconnect only after a connection ended without the core asking', async () => {
    const { metrics, value } = setup();
    const k = connKey('a@b', 'localhost');
    const connect = () => metrics.effect({ kind: 'irc-connect', key: k, params: params('localhost') });
    connect();
    metrics.ircEvent(k, { kind: 'registered', nick: 'n' });
    metrics.ircEvent(k, { kind: 'closed', reason: 'ping timeout' });
    connect(); // reconnect 1
    metrics.ircEvent(k, { kind: 'closed', reason: 'connection refused' });
    connect(); // reconnect 2
    metrics.effect({ kind: 'irc-quit', key: k, message: 'bye' });
    metrics.ircEvent(k, { kind: 'closed', reason: 'disconnected after QUIT' });
    connect(); // asked for: a fresh connection
    expect(await value('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(4);
    expect(await value('jabirc_irc_reconnect_attempts_total{network="localhost"}')).toBe(2);
  });

  it('reads connection states, IRC queues and the component queue when scraped', async () => {
    const conns: IrcConnectionInfo[] = [
      { network: 'localhost', state: 'registered', queued: 3 },
      { network: 'localhost', state: 'registered', queued: 0 },
      { network: 'localhost', state: 'connecting', queued: 1 },
      { network: 'elsewhere', state: 'registered', queued: 2 },
    ];
    const { metrics, state, value } = setup(conns);
    expect(await value('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(2);
    expect(await value('jabirc_irc_connections{network="localhost",state="connecting"}')).toBe(1);
    expect(await value('jabirc_irc_connections{network="unlisted",state="registered"}')).toBe(1);
    expect(await value('jabirc_irc_send_queue_lines{network="localhost"}')).toBe(4);
    expect(await value('jabirc_irc_send_queue_lines{network="unlisted"}')).toBe(2);
    conns.splice(0, 2);
    expect(await value('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(0);

    expect(await value('jabirc_xmpp_component_online')).toBe(1);
    state.online = false;
    metrics.effect({ kind: 'send-stanza', stanza: xml('presence') });
    metrics.effect({ kind: 'send-stanza', stanza: xml('presence') });
    expect(await value('jabirc_xmpp_component_online')).toBe(0);
    expect(await value('jabirc_xmpp_send_queue_stanzas')).toBe(2);
    state.online = true;
    metrics.componentOnline();
    expect(await value('jabirc_xmpp_send_queue_stanzas')).toBe(0);
  });

  it('observes flood-control waits by network, in seconds', async () => {
    const { metrics, value } = setup();
    const k = connKey('a@b', 'localhost');
    metrics.pacingWait(k, 80);
    metrics.pacingWait(k, 400);
    metrics.pacingWait(k, 3000);
    expect(await value('jabirc_irc_pacing_wait_seconds_count{network="localhost"}')).toBe(3);
    expect(await value('jabirc_irc_pacing_wait_seconds_sum{network="localhost"}')).toBeCloseTo(3.48);
    expect(await value('jabirc_irc_pacing_wait_seconds_bucket{le="0.1",network="localhost"}')).toBe(1);
    expect(await value('jabirc_irc_pacing_wait_seconds_bucket{le="0.5",network="localhost"}')).toBe(2);
  });

  it('observes SQLite statement times by kind', async () => {
    const { metrics, value } = setup();
    metrics.sqliteStatement('read', 0.0002);
    metrics.sqliteStatement('write', 0.003);
    expect(await value('jabirc_sqlite_statement_duration_seconds_count{kind="read"}')).toBe(1);
    expect(await value('jabirc_sqlite_statement_duration_seconds_bucket{le="0.005",kind="write"}')).toBe(1);
    expect(await value('jabirc_sqlite_statement_duration_seconds_bucket{le="0.0025",kind="write"}')).toBe(0);
  });

  it('reads sessions and joined channels from the core when scraped; without that source there are no such gauges', async () => {
    const stats = { sessions: 2, channels: 5 };
    const metrics = new GatewayMetrics({
      networkLabel: (n) => n,
      ircConnections: () => [],
      componentOnline: () => true,
      bridgeStats: () => stats,
      version: '9.9.9',
    });
    const sample = async (name: string): Promise<string | undefined> =>
      (await metrics.scrape()).body.split('\n').find((l) => l.startsWith(`${name} `));
    expect(await sample('jabirc_sessions')).toBe('jabirc_sessions 2');
    expect(await sample('jabirc_irc_channels_joined')).toBe('jabirc_irc_channels_joined 5');
    stats.sessions = 1;
    stats.channels = 0;
    expect(await sample('jabirc_sessions')).toBe('jabirc_sessions 1');
    expect(await sample('jabirc_irc_channels_joined')).toBe('jabirc_irc_channels_joined 0');
    expect((await setup().metrics.scrape()).body).not.toContain('jabirc_sessions');
  });

  it('exposes the version, event-loop lag and process metrics', async () => {
    const { metrics, value } = setup();
    expect(await value('jabirc_build_info{version="9.9.9"}')).toBe(1);
    const { body, contentType } = await metrics.scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(body).toMatch(/^process_resident_memory_bytes /m);
  });
});
