/**
 * The IRC adapter against real IRC servers (InspIRCd and ngIRCd on loopback), and
 * against small scripted servers for what a real one will not do on demand
 * (K-line ERROR, SASL, silence, TLS with an untrusted certificate).
 *
 * Asserts what the core would see: `registered`/`closed` events and lines, and
 * what another IRC user receives. Every test uses its own nicks and channels.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IrcPool, type IrcPoolOptions } from '../../src/adapters/irc-pool.js';
import { connKey, type ConnKey, type IrcConnectParams, type IrcConnEvent } from '../../src/core/effects.js';
import type { PacerOptions } from '../../src/core/pacing.js';
import { floodForNetwork } from '../../src/config/flood.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { LOOPBACK, freePorts, startInspircd, startNgircd, type IrcServer } from '../harness/servers.js';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const uniqueNick = (): string => `j${hex(3)}`;
const uniqueChannel = (): string => `#c${hex(4)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Drops IRCv3 tags and returns the rest of a received line. */
const untagged = (line: string): string => line.replace(/^@\S+ /, '');

/** Polls `check` until it returns a value other than undefined. */
async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000, context = (): string => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await sleep(20);
  }
}

/** One pool with everything it reported, and its log output. */
class Recorder {
  readonly pool: IrcPool;
  readonly lines = new Map<ConnKey, string[]>();
  readonly events: Array<{ key: ConnKey; ev: IrcConnEvent; at: number }> = [];
  readonly logs: string[] = [];

  readonly pacingWaits = new Map<ConnKey, number>();

  constructor(opts: Partial<Pick<IrcPoolOptions, 'connectTimeoutMs' | 'lookup' | 'pacerFor' | 'parallelConnects'>> & { pacer?: PacerOptions } = {}) {
    const { log } = createLogger('trace', { write: (s: string) => void this.logs.push(s) });
    this.pool = new IrcPool({
      log,
      onLine: (key, line) => {
        const list = this.lines.get(key) ?? [];
        list.push(line);
        this.lines.set(key, list);
      },
      onEvent: (key, ev) => void this.events.push({ key, ev, at: Date.now() }),
      connectTimeoutMs: opts.connectTimeoutMs ?? 15_000,
      ...(opts.pacer ? { pacer: opts.pacer } : {}),
      ...(opts.pacerFor ? { pacerFor: opts.pacerFor } : {}),
      onPacingWait: (key) => void this.pacingWaits.set(key, (this.pacingWaits.get(key) ?? 0) + 1),
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
      ...(opts.parallelConnects ? { parallelConnects: opts.parallelConnects } : {}),
    });
  }

  linesOf(key: ConnKey): string[] {
    return this.lines.get(key) ?? [];
  }

  eventsOf(key: ConnKey): IrcConnEvent[] {
    return this.events.filter((e) => e.key === key).map((e) => e.ev);
  }

  describe(key: ConnKey): string {
    return `events: ${JSON.stringify(this.eventsOf(key))}\nlines:\n${this.linesOf(key).join('\n')}`;
  }

  waitForLine(key: ConnKey, what: string, test: (untaggedLine: string) => boolean, timeoutMs?: number): Promise<string> {
    return waitFor(what, () => this.linesOf(key).map(untagged).find(test), timeoutMs, () => this.describe(key));
  }

  waitForEvent<K extends IrcConnEvent['kind']>(key: ConnKey, kind: K, timeoutMs?: number): Promise<Extract<IrcConnEvent, { kind: K }>> {
    return waitFor(
      `${kind} event`,
      () => this.eventsOf(key).find((e): e is Extract<IrcConnEvent, { kind: K }> => e.kind === kind),
      timeoutMs,
      () => this.describe(key),
    );
  }
}

function params(host: string, port: number, nick: string, extra: Partial<IrcConnectParams> = {}): IrcConnectParams {
  return {
    network: 'test',
    host,
    port,
    tls: false,
    nick,
    username: 'jabirc',
    realname: 'Jabirc test',
    allowPrivateAddresses: true,
    ...extra,
  };
}

const keyFor = (nick: string): ConnKey => connKey(`${nick}@localhost`, 'test');

