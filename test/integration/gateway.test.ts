/**
 * Jabirc attached to real Prosody and ejabberd as an XEP-0114 component,
 * proven with a real XMPP client: the gateway entity answers disco, version
 * and ping through each server, every iq exactly once; the secret never
 * reaches the trace log; SIGTERM stops it cleanly; a wrong secret, a refused
 * connection and a config mistake each fail at start-up with one clear
 * message; a dropped link is restored.
 *
 * Only what Jabirc emits is asserted: where the XMPP server refuses a stanza
 * itself (a malformed address it will not route), the test checks Jabirc
 * never saw it rather than what the server said.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import {
  freePorts,
  LOOPBACK,
  startEjabberd,
  startProsody,
  type XmppServer,
  type XmppServerOptions,
} from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';
import {
  jabircConfig,
  jabircDir,
  LOG_LEVEL,
  startJabirc,
  type ConfigParams,
  type JabircProcess,
  type LogLine,
} from '../harness/jabirc.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_VERSION = 'jabber:iq:version';
const NS_PING = 'urn:xmpp:ping';

const GW = 'irc.localhost';
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** The defined condition of an error stanza (RFC 6120 §8.3.3). */
function condition(el: Element): string | undefined {
  return el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === NS_STANZAS && c.name !== 'text')?.name;
}

function ping(to: string, id?: string): Element {
  return xml('iq', { type: 'get', to, id }, xml('ping', { xmlns: NS_PING }));
}

/** Starts Jabirc against `server` and waits until it is online. */
async function startGateway(server: XmppServer, over: Partial<ConfigParams> = {}): Promise<JabircProcess> {
  const dir = await jabircDir();
  const jabirc = await startJabirc(dir, {
    configToml: jabircConfig(dir, {
      componentJid: server.component.domain,
      secret: server.component.secret,
      host: server.host,
      port: server.componentPort,
      domains: [server.domain],
      ...over,
    }),
  });
  try {
    await jabirc.waitForLog('component online', 30_000);
  } catch (err) {
    await jabirc.stop('SIGKILL');
    throw new Error(`${(err as Error).message}\n${jabirc.output()}`);
  }
  return jabirc;
}

/** The ids of stanzas Jabirc logged as received (trace-level `xmpp in`). */
function receivedIds(jabirc: JabircProcess): Set<string> {
  const ids = new Set<string>();
  for (const l of jabirc.logLines()) {
    if (l.msg !== 'xmpp in' || typeof l.xml !== 'string') continue;
    for (const m of l.xml.matchAll(/\sid=["']([^"']+)["']/g)) if (m[1]) ids.add(m[1]);
  }
  return ids;
}

const fatalLines = (j: JabircProcess): LogLine[] => j.logLines().filter((l) => l.level >= LOG_LEVEL.fatal);

const XMPP_SERVERS: Array<[string, (o: XmppServerOptions) => Promise<XmppServer>]> = [
  ['Prosody', startProsody],
  ['ejabberd', startEjabberd],
];

