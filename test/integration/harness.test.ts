/**
 * Proves the test bed: each real server starts on loopback, serves what the
 * integration tests rely on, and stops without leaving processes behind.
 */
import net from 'node:net';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import {
  startEjabberd,
  startInspircd,
  startNgircd,
  startProsody,
  type IrcServer,
  type XmppServer,
  type XmppServerOptions,
} from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const COMPONENT = { domain: 'irc.localhost', secret: 'harness-secret' };
const ALICE = { username: 'alice', password: 'alice-pw' };

/** Writes `send` on a fresh socket and resolves with everything read once `until` matches. */
function exchange(port: number, send: string, until: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no ${until} within ${timeoutMs} ms; got: ${got}`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(send));
    sock.on('data', (chunk: string) => {
      got += chunk;
      if (until.test(got)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const XMPP_SERVERS: Array<[string, (o: XmppServerOptions) => Promise<XmppServer>]> = [
  ['Prosody', startProsody],
  ['ejabberd', startEjabberd],
];

describe.each(XMPP_SERVERS)('%s', (_name, start) => {
  let server: XmppServer;
  const users: XmppUser[] = [];

  beforeAll(async () => {
    server = await start({ component: COMPONENT, users: [ALICE] });
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(server?.logs());
  });
  afterAll(async () => {
    await Promise.all(users.map((u) => u.stop()));
    await server?.stop();
    if (server) expect(existsSync(server.dir)).toBe(false);
  });

  it('lets a user log in and answers disco#info on its own domain', async () => {
    const alice = await connectXmppUser({ host: server.host, port: server.c2sPort, domain: server.domain, ...ALICE });
    users.push(alice);
    expect(alice.bareJid).toBe(`alice@${server.domain}`);
    const reply = await alice.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: NS_DISCO_INFO })));
    expect(reply.attrs.type).toBe('result');
    expect(reply.getChild('query', NS_DISCO_INFO)?.getChildren('identity').some((i) => i.attrs.category === 'server')).toBe(true);
  });

  it('returns error responses from iq() instead of throwing', async () => {
    const alice = await connectXmppUser({ host: server.host, port: server.c2sPort, domain: server.domain, ...ALICE });
    users.push(alice);
    const reply = await alice.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: 'urn:jabirc:nonexistent' })));
    expect(reply.attrs.type).toBe('error');
    expect(reply.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it('adds users while running and rejects a wrong password', async () => {
    const bob = { username: `bob${Date.now().toString(36)}`, password: 'b0b "quoted" \\ pw' };
    await server.addUser(bob);
    const user = await connectXmppUser({ host: server.host, port: server.c2sPort, domain: server.domain, ...bob });
    users.push(user);
    await expect(
      connectXmppUser({ host: server.host, port: server.c2sPort, domain: server.domain, username: bob.username, password: 'wrong' }),
    ).rejects.toThrow(/not-authorized/);
  });

  it('allows SASL PLAIN over plaintext c2s (RFC 6120 §6, RFC 4616)', async () => {
    const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${server.domain}' version='1.0'>`;
    const features = await exchange(server.c2sPort, header, /<\/stream:features>/);
    expect(features).not.toMatch(/starttls/);
    expect(features).toMatch(/<mechanism>PLAIN<\/mechanism>/);
    expect(features).not.toMatch(/SCRAM/);
    const auth = Buffer.from(`\0${ALICE.username}\0${ALICE.password}`).toString('base64');
    const reply = await exchange(
      server.c2sPort,
      `${header}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`,
      /<success|<failure/,
    );
    expect(reply).toMatch(/<success/);
  });

  it('offers SCRAM-SHA-1 only when asked to', async () => {
    const scram = await start({ component: COMPONENT, offerScram: true });
    try {
      const features = await exchange(
        scram.c2sPort,
        `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${scram.domain}' version='1.0'>`,
        /<\/stream:features>/,
      );
      expect(features).toMatch(/<mechanism>SCRAM-SHA-1<\/mechanism>/);
    } finally {
      await scram.stop();
    }
  });

  it('listens for the component (XEP-0114 §3)', async () => {
    const reply = await exchange(
      server.componentPort,
      `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${COMPONENT.domain}'>`,
      /<stream:stream[^>]*>/,
    );
    const header = /<stream:stream[^>]*>/.exec(reply)?.[0] ?? '';
    expect(header).toMatch(/xmlns=['"]jabber:component:accept['"]/);
    expect(header).toMatch(/\sid=['"][^'"]+['"]/);
  });
});

describe.each<[string, () => Promise<IrcServer>]>([
  ['InspIRCd', startInspircd],
  ['ngIRCd', startNgircd],
])('%s', (name, start) => {
  let server: IrcServer;

  beforeAll(async () => {
    server = await start();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(server?.logs());
  });
  afterAll(async () => {
    await server?.stop();
    if (server) expect(existsSync(server.dir)).toBe(false);
  });

  it('registers a client (001)', async () => {
    const got = await exchange(server.port, 'NICK harness1\r\nUSER h 0 * :harness\r\n', / 001 harness1 /);
    expect(got).toMatch(new RegExp(`^:${server.name.replace(/\./g, '\\.')} 001 harness1 `, 'm'));
  });

  it('accepts many quick connections from loopback', async () => {
    const nicks = Array.from({ length: 12 }, (_, i) => `flood${i}`);
    await Promise.all(nicks.map((n) => exchange(server.port, `NICK ${n}\r\nUSER f 0 * :f\r\n`, new RegExp(` 001 ${n} `))));
  });

  // Only InspIRCd offers these IRCv3 capabilities; the test exists only where it applies.
  ((name === 'InspIRCd') ? it : () => undefined)('lists the IRCv3 capabilities the bridge uses', async () => {
    const got = await exchange(server.port, 'CAP LS 302\r\n', /CAP \* LS :[^\r\n]*\r\n/);
    const caps = /CAP \* LS :([^\r\n]*)/.exec(got)?.[1]?.split(' ').map((c) => c.split('=')[0]) ?? [];
    for (const cap of ['echo-message', 'server-time', 'away-notify', 'multi-prefix', 'message-tags', 'account-tag', 'chghost', 'cap-notify', 'userhost-in-names']) {
      expect(caps).toContain(cap);
    }
  });
});