const SERVERS: Array<[string, () => Promise<IrcServer>]> = [
  ['InspIRCd', () => startInspircd()],
  ['ngIRCd', () => startNgircd()],
];

describe.each(SERVERS)('IrcPool against %s', (serverName, start) => {
  let server: IrcServer;
  const recorders: Recorder[] = [];
  const extraServers: IrcServer[] = [];

  const newRecorder = (opts?: ConstructorParameters<typeof Recorder>[0]): Recorder => {
    const r = new Recorder(opts);
    recorders.push(r);
    return r;
  };

  /** Connects `nick` and waits for `registered`. */
  async function register(r: Recorder, nick: string, srv = server): Promise<ConnKey> {
    const key = keyFor(nick);
    r.pool.connect(key, params(srv.host, srv.port, nick));
    const ev = await r.waitForEvent(key, 'registered');
    expect(ev.nick).toBe(nick);
    return key;
  }

  async function join(r: Recorder, key: ConnKey, nick: string, channel: string): Promise<void> {
    r.pool.send(key, [`JOIN ${channel}`]);
    await r.waitForLine(key, `JOIN echo for ${nick}`, (l) => l.startsWith(`:${nick}!`) && l.split(' ')[1] === 'JOIN' && l.split(' ')[2]?.replace(/^:/, '') === channel);
  }

  /** Alice (key `a`) and Bob (key `b`) registered on one pool, both in a fresh channel. */
  async function twoInChannel(opts?: ConstructorParameters<typeof Recorder>[0]): Promise<{ r: Recorder; alice: string; a: ConnKey; b: ConnKey; channel: string }> {
    const r = newRecorder(opts);
    const [alice, bob] = [uniqueNick(), uniqueNick()];
    const channel = uniqueChannel();
    const a = await register(r, alice);
    const b = await register(r, bob);
    await join(r, a, alice, channel);
    await join(r, b, bob, channel);
    return { r, alice, a, b, channel };
  }

  beforeAll(async () => {
    server = await start();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.error(`--- ${serverName} logs ---\n${server?.logs()}`);
    for (const s of extraServers) console.error(`--- extra ${serverName} logs ---\n${s.logs()}`);
    for (const r of recorders) console.error(`--- pool logs ---\n${r.logs.join('')}`);
  });

  afterAll(async () => {
    await Promise.all(recorders.map((r) => r.pool.closeAll('test over', 2_000)));
    await Promise.all(extraServers.map((s) => s.stop()));
    await server?.stop();
  });

  it('registers with the requested nick and feeds the JOIN echo to onLine', async () => {
    const r = newRecorder();
    const nick = uniqueNick();
    const channel = uniqueChannel();
    const key = await register(r, nick);
    expect(r.pool.has(key)).toBe(true);
    await join(r, key, nick, channel);
    // Lines from before 001 reach onLine too.
    const lines = r.linesOf(key).map(untagged);
    const welcome = lines.findIndex((l) => l.split(' ')[1] === '001');
    expect(welcome).toBeGreaterThan(-1);
  });

  it('delivers a PRIVMSG to another IRC user exactly as sent, UTF-8 intact', async () => {
    const { r, alice, a, b, channel } = await twoInChannel();
    const text = 'héllo wörld 🎉 ÆØÅ 日本語 \x02bold\x02 :colon';
    r.pool.send(a, [`PRIVMSG ${channel} :${text}`]);
    const got = await r.waitForLine(b, 'the PRIVMSG at bob', (l) => l.startsWith(`:${alice}!`) && l.includes(' PRIVMSG '));
    expect(got.slice(got.indexOf(' ') + 1)).toBe(`PRIVMSG ${channel} :${text}`);
  });

  it('keeps the order of 20 quick lines while pacing them', async () => {
    const interval = 25;
    const r = newRecorder({ pacer: { burst: 2, intervalMs: interval } });
    const [alice, bob] = [uniqueNick(), uniqueNick()];
    const a = await register(r, alice);
    const b = await register(r, bob);
    const texts = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const started = Date.now();
    r.pool.send(a, texts.slice(0, 10).map((t) => `PRIVMSG ${bob} :${t}`));
    r.pool.send(a, texts.slice(10).map((t) => `PRIVMSG ${bob} :${t}`));
    const received = await waitFor(
      '20 PRIVMSGs at bob',
      () => {
        const got = r
          .linesOf(b)
          .map(untagged)
          .filter((l) => l.startsWith(`:${alice}!`) && l.includes(' PRIVMSG '))
          .map((l) => l.slice(l.indexOf(' :') + 2));
        return got.length >= 20 ? got : undefined;
      },
      10_000,
      () => r.describe(b),
    );
    expect(received).toEqual(texts);
    // A burst of 2, then one line per interval: the 20th line cannot leave before 18 intervals.
    expect(Date.now() - started).toBeGreaterThanOrEqual(18 * interval - 5);
  });

  it('paces per network as [irc.flood] and [irc.networks."x".flood] say: unpaced sends at once, paced holds all but the burst', async () => {
    const config = parseConfig(
      `[component]\njid = "irc.localhost"\nsecret = "s"\n[irc.flood]\nburst = 3\ninterval_ms = 100\n` +
        `[irc.networks."unpaced.localhost".flood]\nenabled = false\n[irc.networks."paced.localhost"]\n`,
      'test.toml',
    );
    const r = newRecorder({ pacerFor: (network) => floodForNetwork(config.irc, network) });
    const [alice, carol, bob] = [uniqueNick(), uniqueNick(), uniqueNick()];
    const connectOn = async (network: string, nick: string): Promise<ConnKey> => {
      const key = connKey(`${nick}@localhost`, network);
      r.pool.connect(key, params(server.host, server.port, nick, { network }));
      await r.waitForEvent(key, 'registered');
      return key;
    };
    const fast = await connectOn('unpaced.localhost', alice);
    const slow = await connectOn('paced.localhost', carol);
    const b = await register(r, bob);
    const texts = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    r.pool.send(fast, texts.map((t) => `PRIVMSG ${bob} :${t}`));
    expect(r.pool.queuedLines(fast)).toBe(0);
    r.pool.send(slow, texts.map((t) => `PRIVMSG ${bob} :${t}`));
    // The burst of 3 went out; the other 17 wait behind the pacer.
    expect(r.pool.queuedLines(slow)).toBe(17);
    const from = (nick: string): string[] =>
      r
        .linesOf(b)
        .map(untagged)
        .filter((l) => l.startsWith(`:${nick}!`) && l.includes(' PRIVMSG '))
        .map((l) => l.slice(l.indexOf(' :') + 2));
    const got = await waitFor('20 PRIVMSGs from each at bob', () => (from(alice).length >= 20 && from(carol).length >= 20 ? true : undefined), 15_000, () => r.describe(b));
    expect(got).toBe(true);
    expect(from(alice)).toEqual(texts);
    expect(from(carol)).toEqual(texts);
    expect(r.pool.queuedLines(slow)).toBe(0);
    // Flood control held the paced queue (a timer may fire a millisecond early and wait again), never the other.
    expect(r.pacingWaits.get(fast)).toBeUndefined();
    expect(r.pacingWaits.get(slow)).toBeGreaterThan(0);
  });

  it('unpaced: lines of several sends in one turn arrive in order, and before a QUIT of the same turn', async () => {
    const { r, alice, a, b, channel } = await twoInChannel({ pacerFor: () => null });
    // Few enough lines that ngIRCd's penalty throttle has read them all before it sees the close.
    const texts = ['turn line 1', 'turn line 2', 'turn line 3', 'turn line 4'];
    r.pool.send(a, texts.slice(0, 2).map((t) => `PRIVMSG ${channel} :${t}`));
    r.pool.send(a, [`PRIVMSG ${channel} :${texts[2]}`]);
    r.pool.send(a, [`PRIVMSG ${channel} :${texts[3]}`]);
    r.pool.quit(a, 'after the lines');
    const quitLine = await r.waitForLine(b, 'QUIT at bob', (l) => l.startsWith(`:${alice}!`) && l.split(' ')[1] === 'QUIT');
    expect(quitLine).toContain('after the lines');
    const seen = r
      .linesOf(b)
      .map(untagged)
      .filter((l) => l.startsWith(`:${alice}!`) && (l.includes(' PRIVMSG ') || l.split(' ')[1] === 'QUIT'))
      .map((l) => (l.split(' ')[1] === 'QUIT' ? 'QUIT' : l.slice(l.indexOf(' :') + 2)));
    expect(seen).toEqual([...texts, 'QUIT']);
  });

  it('feeds numerics from before 001 (433) and sends lines during registration', async () => {
    const r = newRecorder();
    const nick = uniqueNick();
    await register(r, nick);
    const otherKey = connKey(`other-${nick}@localhost`, 'test');
    r.pool.connect(otherKey, params(server.host, server.port, nick));
    await r.waitForLine(otherKey, '433 nick in use', (l) => l.split(' ')[1] === '433');
    expect(r.eventsOf(otherKey)).toEqual([]);
    // What the core does on 433: another nick, while still unregistered.
    r.pool.send(otherKey, [`NICK ${nick}_`]);
    const ev = await r.waitForEvent(otherKey, 'registered');
    expect(ev.nick).toBe(`${nick}_`);
  });

  it('quits: the other user sees QUIT with the message, then closed; the key can connect again', async () => {
    const { r, alice, a, b, channel } = await twoInChannel();
    r.pool.quit(a, 'gone fishing');
    const quitLine = await r.waitForLine(b, 'QUIT at bob', (l) => l.startsWith(`:${alice}!`) && l.split(' ')[1] === 'QUIT');
    expect(quitLine).toContain('gone fishing');
    const closed = await r.waitForEvent(a, 'closed');
    expect(closed.refused).toBeUndefined();
    expect(r.pool.has(a)).toBe(false);
    expect(r.eventsOf(a).filter((e) => e.kind === 'closed')).toHaveLength(1);
    // A new connect for the same key is allowed once closed.
    r.events.length = 0;
    r.pool.connect(a, params(server.host, server.port, alice));
    expect((await r.waitForEvent(a, 'registered')).nick).toBe(alice);
  });

  // Only InspIRCd offers these IRCv3 capabilities; the test exists only where it applies.
  ((serverName === 'InspIRCd') ? it : () => undefined)('gets its own PRIVMSG back as a line with echo-message', async () => {
    const r = newRecorder();
    const nick = uniqueNick();
    const channel = uniqueChannel();
    const key = await register(r, nick);
    expect(r.linesOf(key).some((l) => / CAP \S+ ACK :.*\becho-message\b/.test(l))).toBe(true);
    await join(r, key, nick, channel);
    r.pool.send(key, [`PRIVMSG ${channel} :echo me ✓`]);
    const echo = await r.waitForLine(key, 'echoed PRIVMSG', (l) => l.startsWith(`:${nick}!`) && l.includes(' PRIVMSG '));
    expect(echo.slice(echo.indexOf(' ') + 1)).toBe(`PRIVMSG ${channel} :echo me ✓`);
  });

  it('reports closed for every connection when the server stops', async () => {
    const own = await start();
    extraServers.push(own);
    const r = newRecorder();
    const keys = [await register(r, uniqueNick(), own), await register(r, uniqueNick(), own)];
    await own.stop();
    for (const key of keys) {
      const closed = await r.waitForEvent(key, 'closed');
      expect(closed.reason).not.toBe('');
      expect(r.pool.has(key)).toBe(false);
    }
    expect(r.pool.size).toBe(0);
  });
});

