/**
 * A hostile IRC server cannot make the IRC adapter hold unbounded memory (issue 8 §4),
 * nor break its event contract (`registered` once per connect):
 * every irc-framework cache (NAMES before 366, BATCH before its end, MOTD…), the CAP
 * set and the ISUPPORT tokens are bounded; past a bound that one connection is dropped
 * with a `closed` reason that says why, and the pool and its other connections go on.
 * A server that falls silent is sent PING, and dropped when it stays silent (keep-alive).
 * Scripted servers on loopback, milliseconds each.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FRAMEWORK_LIMITS, IrcPool, type FrameworkLimits, type KeepAliveOptions } from '../../../src/adapters/irc-pool.js';
import { connKey, type ConnKey, type IrcConnEvent } from '../../../src/core/effects.js';
import { createLogger } from '../../../src/log.js';

type Script = (say: (line: string) => void, line: string, socket: Socket) => void;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scriptedServer(script: Script): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    let buf = '';
    const say = (l: string): void => void socket.write(`${l}\r\n`);
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        script(say, line, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function newPool(
  limits?: Partial<FrameworkLimits>,
  keepAlive?: KeepAliveOptions,
): { pool: IrcPool; events: Array<{ key: ConnKey; ev: IrcConnEvent }>; lines: string[]; logs: string[] } {
  const events: Array<{ key: ConnKey; ev: IrcConnEvent }> = [];
  const lines: string[] = [];
  const logs: string[] = [];
  const { log } = createLogger('debug', { write: (s: string) => void logs.push(s) });
  const pool = new IrcPool({
    log,
    onLine: (_key, line) => void lines.push(line),
    onEvent: (key, ev) => void events.push({ key, ev }),
    connectTimeoutMs: 5_000,
    pacer: { burst: 1000, intervalMs: 1 },
    ...(limits ? { frameworkLimits: limits } : {}),
    ...(keepAlive ? { keepAlive } : {}),
  });
  cleanups.push(() => pool.closeAll('test over', 200));
  return { pool, events, lines, logs };
}

const connect = (pool: IrcPool, port: number, nick = 'me'): ConnKey => {
  const key = connKey(`${nick}@localhost`, 'hostile');
  pool.connect(key, { network: 'hostile', host: '127.0.0.1', port, tls: false, nick, username: 'u', realname: 'r', allowPrivateAddresses: true });
  return key;
};

async function closedReason(events: Array<{ key: ConnKey; ev: IrcConnEvent }>, key: ConnKey): Promise<string> {
  await expect.poll(() => events.some((e) => e.key === key && e.ev.kind === 'closed'), { timeout: 5_000 }).toBe(true);
  const ev = events.find((e) => e.key === key && e.ev.kind === 'closed')!.ev;
  return ev.kind === 'closed' ? ev.reason : '';
}

/** Registers on USER, then runs `flood` once. */
const registerThen = (flood: (say: (l: string) => void) => void): Script => (say, line) => {
  if (line.startsWith('USER ')) {
    say(':irc.hostile 001 me :Welcome');
    flood(say);
  }
};

