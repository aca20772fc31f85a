/**
 * What an operator runs beside the gateway (issue 12), end to end: real Prosody, real
 * InspIRCd with its ident module, Jabirc as a child process with `[metrics]` and
 * `[identd]` listening.
 *
 * - identd: InspIRCd asks our identd (RFC 1413, 127.0.0.1:113) for every client; WHOIS
 *   shows each gateway user's own ident, and a client that is not ours gets NO-USER
 *   (InspIRCd then shows its `~user`).
 * - metrics: counters scraped before and after real traffic moved by exactly what the
 *   traffic was; reconnects after the IRC server restarts are counted.
 * - backup: `jabirc backup` copies the live database while the gateway runs.
 * - reload: SIGHUP applies a new network without touching the connections; an admin's
 *   `reload` command (XEP-0050) does the same, and a new log level applies at once.
 * - health: /healthz stays 200; /readyz (and `jabirc healthcheck`, the Docker
 *   HEALTHCHECK) turns 503 when the component link is lost.
 *
 * Port 113 is fixed by InspIRCd's ident module, so only this file may listen on it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identFor } from '../../src/adapters/ident-protocol.js';
import { JABIRC_MAIN, jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import { freePorts, startInspircd, startProsody, type IrcServer, type XmppServer } from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const GW = 'irc.localhost';
const uid = (): string => randomBytes(3).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function room(channel: string): string {
  return `${channel}%localhost@${GW}`;
}

function condition(el: Element): string | undefined {
  return el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

describe('operations: identd, metrics, backup, health', () => {
  let xmppServer: XmppServer;
  let ircServer: IrcServer;
  let gw: JabircProcess;
  let metricsPort: number;
  const cleanups: Array<() => Promise<unknown>> = [];
  let alice: XmppUser;
  let bob: XmppUser;
  let watcher: IrcUser;
  const channel = `#o${uid()}`;
  let configToml: (more?: string, domains?: string[], logLevel?: string) => string;
  /** The localpart of the one admin (`access.admins`), a user made for the reload command. */
  const adminName = `a${uid()}`;

  const base = (): string => `http://127.0.0.1:${metricsPort}`;

  /** One scrape as sample → value (`name{labels}` exactly as exposed). */
  async function scrape(): Promise<Map<string, number>> {
    const body = await (await fetch(`${base()}/metrics`)).text();
    const samples = new Map<string, number>();
    for (const line of body.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const i = line.lastIndexOf(' ');
      samples.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return samples;
  }

  async function xmppUser(username = `u${uid()}`): Promise<XmppUser> {
    const password = `p-${uid()}`;
    await xmppServer.addUser({ username, password });
    const u = await connectXmppUser({ host: xmppServer.host, port: xmppServer.c2sPort, domain: xmppServer.domain, username, password });
    cleanups.push(() => u.stop());
    await u.send(xml('presence'));
    return u;
  }

  /** Joins under the JID's localpart: with no registered nick, the nick asked for is the IRC nick. */
  async function join(u: XmppUser, ch: string): Promise<void> {
    await u.send(xml('presence', { to: `${room(ch)}/${u.bareJid.split('@')[0]}` }, xml('x', { xmlns: NS_MUC })));
    await u.waitFor((e) => e.name === 'message' && e.getChild('subject') !== undefined && (e.attrs.from ?? '').startsWith(room(ch)), 30_000);
  }

  /** The user field of WHOIS (RPL_WHOISUSER 311, RFC 2812 §5.1) for `nick`. */
  async function whoisUser(nick: string): Promise<string> {
    watcher.send(`WHOIS ${nick}`);
    const reply = await watcher.waitFor((m) => m.command === '311' && m.params[1]?.toLowerCase() === nick.toLowerCase());
    return reply.params[2]!;
  }

  beforeAll(async () => {
    [xmppServer, ircServer] = await Promise.all([
      startProsody({ component: { domain: GW, secret: `s-${uid()}` } }),
      startInspircd({ ident: true }),
    ]);
    [metricsPort] = await freePorts(1);
    const dir = await jabircDir();
    const extra = (): string => [
      // Still in [access], which the harness's file ends with.
      `admins = ["${adminName}@${xmppServer.domain}"]`,
      '[irc]',
      'allow_private_addresses = true',
      'connect_timeout_ms = 20000',
      '[irc.networks."localhost"]',
      'host = "127.0.0.1"',
      `port = ${ircServer.port}`,
      'tls = false',
      '[metrics]',
      `listen = "127.0.0.1:${metricsPort}"`,
      '[identd]',
      'listen = "127.0.0.1:113"',
    ].join('\n');
    configToml = (more = '', domains = [xmppServer.domain], logLevel = 'debug') =>
      jabircConfig(dir, {
        componentJid: GW,
        secret: xmppServer.component.secret,
        host: xmppServer.host,
        port: xmppServer.componentPort,
        domains,
        logLevel,
        extra: `${extra()}\n${more}`,
      });
    gw = await startJabirc(dir, { configToml: configToml() });
    try {
      await gw.waitForLog('component online', 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${gw.output()}`);
    }
    watcher = await connectIrcUser(ircServer.host, ircServer.port, `w${uid()}`);
    cleanups.push(() => watcher.stop());
    watcher.send(`JOIN ${channel}`);
    await watcher.waitFor((m) => m.command === '366');
    [alice, bob] = await Promise.all([xmppUser(), xmppUser()]);
    await join(alice, channel);
    await join(bob, `#o${uid()}`);
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.log(`--- Jabirc output ---\n${gw?.output().slice(-8000)}\n--- IRC server ---\n${ircServer?.logs().slice(-3000)}`);
    }
  });

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await gw?.stop();
    await Promise.all([xmppServer?.stop(), ircServer?.stop()]);
  });

  it('identd: WHOIS shows each user’s own ident; a client that is not ours got NO-USER', async () => {
    const [aliceIdent, bobIdent] = [identFor(alice.bareJid, 'hash'), identFor(bob.bareJid, 'hash')];
    expect(aliceIdent).not.toBe(bobIdent);
    expect(await whoisUser(alice.bareJid.split('@')[0]!)).toBe(aliceIdent);
    expect(await whoisUser(bob.bareJid.split('@')[0]!)).toBe(bobIdent);
    // The watcher is a plain client: InspIRCd asked, we said NO-USER, it shows ~ and the USER name.
    expect(await whoisUser(watcher.nick)).toBe(`~${watcher.nick}`);
    const queries = gw.logLines().filter((l) => l.msg === 'ident query' && l.remotePort === ircServer.port);
    expect(queries.filter((l) => l.found === true)).toHaveLength(2);
    expect(queries.filter((l) => l.found === false).length).toBeGreaterThanOrEqual(1);
  });

  it('metrics: counters move by exactly the traffic', async () => {
    const before = await scrape();
    const delta = (after: Map<string, number>, sample: string): number => (after.get(sample) ?? 0) - (before.get(sample) ?? 0);

    for (const n of [1, 2, 3]) await alice.send(xml('message', { to: room(channel), type: 'groupchat', id: `m${n}` }, xml('body', {}, `to irc ${n}`)));
    for (const n of [1, 2, 3]) await watcher.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `to irc ${n}`);
    for (const n of [1, 2, 3]) await alice.waitFor((e) => e.name === 'message' && e.attrs.id === `m${n}`); // reflections
    watcher.send(`PRIVMSG ${channel} :to xmpp 1`);
    watcher.send(`PRIVMSG ${channel} :to xmpp 2`);
    for (const n of [1, 2]) await alice.waitFor((e) => e.name === 'message' && e.getChildText('body') === `to xmpp ${n}`);
    const errors = await Promise.all(
      [1, 2].map(() => alice.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: 'urn:example:nothing' })))),
    );
    const cond = condition(errors[0]!);
    expect(errors.map((e) => e.attrs.type)).toEqual(['error', 'error']);
    expect(condition(errors[1]!)).toBe(cond);

    const after = await scrape();
    expect(delta(after, 'jabirc_xmpp_stanzas_received_total{kind="message"}')).toBe(3);
    expect(delta(after, 'jabirc_xmpp_stanzas_received_total{kind="iq"}')).toBe(2);
    expect(delta(after, 'jabirc_messages_relayed_total{direction="xmpp_to_irc"}')).toBe(3);
    // 2 from IRC, plus the 3 reflections of Alice's own messages (XEP-0045 §7.2.13).
    expect(delta(after, 'jabirc_messages_relayed_total{direction="irc_to_xmpp"}')).toBe(5);
    expect(delta(after, `jabirc_xmpp_stanza_errors_sent_total{condition="${cond}"}`)).toBe(2);
    expect(delta(after, 'jabirc_xmpp_stanzas_sent_total{kind="iq"}')).toBe(2);
    // 3 PRIVMSGs out; in: their 3 echo-message echoes and the watcher's 2 (PINGs may add more).
    expect(delta(after, 'jabirc_irc_lines_sent_total{network="localhost"}')).toBeGreaterThanOrEqual(3);
    expect(delta(after, 'jabirc_irc_lines_received_total{network="localhost"}')).toBeGreaterThanOrEqual(5);
    expect(after.get('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(2);
    expect(after.get('jabirc_irc_send_queue_lines{network="localhost"}')).toBe(0);
    expect(after.get('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(2);
    expect(after.get('jabirc_xmpp_component_online')).toBe(1);
    expect(after.get('jabirc_xmpp_send_queue_stanzas')).toBe(0);
    expect(after.get('jabirc_sqlite_statement_duration_seconds_count{kind="read"}')).toBeGreaterThan(0); // the joins read identities
    expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(after.has('process_cpu_seconds_total')).toBe(true);
    const body = await (await fetch(`${base()}/metrics`)).text();
    expect(body).not.toContain(alice.bareJid);
    expect(body).not.toContain(channel);

    // The core's gauges: Alice and Bob have one session each; a join adds a channel, not a session.
    expect(after.get('jabirc_sessions')).toBe(2);
    await join(alice, `#g${uid()}`);
    const joined = await scrape();
    expect(joined.get('jabirc_sessions')).toBe(2);
    expect((joined.get('jabirc_irc_channels_joined') ?? 0) - (after.get('jabirc_irc_channels_joined') ?? 0)).toBe(1);
    expect(joined.get('jabirc_irc_channels_joined')).toBe(3);
  });

  it('metrics: an IRC server restart is counted as one reconnect per user, and the gauges recover', async () => {
    const before = await scrape();
    await ircServer.restart();
    let after = await scrape();
    for (let i = 0; i < 300 && after.get('jabirc_irc_connections{network="localhost",state="registered"}') !== 2; i++) {
      await sleep(200);
      after = await scrape();
    }
    expect(after.get('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(2);
    const moved = (s: string): number => (after.get(s) ?? 0) - (before.get(s) ?? 0);
    const reconnects = moved('jabirc_irc_reconnect_attempts_total{network="localhost"}');
    expect(reconnects).toBeGreaterThanOrEqual(2);
    // Every connection opened since was a reconnect.
    expect(moved('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(reconnects);
  }, 90_000);

  it('backup: `jabirc backup` copies the live database while the gateway runs', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'jabirc-backup-')), 'copy.sqlite');
    const r = spawnSync(process.execPath, [JABIRC_MAIN, 'backup', out, '--config', gw.configFile], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`copied to ${out}`);
    const live = new Database(path.join(gw.dir, 'jabirc.sqlite'), { readonly: true });
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('user_version', { simple: true })).toBe(live.pragma('user_version', { simple: true }));
    const tables = (db: Database.Database): unknown[] => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables(copy)).toEqual(tables(live));
    expect(copy.prepare('SELECT count(*) FROM users').pluck().get()).toBe(live.prepare('SELECT count(*) FROM users').pluck().get());
    live.close();
    copy.close();
  });

  it('reload: SIGHUP applies a new network live, names what needs a restart, refuses a broken file; no connection is touched', async () => {
    const before = await scrape();
    const second = `#r${uid()}`;
    const roomOnSecond = `${second}%second.localhost@${GW}`;
    const tryJoin = async (): Promise<Element> => {
      await bob.send(xml('presence', { to: `${roomOnSecond}/me` }, xml('x', { xmlns: NS_MUC })));
      return bob.waitFor((e) => (e.attrs.from ?? '').startsWith(roomOnSecond) && (e.attrs.type === 'error' || e.getChild('subject') !== undefined), 30_000);
    };
    expect((await tryJoin()).attrs.type).toBe('error');

    const network = `[irc.networks."second.localhost"]\nhost = "127.0.0.1"\nport = ${ircServer.port}\ntls = false\n`;
    // The archive's retention is set at start: a key that needs a restart.
    await writeFile(gw.configFile, configToml(`${network}\n[history]\nretention_days = 7\n`, [xmppServer.domain, 'other.example']));
    gw.child.kill('SIGHUP');
    const reloaded = await gw.waitForLog('configuration reloaded');
    expect(reloaded.applied).toEqual(expect.arrayContaining(['irc.networks.second.localhost.port', 'access.domains']));
    const warned = gw.logLines().find((l) => l.msg === 'configuration changes that need a restart were not applied');
    expect(warned?.keys).toEqual(['history.retention_days']);
    const joined = await tryJoin();
    expect(joined.attrs.type).not.toBe('error');
    expect(joined.getChild('subject')).toBeDefined();

    await writeFile(gw.configFile, 'this is [ not TOML');
    gw.child.kill('SIGHUP');
    const refused = await gw.waitForLog('configuration reload refused; the running configuration stays');
    expect(refused.reason).toContain('TOML syntax error');
    expect((await fetch(`${base()}/readyz`)).status).toBe(200);
    await writeFile(gw.configFile, configToml(network, [xmppServer.domain, 'other.example'])); // for the next tests' tools

    const after = await scrape();
    // The connections on localhost were not touched; one new one on the new network.
    expect(after.get('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(before.get('jabirc_irc_connection_attempts_total{network="localhost"}'));
    expect(after.get('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(2);
    expect(after.get('jabirc_irc_connections{network="second.localhost",state="registered"}')).toBe(1);
    expect(gw.logLines().filter((l) => l.msg === 'configuration reloaded')).toHaveLength(1);
  });

  it('reload: a change of access.domains applies at once, with the IRC connections untouched', async () => {
    const before = await scrape();
    const pingGateway = async (): Promise<Element> => bob.iq(xml('iq', { type: 'get', to: GW }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect((await pingGateway()).attrs.type).toBe('result');
    const reloads = gw.logLines().filter((l) => l.msg === 'configuration reloaded').length;
    await writeFile(gw.configFile, configToml('', ['other.example']));
    gw.child.kill('SIGHUP');
    await gw.waitForLog('configuration reloaded', 10_000, () => gw.logLines().filter((l) => l.msg === 'configuration reloaded').length > reloads);
    const refused = await pingGateway();
    expect([refused.attrs.type, condition(refused)]).toEqual(['error', 'forbidden']);
    await writeFile(gw.configFile, configToml('', [xmppServer.domain]));
    gw.child.kill('SIGHUP');
    await gw.waitForLog('configuration reloaded', 10_000, () => gw.logLines().filter((l) => l.msg === 'configuration reloaded').length > reloads + 1);
    expect((await pingGateway()).attrs.type).toBe('result');
    const after = await scrape();
    expect(after.get('jabirc_irc_connection_attempts_total{network="localhost"}')).toBe(before.get('jabirc_irc_connection_attempts_total{network="localhost"}'));
    expect(after.get('jabirc_irc_connections{network="localhost",state="registered"}')).toBe(before.get('jabirc_irc_connections{network="localhost",state="registered"}'));
  });

  it('reload: an admin’s reload command reloads as SIGHUP does, a new log.level at once; a user may not run it', async () => {
    const admin = await xmppUser(adminName);
    const reloadCommand = (u: XmppUser): Promise<Element> =>
      u.iq(xml('iq', { type: 'set', to: GW }, xml('command', { xmlns: NS_COMMANDS, node: 'reload', action: 'execute' })));
    const noteOf = (reply: Element): string | undefined => reply.getChild('command', NS_COMMANDS)?.getChildText('note') ?? undefined;
    const reloads = (): number => gw.logLines().filter((l) => l.msg === 'configuration reloaded').length;
    const before = reloads();
    expect(condition(await reloadCommand(bob))).toBe('forbidden');

    await writeFile(gw.configFile, configToml('', [xmppServer.domain], 'warn'));
    const quiet = await reloadCommand(admin);
    expect([quiet.attrs.type, noteOf(quiet)]).toEqual(['result', 'Reloaded: applied log.level.']);
    await writeFile(gw.configFile, configToml('', [xmppServer.domain]));
    expect(noteOf(await reloadCommand(admin))).toBe('Reloaded: applied log.level.');
    await gw.waitForLog('configuration reloaded', 10_000, () => reloads() > before);
    // At warn the first reload's own info line was not written (it would have come first
    // down the same pipe); back at debug the second's was.
    expect(reloads()).toBe(before + 1);
  });

  it('reload: moving the metrics listener applies at once; the old address stops answering', async () => {
    const old = metricsPort;
    const [moved] = await freePorts(1);
    metricsPort = moved!;
    const restarts = () => gw.logLines().filter((l) => l.msg === 'listeners restarted').length;
    const before = restarts();
    await writeFile(gw.configFile, configToml());
    gw.child.kill('SIGHUP');
    await gw.waitForLog('listeners restarted', 10_000, () => restarts() > before);
    expect((await fetch(`http://127.0.0.1:${moved}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${old}/healthz`)).rejects.toThrow();
  });

  it('health: /healthz and /readyz are 200 while online; /readyz turns 503 when the component link is lost', async () => {
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base()}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    const check = () => spawnSync(process.execPath, [JABIRC_MAIN, 'healthcheck', '--config', gw.configFile], { encoding: 'utf8' });
    expect(check()).toMatchObject({ status: 0, stdout: 'ready\n' });
    await xmppServer.stop();
    let r = await fetch(`${base()}/readyz`);
    for (let i = 0; i < 100 && r.status === 200; i++) {
      await sleep(100);
      r = await fetch(`${base()}/readyz`);
    }
    expect([r.status, await r.text()]).toEqual([503, 'component link offline\n']);
    expect(check()).toMatchObject({ status: 1, stderr: `jabirc: unhealthy: ${base()}/readyz: 503 component link offline\n` });
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
  });
});
