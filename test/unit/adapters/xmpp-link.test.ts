/**
 * The XMPP link's two byte guards (issue 8 §1, §5), against a scripted XEP-0114
 * server on loopback: what we write is always XML 1.0, and input ltx cannot
 * parse closes the stream with bad-format (RFC 6120 §4.9.3.1) and reconnects
 * instead of throwing out of a socket event.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import xml from '@xmpp/xml';
import { afterEach, describe, expect, it } from 'vitest';
import { XmppLink } from '../../../src/adapters/xmpp-link.js';
import { createLogger } from '../../../src/log.js';

const DOMAIN = 'gw.test';
/** XML 1.0 §2.2 Char, as a whole-string test. */
const XML_CHARS_ONLY = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

interface Peer {
  socket: Socket;
  /** Everything the link wrote, decoded as UTF-8. */
  received: string;
  online: Promise<void>;
}

/** A component-accept server: opens the stream with an id and accepts any handshake. */
async function fakeServer(): Promise<{ server: Server; port: number; peers: Peer[]; nextPeer(): Promise<Peer> }> {
  const peers: Peer[] = [];
  const waiting: Array<(p: Peer) => void> = [];
  const server = createServer((socket) => {
    let resolveOnline!: () => void;
    const peer: Peer = { socket, received: '', online: new Promise((r) => (resolveOnline = r)) };
    peers.push(peer);
    waiting.shift()?.(peer);
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      const before = peer.received;
      peer.received += chunk;
      if (!before.includes('<stream:stream') && peer.received.includes('<stream:stream')) {
        socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='${DOMAIN}'>`);
      }
      if (!before.includes('</handshake>') && peer.received.includes('</handshake>')) {
        socket.write('<handshake/>');
        resolveOnline();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, port, peers, nextPeer: () => new Promise((r) => waiting.push(r)) };
}

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function linkTo(port: number, out = capture()): Promise<{ link: XmppLink; out: ReturnType<typeof capture> }> {
  const { log } = createLogger('debug', out.stream);
  const link = new XmppLink({
    host: '127.0.0.1',
    port,
    domain: DOMAIN,
    secret: 'test-secret',
    connectTimeoutMs: 2000,
    reconnectMaxDelayMs: 200,
    log,
    onStanza: () => undefined,
    random: () => 0,
  });
  cleanups.push(() => link.stop(200));
  await link.start();
  return { link, out };
}

/** A fake server and a link online to it: the first peer, authenticated. */
async function connected(): Promise<{ srv: Awaited<ReturnType<typeof fakeServer>>; link: XmppLink; out: ReturnType<typeof capture>; first: Peer }> {
  const srv = await fakeServer();
  cleanups.push(() => void srv.server.close());
  const { link, out } = await linkTo(srv.port);
  const first = srv.peers[0]!;
  await first.online;
  return { srv, link, out, first };
}

describe('XmppLink', () => {
  it('writes only XML 1.0 characters: C0 controls, U+FFFE/U+FFFF and lone surrogates become U+FFFD', async () => {
    const { link, first: peer } = await connected();
    const hostile = 'x\x01\x1b\uFFFE\uFFFF\uD800y';
    link.send(
      xml(
        'iq',
        { type: 'result', id: `id\x02`, to: 'a@b/c', from: `#chan\x01%net@${DOMAIN}` },
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }, xml('item', { jid: `#\uFFFF%net@${DOMAIN}`, name: hostile })),
        xml('body', {}, hostile),
      ),
    );
    await expect.poll(() => peer.received.includes('</iq>')).toBe(true);
    const iq = peer.received.slice(peer.received.indexOf('<iq'));
    expect(iq).toMatch(XML_CHARS_ONLY);
    expect(iq).toContain(`from="#chan\uFFFD%net@${DOMAIN}"`);
    expect(iq).toContain('<body>x\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDy</body>');
    // C1 controls and DEL are legal XML and pass unchanged; so does a surrogate pair.
    link.send(xml('message', { to: 'a@b', from: DOMAIN }, xml('body', {}, 'c1\x85 del\x7f 😀')));
    await expect.poll(() => peer.received.includes('</message>')).toBe(true);
    expect(peer.received).toContain('<body>c1\x85 del\x7f 😀</body>');
  });

  it.each([
    ['a character reference to a C0 control', `<message from='a@b' to='${DOMAIN}'><body>&#1;</body></message>`],
    ['a character reference to U+FFFF in an attribute', `<message from='a@b' to='${DOMAIN}' id='&#xFFFF;'/>`],
    ['an unknown entity', `<message from='a@b' to='${DOMAIN}'><body>&bogus;</body></message>`],
  ])('refuses %s with bad-format and reconnects, without throwing', async (_what, bad) => {
    const { srv, link, out, first } = await connected();
    const second = srv.nextPeer();
    first.socket.write(`${bad}<message from='a@b' to='${DOMAIN}'><body>after</body></message>`);
    await expect.poll(() => first.received).toContain('bad-format');
    // The stream is closed; the link comes back by itself on its back-off.
    const peer = await second;
    await peer.online;
    await expect.poll(() => link.online).toBe(true);
    const warned = out.lines().find((l) => l.msg === 'the XMPP server sent input we cannot parse; closing the stream (bad-format)');
    expect(warned?.level).toBe(40);
  });

  it('drops what arrives after a stream error the parser reported itself (a mismatched end tag)', async () => {
    const { srv, link, first } = await connected();
    const second = srv.nextPeer();
    first.socket.write(`<message from='a@b' to='${DOMAIN}'></iq>`);
    await expect.poll(() => first.received).toContain('bad-format');
    // @xmpp/connection has detached its parser by now; more data must not reach it.
    first.socket.write(`<message from='a@b' to='${DOMAIN}'><body>late</body></message>`);
    await (await second).online;
    await expect.poll(() => link.online).toBe(true);
  });

  it('drops a server that keeps the socket open after our stream error', async () => {
    const { srv, link, first } = await connected();
    // Never answers </stream:stream> and never closes: the link destroys the socket itself.
    const second = srv.nextPeer();
    first.socket.write(`<message from='a@b' to='${DOMAIN}'>&#0;</message>`);
    await (await second).online;
    await expect.poll(() => link.online).toBe(true);
  });

  it('writes the stanzas of one turn in order, each whole, with a missing from set to the domain', async () => {
    const { link, first: peer } = await connected();
    for (let i = 0; i < 5; i++) link.send(xml('message', { to: `u${i}@d/r`, type: 'chat' }, xml('body', {}, `m${i} <&>`)));
    await expect.poll(() => peer.received.includes('u4@d/r')).toBe(true);
    const sent = peer.received.slice(peer.received.indexOf('<message'));
    expect(sent).toBe(
      [0, 1, 2, 3, 4].map((i) => `<message to="u${i}@d/r" type="chat" from="${DOMAIN}"><body>m${i} &lt;&amp;&gt;</body></message>`).join(''),
    );
  });

  it('keeps what is sent while the link is down and writes it, in order, before anything newer', async () => {
    const { srv, link, first } = await connected();
    const second = srv.nextPeer();
    first.socket.destroy();
    await expect.poll(() => link.online).toBe(false);
    link.send(xml('message', { to: 'a@d', from: DOMAIN }, xml('body', {}, 'while down 1')));
    link.send(xml('message', { to: 'b@d', from: DOMAIN }, xml('body', {}, 'while down 2')));
    const peer = await second;
    await peer.online;
    await expect.poll(() => link.online).toBe(true);
    link.send(xml('message', { to: 'c@d', from: DOMAIN }, xml('body', {}, 'after')));
    await expect.poll(() => peer.received.includes('after')).toBe(true);
    const a = peer.received.indexOf('while down 1');
    const b = peer.received.indexOf('while down 2');
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    expect(peer.received.indexOf('after')).toBeGreaterThan(b);
  });
});
