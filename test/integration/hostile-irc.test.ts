/**
 * A hostile IRC server cannot take the component link down (issue 8 §1).
 *
 * Real Prosody, Jabirc as a child process, and a scripted IRC server on loopback
 * that puts XML-illegal characters (C0 controls, U+FFFE/U+FFFF) everywhere the
 * bridge copies IRC text into a stanza: nicks in NAMES (occupant resources), the
 * msgid tag (stanza ids), channel names in LIST (disco#items), message text and
 * the ERROR line ("Disconnected from…"). Before the link sanitised what it writes,
 * Prosody's expat found the stream not well-formed and closed the component
 * stream — every user lost the gateway. Asserted: Jabirc never loses its link,
 * the gateway still answers, and the stanzas that Prosody accepts carry U+FFFD.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import xml from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { startProsody, type XmppServer } from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const GW = 'irc.localhost';
const NETWORK = 'hostile.localhost';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const SERVER = 'irc.hostile';
/** Nothing XML 1.0 §2.2 forbids, as a whole-string test. */
const XML_CHARS_ONLY = /^[\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/** A scripted IRC server: registers anyone, answers JOIN and LIST with hostile names. */
interface HostileIrc {
  server: Server;
  port: number;
  clients: Array<{ socket: Socket; nick: string }>;
  /** Resolves with the client once it has joined `channel`. */
  joined(channel: string): Promise<{ socket: Socket; nick: string }>;
}

async function hostileIrc(): Promise<HostileIrc> {
  const clients: HostileIrc['clients'] = [];
  const joins: Array<{ channel: string; resolve: (c: { socket: Socket; nick: string }) => void }> = [];
  const server = createServer((socket) => {
    const client = { socket, nick: '*' };
    clients.push(client);
    socket.on('error', () => undefined);
    const say = (line: string): void => void socket.write(`${line}\r\n`, 'utf8');
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        const [command, ...args] = line.split(' ');
        const n = client.nick;
        switch (command?.toUpperCase()) {
          case 'NICK':
            client.nick = args[0] ?? 'x';
            break;
          case 'USER':
            say(`:${SERVER} 001 ${n} :Welcome`);
            say(`:${SERVER} 005 ${n} CASEMAPPING=rfc1459 CHANTYPES=# PREFIX=(ov)@+ :are supported by this server`);
            say(`:${SERVER} 422 ${n} :MOTD File is missing`);
            break;
          case 'PING':
            say(`:${SERVER} PONG ${SERVER} :${args.join(' ').replace(/^:/, '')}`);
            break;
          case 'JOIN': {
            const ch = (args[0] ?? '').split(',')[0]!;
            say(`:${n}!u@127.0.0.1 JOIN ${ch}`);
            say(`:${SERVER} 332 ${n} ${ch} :topic with \x01 and \uFFFF`);
            // Only #nicks* gets hostile nicks: Prosody bounces a presence from such an
            // occupant JID (invalid source JID), and the bridge then leaves that room.
            const names = ch.startsWith('#nicks') ? `@bad\x01op +bad\uFFFFvoice bad\x0Bnick` : '@op friend';
            say(`:${SERVER} 353 ${n} = ${ch} :${n} ${names}`);
            say(`:${SERVER} 366 ${n} ${ch} :End of /NAMES list.`);
            for (const j of joins.filter((w) => w.channel === ch)) j.resolve(client);
            break;
          }
          case 'LIST':
            say(`:${SERVER} 321 ${n} Channel :Users  Name`);
            say(`:${SERVER} 322 ${n} #e\x01vil 7 :a topic \x02with\x1F controls`);
            say(`:${SERVER} 322 ${n} #non\uFFFEchar 3 :\uFFFF`);
            say(`:${SERVER} 322 ${n} #fine 1 :ok`);
            say(`:${SERVER} 323 ${n} :End of /LIST`);
            break;
          default:
            break;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    clients,
    joined: (channel) => new Promise((resolve) => joins.push({ channel, resolve })),
  };
}

describe('a hostile IRC server against Jabirc on Prosody', () => {
  let prosody: XmppServer;
  let irc: HostileIrc;
  let gw: JabircProcess;
  let user: XmppUser;
  const room = (channel: string): string => `${channel}%${NETWORK}@${GW}`;

  beforeAll(async () => {
    const password = `p-${randomBytes(4).toString('hex')}`;
    [prosody, irc] = await Promise.all([
      startProsody({ component: { domain: GW, secret: `s-${randomBytes(6).toString('hex')}` }, users: [{ username: 'victim', password }] }),
      hostileIrc(),
    ]);
    const dir = await jabircDir();
    gw = await startJabirc(dir, {
      configToml: jabircConfig(dir, {
        componentJid: GW,
        secret: prosody.component.secret,
        host: prosody.host,
        port: prosody.componentPort,
        domains: [prosody.domain],
        logLevel: 'debug',
        extra: `[irc]\nallow_private_addresses = true\nconnect_timeout_ms = 8000\n[irc.networks."${NETWORK}"]\nhost = "127.0.0.1"\nport = ${irc.port}\ntls = false\n`,
      }),
    });
    await gw.waitForLog('component online');
    user = await connectXmppUser({ host: prosody.host, port: prosody.c2sPort, domain: prosody.domain, username: 'victim', password });
    await user.send(xml('presence'));
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.log(`--- Jabirc ---\n${gw.output().slice(-8000)}\n--- Prosody ---\n${prosody.logs().slice(-4000)}`);
    }
  });

  afterAll(async () => {
    await user?.stop();
    await gw?.stop();
    irc?.server.close();
    for (const c of irc?.clients ?? []) c.socket.destroy();
    await prosody?.stop();
  });

  /** The link is up: never lost, and the gateway still answers an iq through Prosody. */
  async function expectLinkUp(): Promise<void> {
    expect(gw.logLines().filter((l) => l.msg === 'component link lost')).toEqual([]);
    const pong = await user.iq(xml('iq', { type: 'get', to: GW }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 10_000);
    expect(pong.attrs.type).toBe('result');
  }

  /** Joins `channel` and waits for the subject, which closes the join (XEP-0045 §7.2.16). */
  async function join(channel: string): Promise<{ socket: Socket; nick: string }> {
    const joined = irc.joined(channel);
    await user.send(xml('presence', { to: `${room(channel)}/me` }, xml('x', { xmlns: NS_MUC })));
    const client = await joined;
    const subject = await user.waitFor((e) => e.name === 'message' && e.getChild('subject') !== undefined && e.attrs.from === room(channel), 20_000);
    expect(subject.getChildText('subject')).toMatch(XML_CHARS_ONLY);
    return client;
  }

  it('survives hostile nicks in NAMES (occupant resources)', async () => {
    await join('#nicks');
    // Prosody parsed those presences (and refused their source JIDs): the stream is intact.
    await expect.poll(() => prosody.logs(), { timeout: 10_000 }).toContain('invalid source JID');
    await expectLinkUp();
  });

  it('survives a hostile msgid (stanza id), message text, KICK and 401 target', async () => {
    const client = await join('#ok');
    client.socket.write(`@msgid=id\x01\uFFFF;time=2026-01-01T00:00:00.000Z :op!u@127.0.0.1 PRIVMSG #ok :hello \x01ACTION\x01 \uFFFE there\r\n`);
    client.socket.write(`:friend!u@127.0.0.1 PRIVMSG #ok :second \x10 line\r\n`);
    client.socket.write(`:op!u@127.0.0.1 KICK #ok friend :because \x07\uFFFF\r\n`);
    client.socket.write(`:${SERVER} 401 ${client.nick} no\x01body :No such nick\r\n`);
    const first = await user.waitFor((e) => e.name === 'message' && e.attrs.from === `${room('#ok')}/op` && e.getChild('body') !== undefined, 20_000);
    expect(first.toString()).toMatch(XML_CHARS_ONLY);
    // A message after them all, with a clean text: it arrives only if the stream is still up.
    client.socket.write(`:op!u@127.0.0.1 PRIVMSG #ok :still here\r\n`);
    const last = await user.waitFor((e) => e.name === 'message' && e.getChildText('body') === 'still here', 20_000);
    expect(last.attrs.from).toBe(`${room('#ok')}/op`);
    await expectLinkUp();
  });

  it('survives hostile channel names and topics in LIST (disco#items of the network)', async () => {
    const items = await user.iq(xml('iq', { type: 'get', to: `${NETWORK}@${GW}` }, xml('query', { xmlns: NS_DISCO_ITEMS })), 20_000);
    expect(items.attrs.type).toBe('result');
    const listed = items.getChild('query', NS_DISCO_ITEMS)!.getChildren('item');
    expect(listed.map((i) => i.attrs.jid)).toContain(room('#fine'));
    for (const item of listed) {
      expect(item.attrs.jid).toMatch(XML_CHARS_ONLY);
      expect(item.attrs.name).toMatch(XML_CHARS_ONLY);
    }
    await expectLinkUp();
  });

  it('survives a hostile ERROR line ("Disconnected from…" reaches the rooms)', async () => {
    const client = irc.clients.find((c) => c.nick !== '*' && !c.socket.destroyed);
    if (!client) throw new Error('no IRC connection left to end');
    client.socket.end(`ERROR :Closing link: \x01\uFFFF${'x'.repeat(300)}\r\n`);
    await gw.waitForLog('closed', 15_000, (l) => typeof l.reason === 'string' && l.reason.includes('Closing link'));
    // Let the bridge tell the room before asking whether the link survived.
    await new Promise((r) => setTimeout(r, 1000));
    await expectLinkUp();
  });
});
