/**
 * The identd socket side on loopback: replies, and the bounds that keep a slow or
 * hostile client from holding sockets (waiting for the server's close, never timing it).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startIdentd, type IdentdServer } from '../../../src/adapters/identd.js';
import { createLogger } from '../../../src/log.js';

const { log } = createLogger('silent');
const servers: IdentdServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(opts: { timeoutMs?: number; maxSockets?: number } = {}): Promise<{ port: number; asked: Array<[number, number, string]> }> {
  const asked: Array<[number, number, string]> = [];
  const server = await startIdentd({
    host: '127.0.0.1',
    port: 0,
    log,
    lookup: (l, r, peer) => {
      asked.push([l, r, peer]);
      return l === 6193 && r === 6667 ? 'k3a9c0ffee' : undefined;
    },
    ...opts,
  });
  servers.push(server);
  return { port: server.address.port, asked };
}

/** Connects, writes `text`, and resolves with everything read once the server closes. */
function exchange(port: number, text: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (got += d));
    socket.on('error', () => undefined); // a refused socket is reset; 'close' follows
    socket.on('close', () => resolve(got));
    if (text !== undefined) socket.write(text);
  });
}

describe('identd', () => {
  it('answers USERID for our port pair, asking with the peer address, then closes', async () => {
    const { port, asked } = await start();
    expect(await exchange(port, '6193, 6667\r\n')).toBe('6193 , 6667 : USERID : UNIX : k3a9c0ffee\r\n');
    expect(asked).toEqual([[6193, 6667, '127.0.0.1']]);
  });

  it('answers NO-USER for a pair that is not ours, INVALID-PORT for a port out of range', async () => {
    const { port } = await start();
    expect(await exchange(port, '6194 , 6667\n')).toBe('6194 , 6667 : ERROR : NO-USER\r\n');
    expect(await exchange(port, '0 , 6667\n')).toBe('0 , 6667 : ERROR : INVALID-PORT\r\n');
  });

  it('closes without a reply on a line that is not a query, or an over-long one', async () => {
    const { port, asked } = await start();
    expect(await exchange(port, 'GET / HTTP/1.0\r\n')).toBe('');
    expect(await exchange(port, ' '.repeat(4000))).toBe('');
    expect(asked).toEqual([]);
  });

  it('closes a socket that says nothing', async () => {
    const { port } = await start({ timeoutMs: 50 });
    expect(await exchange(port, undefined)).toBe('');
  });

  it('holds at most maxSockets at once: one more is closed on accept', async () => {
    const { port } = await start({ maxSockets: 2, timeoutMs: 60_000 });
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
          }),
      ),
    );
    // The server has accepted both once it answers on a third socket… which it must refuse.
    await new Promise((r) => setImmediate(r));
    expect(await exchange(port, '6193, 6667\r\n')).toBe('');
    held[0]!.destroy();
    await new Promise<void>((r) => held[0]!.on('close', () => r()));
    // Room again: wait until the server has seen the close, by asking until it answers.
    let reply = '';
    for (let i = 0; i < 100 && reply === ''; i++) reply = await exchange(port, '6193, 6667\r\n');
    expect(reply).toBe('6193 , 6667 : USERID : UNIX : k3a9c0ffee\r\n');
    held[1]!.destroy();
  });
});