describe('IrcPool bounds on irc-framework state', () => {
  it('drops a server that sends NAMES for more channels than the cache bound, never ending them with 366', async () => {
    const port = await scriptedServer(
      registerThen((say) => {
        for (let i = 0; i < DEFAULT_FRAMEWORK_LIMITS.caches + 50; i++) say(`:irc.hostile 353 me = #c${i} :a${i} b${i}`);
      }),
    );
    const { pool, events } = newPool();
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/^disconnected: the server left more than 512 replies unfinished/);
    expect(pool.has(key)).toBe(false);
  });

  it('drops a server that grows one NAMES reply past the entry bound', async () => {
    const nicks = Array.from({ length: 50 }, (_, i) => `n${i}`).join(' ');
    const port = await scriptedServer(
      registerThen((say) => {
        for (let i = 0; i < 100; i++) say(`:irc.hostile 353 me = #big :${nicks.replaceAll('n', `n${i}x`)}`);
      }),
    );
    const { pool, events } = newPool({ entries: 2_000 });
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/more than 2000 entries in unfinished replies/);
  });

  it('drops a server that never ends a BATCH', async () => {
    const port = await scriptedServer(
      registerThen((say) => {
        say(':irc.hostile BATCH +b1 netjoin irc.a irc.b');
        // NICK: irc-framework still sees it, and caches it in the open batch (JOIN, like
        // PRIVMSG, goes past irc-framework and is held nowhere).
        for (let i = 0; i < 3_000; i++) say(`@batch=b1 :n${i}!u@h NICK m${i}`);
      }),
    );
    const { pool, events } = newPool({ entries: 2_000 });
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/more than 2000 entries/);
  });

  it('drops a server that sends an endless MOTD', async () => {
    const port = await scriptedServer(
      registerThen((say) => {
        say(':irc.hostile 375 me :- irc.hostile Message of the day -');
        for (let i = 0; i < 1_000; i++) say(`:irc.hostile 372 me :- ${'m'.repeat(400)}`);
      }),
    );
    const { pool, events } = newPool({ chars: 100_000 });
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/more than 100000 characters in unfinished replies \(MOTD/);
  });

  it('drops a server that offers more capabilities than the CAP bound, before registration', async () => {
    const port = await scriptedServer((say, line) => {
      if (line.startsWith('CAP LS')) {
        for (let i = 0; i < 30; i++) say(`:irc.hostile CAP * LS * :${Array.from({ length: 20 }, (_, j) => `x-cap-${i}-${j}`).join(' ')}`);
      }
    });
    const { pool, events } = newPool();
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/offered more than 256 capabilities/);
    expect(events.some((e) => e.key === key && e.ev.kind === 'registered')).toBe(false);
  });

  it('drops a server that floods ISUPPORT tokens', async () => {
    const port = await scriptedServer(
      registerThen((say) => {
        for (let i = 0; i < 60; i++) say(`:irc.hostile 005 me ${Array.from({ length: 12 }, (_, j) => `TOK${i}X${j}=v`).join(' ')} :are supported by this server`);
      }),
    );
    const { pool, events } = newPool();
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/more than 512 ISUPPORT \(005\) tokens/);
  });

  it('reports registered once even when the server repeats RPL_WELCOME', async () => {
    const port = await scriptedServer(
      registerThen((say) => {
        say(':irc.hostile 001 me :Welcome again');
        say(':irc.hostile 001 other :And again');
        say(':irc.hostile NOTICE me :after');
      }),
    );
    const { pool, events, lines } = newPool();
    const key = connect(pool, port);
    await expect.poll(() => lines.includes(':irc.hostile NOTICE me :after'), { timeout: 5_000 }).toBe(true);
    expect(events.filter((e) => e.key === key).map((e) => e.ev)).toEqual([{ kind: 'registered', nick: 'me' }]);
  });

  it('keeps a well-behaved connection of the same pool, with a large finished NAMES', async () => {
    const nicks = Array.from({ length: 40 }, (_, i) => `n${i}`).join(' ');
    const good = await scriptedServer(
      registerThen((say) => {
        for (let i = 0; i < 200; i++) say(`:irc.hostile 353 good = #big :${nicks.replaceAll('n', `u${i}x`)}`);
        say(':irc.hostile 366 good #big :End of /NAMES list.');
        say(':irc.hostile NOTICE good :still fine');
      }),
    );
    const bad = await scriptedServer(
      registerThen((say) => {
        for (let i = 0; i < 100; i++) say(`:irc.hostile 353 me = #c${i} :a b`);
      }),
    );
    const { pool, events, lines } = newPool({ caches: 50 });
    const goodKey = connect(pool, good, 'good');
    const badKey = connect(pool, bad, 'bad');
    expect(await closedReason(events, badKey)).toMatch(/more than 50 replies unfinished/);
    await expect.poll(() => lines.includes(':irc.hostile NOTICE good :still fine'), { timeout: 5_000 }).toBe(true);
    expect(pool.has(goodKey)).toBe(true);
    expect(events.filter((e) => e.key === goodKey).map((e) => e.ev.kind)).toEqual(['registered']);
  });
});

describe('IrcPool keep-alive', () => {
  const keepAlive: KeepAliveOptions = { pingAfterMs: 40, timeoutMs: 400, sweepMs: 10 };

  it('sends PING to a registered server that falls silent, and again after each answer', async () => {
    const pings: string[] = [];
    const port = await scriptedServer((say, line) => {
      if (line.startsWith('USER ')) say(':irc.quiet 001 me :Welcome');
      if (line.startsWith('PING ')) {
        pings.push(line);
        say(`:irc.quiet PONG irc.quiet ${line.slice(5)}`);
      }
    });
    const { pool, events } = newPool(undefined, keepAlive);
    const key = connect(pool, port);
    await expect.poll(() => pings.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(pings.every((l) => /^PING :\d+$/.test(l))).toBe(true);
    expect(events.filter((e) => e.key === key).map((e) => e.ev.kind)).toEqual(['registered']);
    expect(pool.has(key)).toBe(true);
  });

  it('drops a server that answers nothing, with a reason that says so', async () => {
    const pings: string[] = [];
    const port = await scriptedServer((say, line) => {
      if (line.startsWith('USER ')) say(':irc.mute 001 me :Welcome');
      if (line.startsWith('PING ')) pings.push(line);
    });
    const { pool, events } = newPool(undefined, keepAlive);
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toBe('ping timeout: no data from the server for 0.4 s');
    expect(pings).toHaveLength(1);
    expect(pool.has(key)).toBe(false);
  });

  it('drops a server that accepts the socket and never registers us', async () => {
    const port = await scriptedServer(() => undefined);
    const { pool, events } = newPool(undefined, keepAlive);
    const key = connect(pool, port);
    expect(await closedReason(events, key)).toMatch(/^ping timeout/);
  });
});