describe.each(XMPP_SERVERS)('Jabirc on %s', (_name, startServer) => {
  const secret = `s3cret-${randomBytes(12).toString('hex')}`;
  const alice = { username: 'alice', password: `pw-${randomBytes(6).toString('hex')}` };
  let server: XmppServer;
  let jabirc: JabircProcess;
  let user: XmppUser;
  /** Extra processes a test started, printed too when it fails. */
  const others: JabircProcess[] = [];
  const users: XmppUser[] = [];

  const connect = async (): Promise<XmppUser> => {
    const u = await connectXmppUser({ host: server.host, port: server.c2sPort, domain: server.domain, ...alice });
    users.push(u);
    return u;
  };

  beforeAll(async () => {
    server = await startServer({ component: { domain: GW, secret }, users: [alice] });
    try {
      jabirc = await startGateway(server);
      user = await connect();
    } catch (err) {
      console.error(server.logs());
      throw err;
    }
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.error(server?.logs());
      console.error(jabirc?.output());
      for (const o of others) console.error(o.output());
    }
    others.length = 0;
  });
  afterAll(async () => {
    await Promise.all(users.map((u) => u.stop()));
    await jabirc?.stop('SIGKILL');
    await server?.stop();
  });

  it('answers disco#info with the gateway/irc identity and only working features (XEP-0030 §3.1)', async () => {
    const r = await user.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: NS_DISCO_INFO })));
    expect(r.attrs.type).toBe('result');
    expect(r.attrs.from).toBe(GW);
    const query = r.getChild('query', NS_DISCO_INFO);
    const identity = query?.getChildren('identity').find((i) => i.attrs.category === 'gateway');
    expect(identity?.attrs.type).toBe('irc');
    expect(identity?.attrs.name).toMatch(/\S/);
    const features = query?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    expect(features).toEqual(
      expect.arrayContaining([NS_DISCO_INFO, NS_DISCO_ITEMS, NS_VERSION, NS_PING, 'http://jabber.org/protocol/muc', 'jabber:iq:register', 'jabber:iq:gateway', 'http://jabber.org/protocol/commands']),
    );
    for (const notYet of ['jabber:iq:search', 'urn:xmpp:mam:2']) {
      expect(features).not.toContain(notYet);
    }
  });

  it('answers disco#items (XEP-0030 §4.1)', async () => {
    const r = await user.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: NS_DISCO_ITEMS })));
    expect(r.attrs.type).toBe('result');
    expect(r.getChild('query', NS_DISCO_ITEMS)).toBeDefined();
  });

  it('answers software version with Jabirc and the package version (XEP-0092)', async () => {
    const r = await user.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: NS_VERSION })));
    expect(r.attrs.type).toBe('result');
    const query = r.getChild('query', NS_VERSION);
    expect(query?.getChildText('name')).toBe('Jabirc');
    expect(query?.getChildText('version')).toBe(PACKAGE_VERSION);
  });

  it('answers a ping (XEP-0199 §4.2)', async () => {
    const r = await user.iq(ping(GW));
    expect(r.attrs.type).toBe('result');
    expect(r.attrs.from).toBe(GW);
  });

  it('answers an unknown iq namespace with service-unavailable', async () => {
    const r = await user.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: 'urn:jabirc:test:nonexistent' })));
    expect(r.attrs.type).toBe('error');
    expect(condition(r)).toBe('service-unavailable');
  });

  it('answers disco#info on a node that does not exist with item-not-found', async () => {
    const r = await user.iq(xml('iq', { type: 'get', to: GW }, xml('query', { xmlns: NS_DISCO_INFO, node: 'no-such-node' })));
    expect(r.attrs.type).toBe('error');
    expect(condition(r)).toBe('item-not-found');
  });

  it('answers a message to the gateway with an error', async () => {
    const id = `msg-${randomBytes(4).toString('hex')}`;
    await user.send(xml('message', { type: 'chat', to: GW, id }, xml('body', {}, 'hello gateway')));
    const r = await user.waitFor((s) => s.is('message') && s.attrs.id === id);
    expect(r.attrs.type).toBe('error');
    expect(r.attrs.from).toBe(GW);
    expect(condition(r)).toBeDefined();
  });

  it('answers malformed addresses it receives with jid-malformed or item-not-found', async () => {
    const targets = [
      `weird\\@@${GW}`,
      `@${GW}`,
      `#%@${GW}`,
      `#chan%bad..net@${GW}`,
      `nick%-bad-@${GW}`,
      `%localhost@${GW}`,
      `#a b%localhost@${GW}`,
    ];
    const results = await Promise.all(
      targets.map(async (to, i) => {
        const id = `bad-${i}-${randomBytes(3).toString('hex')}`;
        const reply = await user.iq(ping(to, id));
        return { to, id, reply };
      }),
    );
    // A barrier: the log reaches the test by a pipe, the replies by the XMPP server, so the
    // last bad address's log line can still be in the pipe here. A ping sent after them all
    // arrives after them on the component stream; once its line is read, theirs are too.
    const barrier = `barrier-${randomBytes(3).toString('hex')}`;
    await user.iq(ping(GW, barrier));
    await jabirc.waitForLog('xmpp in', 15_000, (l) => typeof l.xml === 'string' && l.xml.includes(barrier));
    let reachedJabirc = 0;
    const seen = receivedIds(jabirc);
    for (const { to, id, reply } of results) {
      // Whoever answered, nobody may say "yes" to a malformed address.
      expect(reply.attrs.type, to).toBe('error');
      if (seen.has(id)) {
        reachedJabirc++;
        expect(['jid-malformed', 'item-not-found'], `${to}: ${reply.toString()}`).toContain(condition(reply));
      }
    }
    // The server routes at least the well-formed JIDs whose localpart Jabirc must judge.
    expect(reachedJabirc).toBeGreaterThanOrEqual(3);
  });

  it('answers 20 quick pings exactly once each', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `burst-${i}-${randomBytes(3).toString('hex')}`);
    const idSet = new Set(ids);
    await Promise.all(ids.map((id) => user.send(ping(GW, id))));
    const replies = await Promise.all(ids.map((id) => user.waitFor((s) => s.is('iq') && s.attrs.id === id)));
    expect(replies.map((r) => r.attrs.type)).toEqual(ids.map(() => 'result'));
    // Settle: any duplicate would arrive within this window.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const extra = user.pending().filter((s) => idSet.has(s.attrs.id ?? ''));
    expect(extra.map(String)).toEqual([]);
  });

  it('restores a dropped link and answers again', async () => {
    await server.restart();
    await jabirc.waitForLog('component link lost', 15_000);
    await jabirc.waitForLog('reconnecting component link', 15_000);
    await jabirc.waitForLog('component link restored', 30_000);
    // The restart dropped the user's stream too.
    user = await connect();
    const r = await user.iq(ping(GW));
    expect(r.attrs.type).toBe('result');
  });

  it('never wrote the secret to its trace log', () => {
    const out = jabirc.stdout() + jabirc.stderr();
    // Trace logging really was on: wire traffic was logged, the handshake redacted.
    expect(jabirc.logLines().some((l) => l.msg === 'xmpp out' && l.level === LOG_LEVEL.trace)).toBe(true);
    expect(out).toContain('[Redacted]');
    expect(out).not.toContain(secret);
  });

  it('stops on SIGTERM within 10 s with exit code 0', async () => {
    const started = Date.now();
    const { code, signal } = await jabirc.stop('SIGTERM', 10_000);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(jabirc.logLines().some((l) => l.msg === 'stopped')).toBe(true);
  });

  it('exits non-zero with one fatal line when the secret is wrong (XEP-0114 §3)', async () => {
    const dir = await jabircDir();
    const wrong = await startJabirc(dir, {
      configToml: jabircConfig(dir, {
        componentJid: GW,
        secret: 'not-the-secret',
        host: server.host,
        port: server.componentPort,
        domains: [server.domain],
      }),
    });
    others.push(wrong);
    const started = Date.now();
    const { code } = await Promise.race([
      wrong.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still running after 15 s')), 15_000)),
    ]).finally(() => wrong.stop('SIGKILL'));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(code).not.toBe(0);
    const fatal = fatalLines(wrong);
    expect(fatal).toHaveLength(1);
    expect(JSON.stringify(fatal[0])).toMatch(/not-authorized|wrong component secret/);
    expect(wrong.logLines().some((l) => l.msg === 'reconnecting component link')).toBe(false);
    expect(wrong.stdout()).not.toContain('not-the-secret');
  });
});