/** A TCP server on loopback that runs `script` for each connection. */
async function scriptedServer(
  script: (sock: net.Socket, line: string) => void,
  opts: { allowHalfOpen?: boolean } = {},
): Promise<{ port: number; received: string[]; connections: () => number; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const srv = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (sock) => {
    connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        received.push(line);
        script(sock, line);
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, LOOPBACK, resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

describe('IrcPool connection policy and failures', () => {
  const recorders: Recorder[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const newRecorder = (opts?: ConstructorParameters<typeof Recorder>[0]): Recorder => {
    const r = new Recorder(opts);
    recorders.push(r);
    return r;
  };

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') for (const r of recorders) console.error(`--- pool logs ---\n${r.logs.join('')}`);
    await Promise.all(recorders.splice(0).map((r) => r.pool.closeAll('test over', 1_000)));
    for (const c of cleanups.splice(0)) await c();
  });

  it('refuses a host that resolves to a private address, without any TCP connection, asynchronously', async () => {
    const srv = await scriptedServer(() => {});
    cleanups.push(srv.close);
    const r = newRecorder({ lookup: async () => [{ address: '::ffff:127.0.0.1', family: 6 }] });
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params('irc.example.test', srv.port, 'nobody', { allowPrivateAddresses: false }));
    expect(r.events).toEqual([]);
    const closed = await r.waitForEvent(key, 'closed');
    expect(closed.refused).toBe(true);
    expect(closed.reason).toMatch(/refused: irc\.example\.test resolves to a private address/);
    expect(r.pool.has(key)).toBe(false);

    // An IP literal goes through the same check.
    const key2 = keyFor(uniqueNick());
    r.pool.connect(key2, params(LOOPBACK, srv.port, 'nobody', { allowPrivateAddresses: false }));
    expect((await r.waitForEvent(key2, 'closed')).refused).toBe(true);
    await sleep(100);
    expect(srv.connections()).toBe(0);
  });

  it('reports connection refused promptly for a closed port', async () => {
    const [port] = await freePorts(1);
    const r = newRecorder();
    const key = keyFor(uniqueNick());
    const started = Date.now();
    r.pool.connect(key, params(LOOPBACK, port, 'nobody'));
    const closed = await r.waitForEvent(key, 'closed', 3_000);
    expect(closed).toEqual({ kind: 'closed', reason: 'connection refused' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.pool.has(key)).toBe(false);
  });

  it('times out when the server never completes registration', async () => {
    const srv = await scriptedServer(() => {});
    cleanups.push(srv.close);
    const r = newRecorder({ connectTimeoutMs: 300 });
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody'));
    const closed = await r.waitForEvent(key, 'closed', 3_000);
    expect(closed.reason).toBe('timed out after 300 ms');
    expect(srv.received.some((l) => l.startsWith('NICK nobody'))).toBe(true);
  });

  it('dials at most parallelConnects at once; one waiting for its turn is told when it dials, and its timeout runs from then', async () => {
    const silent = await scriptedServer(() => {});
    cleanups.push(silent.close);
    const answering = await scriptedServer((sock, line) => {
      if (line.startsWith('USER ')) sock.write(`:irc.local 001 ${line.split(' ')[1]} :Welcome\r\n`);
    });
    cleanups.push(answering.close);
    const r = newRecorder({ connectTimeoutMs: 1_000, parallelConnects: 1 });
    const stuck = keyFor(uniqueNick());
    const next = keyFor(uniqueNick());
    r.pool.connect(stuck, params(LOOPBACK, silent.port, 'stuck'));
    r.pool.connect(next, params(LOOPBACK, answering.port, 'next'));
    await r.waitForEvent(next, 'registered', 5_000);
    // The second waited for the first's slot (it timed out) and registered after: its own
    // timeout did not run while it waited, though it waited as long as that timeout.
    expect(r.events.map((e) => `${e.key === stuck ? 'stuck' : 'next'} ${e.ev.kind}`)).toEqual(['next waiting', 'stuck closed', 'next dialing', 'next registered']);
    expect(r.eventsOf(stuck)).toEqual([{ kind: 'closed', reason: 'timed out after 1000 ms' }]);
    expect(answering.connections()).toBe(1);
  });

  it('a connection quit while waiting for its turn ends without dialling, and gives no turn away', async () => {
    const silent = await scriptedServer(() => {});
    cleanups.push(silent.close);
    const r = newRecorder({ connectTimeoutMs: 5_000, parallelConnects: 1 });
    const first = keyFor(uniqueNick());
    const waiting = keyFor(uniqueNick());
    r.pool.connect(first, params(LOOPBACK, silent.port, 'first'));
    r.pool.connect(waiting, params(LOOPBACK, silent.port, 'waiting'));
    r.pool.quit(waiting, 'changed my mind');
    const closed = await r.waitForEvent(waiting, 'closed', 3_000);
    expect(closed.reason).toBe('quit before the connection was open');
    expect(r.eventsOf(waiting).map((e) => e.kind)).toEqual(['waiting', 'closed']);
    await sleep(200);
    expect(silent.connections()).toBe(1);
    expect(r.eventsOf(first)).toEqual([]);
  });

  it("reports the server's ERROR text as the reason, and feeds the ERROR line", async () => {
    const error = 'Closing link: (nobody@127.0.0.1) [K-Lined]';
    const srv = await scriptedServer((sock, line) => {
      if (line.startsWith('USER ')) sock.end(`:irc.local NOTICE * :*** You are banned\r\nERROR :${error}\r\n`);
    });
    cleanups.push(srv.close);
    const r = newRecorder();
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody'));
    const closed = await r.waitForEvent(key, 'closed', 5_000);
    expect(closed.reason).toBe(error);
    expect(r.linesOf(key)).toContain(`ERROR :${error}`);
  });

  it('survives a line that makes irc-framework throw, and decodes non-UTF-8 lines with the fallback', async () => {
    const srv = await scriptedServer((sock, line) => {
      if (!line.startsWith('USER ')) return;
      sock.write(':irc.local 001 nobody :Welcome\r\n');
      // RPL_LINKS without its last parameter: irc-framework's handler reads params[3].split.
      sock.write(':irc.local 364 nobody\r\n');
      sock.write(Buffer.concat([Buffer.from(':irc.local NOTICE nobody :caf'), Buffer.from([0xe9, 0x20, 0x80, 0x0d, 0x0a])]));
    });
    cleanups.push(srv.close);
    const r = newRecorder();
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody'));
    await r.waitForLine(key, 'the NOTICE after the bad line', (l) => l.includes('NOTICE'));
    expect(r.linesOf(key)).toContain(':irc.local 364 nobody');
    // Decoded with the fallback, and carrying its original bytes for rooms with their own encoding.
    const raw = Buffer.concat([Buffer.from(':irc.local NOTICE nobody :caf'), Buffer.from([0xe9, 0x20, 0x80])]);
    expect(r.linesOf(key)).toContain(`@jabirc.invalid/raw=${raw.toString('base64')} :irc.local NOTICE nobody :café €`);
    expect(r.logs.join('')).toContain('irc-framework threw while handling a socket event');
    expect(r.pool.has(key)).toBe(true);
  });

  it('sends PASS and SASL PLAIN without logging them, and drops malformed lines', async () => {
    const serverPassword = `srvpw-${hex(6)}`;
    const saslPassword = `saslpw-${hex(6)}`;
    const b64 = Buffer.from(`acct\0acct\0${saslPassword}`).toString('base64');
    const srv = await scriptedServer((sock, line) => {
      const w = (s: string): boolean => sock.write(`${s}\r\n`);
      if (line === 'CAP LS 302') w(':irc.local CAP * LS :sasl=PLAIN echo-message');
      else if (line.startsWith('CAP REQ')) w(`:irc.local CAP * ACK :${line.slice(line.indexOf(':') + 1)}`);
      else if (line === 'AUTHENTICATE PLAIN') w('AUTHENTICATE +');
      else if (line === `AUTHENTICATE ${b64}`) w(':irc.local 903 * :SASL authentication successful');
      else if (line === 'CAP END') w(':irc.local 001 nobody :Welcome');
    });
    cleanups.push(srv.close);
    const r = newRecorder();
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody', { serverPassword, sasl: { account: 'acct', password: saslPassword } }));
    await r.waitForEvent(key, 'registered', 5_000);
    expect(srv.received).toContain(`PASS ${serverPassword}`);
    expect(srv.received).toContain(`AUTHENTICATE ${b64}`);

    r.pool.send(key, ['PRIVMSG x :ok', 'PRIVMSG x :bad\r\nQUIT :x', 'PRIVMSG x :nul\0', `PRIVMSG x :${'a'.repeat(600)}`, 'PRIVMSG x :after']);
    await waitFor('PRIVMSG after', () => (srv.received.includes('PRIVMSG x :after') ? true : undefined));
    expect(srv.received.filter((l) => l.startsWith('PRIVMSG') || l.startsWith('QUIT'))).toEqual(['PRIVMSG x :ok', 'PRIVMSG x :after']);

    // Unknown keys are a core bug: logged, not thrown.
    expect(() => r.pool.send(keyFor('ghost'), ['PING x'])).not.toThrow();

    const logs = r.logs.join('');
    expect(logs).toContain('PASS [Redacted]');
    expect(logs).toContain('AUTHENTICATE [Redacted]');
    expect(logs).toContain('refusing to send a malformed IRC line');
    expect(logs).toContain('send on an unknown IRC connection');
    for (const secret of [serverPassword, saslPassword, b64]) expect(logs).not.toContain(secret);
  });

  it('unpaced: a refused line among good ones drops only itself, the good lines go out in order', async () => {
    const srv = await scriptedServer((sock, line) => {
      if (line.startsWith('USER ')) sock.write(':irc.local 001 nobody :Welcome\r\n');
    });
    cleanups.push(srv.close);
    const r = newRecorder({ pacerFor: () => null });
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody'));
    await r.waitForEvent(key, 'registered', 5_000);
    r.pool.send(key, ['PRIVMSG x :first', 'PRIVMSG x :second', 'PRIVMSG x :bad\r\nQUIT :x', 'PRIVMSG x :third']);
    r.pool.send(key, ['PRIVMSG x :nul\0', 'PRIVMSG x :fourth']);
    await waitFor('PRIVMSG fourth', () => (srv.received.includes('PRIVMSG x :fourth') ? true : undefined));
    expect(srv.received.filter((l) => l.startsWith('PRIVMSG') || l.startsWith('QUIT'))).toEqual([
      'PRIVMSG x :first',
      'PRIVMSG x :second',
      'PRIVMSG x :third',
      'PRIVMSG x :fourth',
    ]);
    expect(r.logs.join('')).toContain('refusing to send a malformed IRC line');
  });

  it('closeAll quits everything and destroys what has not closed by the deadline', async () => {
    const srv = await scriptedServer((sock, line) => {
      if (line.startsWith('USER ')) sock.write(':irc.local 001 nobody :Welcome\r\n');
    }, { allowHalfOpen: true });
    cleanups.push(srv.close);
    const r = newRecorder();
    const key = keyFor(uniqueNick());
    r.pool.connect(key, params(LOOPBACK, srv.port, 'nobody'));
    await r.waitForEvent(key, 'registered', 5_000);
    const started = Date.now();
    await r.pool.closeAll('shutting down', 300);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(srv.received).toContain('QUIT :shutting down');
    expect(r.eventsOf(key).filter((e) => e.kind === 'closed')).toEqual([{ kind: 'closed', reason: 'closed at shutdown' }]);
    expect(r.pool.size).toBe(0);
  });

  it('verifies TLS certificates against the host name sent as SNI, dialing the pinned address', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jabirc-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=irc.jabirc.test', '-days', '1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    const key = readFileSync(keyFile);
    const cert = readFileSync(certFile);
    const sniSeen: string[] = [];
    const context = tls.createSecureContext({ key, cert });
    const srv = tls.createServer(
      {
        key,
        cert,
        SNICallback: (name, cb) => {
          sniSeen.push(name);
          cb(null, context);
        },
      },
      (sock) => sock.end(),
    );
    srv.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => srv.listen(0, LOOPBACK, resolve));
    cleanups.push(() => new Promise<void>((resolve) => srv.close(() => resolve())));
    const port = (srv.address() as net.AddressInfo).port;

    const looked: string[] = [];
    const r = newRecorder({
      lookup: async (host) => {
        looked.push(host);
        return [{ address: LOOPBACK, family: 4 }];
      },
    });
    const connKeyTls = keyFor(uniqueNick());
    r.pool.connect(connKeyTls, params('irc.jabirc.test', port, 'nobody', { tls: true }));
    const closed = await r.waitForEvent(connKeyTls, 'closed', 5_000);
    expect(closed.reason).toMatch(/^TLS error: .*self[- ]signed/i);
    expect(looked).toEqual(['irc.jabirc.test']);
    expect(sniSeen).toEqual(['irc.jabirc.test']);
    expect(r.pool.has(connKeyTls)).toBe(false);
  });
});