describe('Jabirc start-up failures', () => {
  const runs: JabircProcess[] = [];
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') for (const r of runs) console.error(r.output());
  });
  afterAll(async () => {
    await Promise.all(runs.map((r) => r.stop('SIGKILL')));
  });

  async function runToExit(configToml: (dir: string) => string, timeoutMs = 15_000) {
    const dir = await jabircDir();
    const run = await startJabirc(dir, { configToml: configToml(dir) });
    runs.push(run);
    const started = Date.now();
    const info = await Promise.race([
      run.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs)),
    ]);
    return { run, ...info, ms: Date.now() - started };
  }

  it('exits non-zero with one clear line when the component port refuses the connection', async () => {
    const [closedPort] = await freePorts(1);
    const { run, code, ms } = await runToExit((dir) =>
      jabircConfig(dir, { componentJid: GW, secret: 'x', host: LOOPBACK, port: closedPort, domains: ['localhost'] }),
    );
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(ms).toBeLessThan(15_000);
    const fatal = fatalLines(run);
    expect(fatal).toHaveLength(1);
    expect(JSON.stringify(fatal[0])).toMatch(/connection refused/);
    expect(JSON.stringify(fatal[0])).toContain(String(closedPort));
    expect(run.logLines().some((l) => l.msg === 'reconnecting component link')).toBe(false);
  });

  it('exits with code 2 and names the key when the config is wrong', async () => {
    const { run, code } = await runToExit((dir) =>
      jabircConfig(dir, {
        componentJid: GW,
        secret: 'x',
        host: LOOPBACK,
        port: 5347,
        domains: ['localhost'],
        extra: '\n[irc]\nno_such_option = true\n',
      }),
    );
    expect(code).toBe(2);
    expect(run.stderr()).toContain('irc.no_such_option');
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    // Nothing was started: no log line at all.
    expect(run.logLines()).toEqual([]);
  });

  it('exits with code 2 and names the key when a value has the wrong type', async () => {
    const { run, code } = await runToExit((dir) =>
      jabircConfig(dir, { componentJid: GW, secret: 'x', host: LOOPBACK, port: 5347, domains: ['localhost'] }).replace(
        'port = 5347',
        'port = "5347"',
      ),
    );
    expect(code).toBe(2);
    expect(run.stderr()).toContain('component.port');
  });
});
