/**
 * The bridge end to end: a real XMPP client on one side, a raw IRC client on the other,
 * real Prosody/ejabberd and InspIRCd/ngIRCd between them, Jabirc as a child process.
 * Each scenario uses its own users, nicks and channels.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import {
  freePorts,
  startEjabberd,
  startInspircd,
  startNgircd,
  startProsody,
  type IrcServer,
  type XmppServer,
} from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const GW = 'irc.localhost';

const combos = [
  { name: 'Prosody + InspIRCd', xmpp: startProsody, irc: startInspircd },
  { name: 'ejabberd + ngIRCd', xmpp: startEjabberd, irc: startNgircd },
] as const;

function uid(): string {
  return randomBytes(3).toString('hex');
}

function statuses(p: Element): string[] {
  return (p.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((s) => s.attrs.code ?? '');
}

function condition(el: Element): string | undefined {
  return el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS)?.name;
}

describe.each(combos)('bridge with $name', (combo) => {
  let xmppServer: XmppServer;
  let ircServer: IrcServer;
  let gw: JabircProcess;
  const cleanups: Array<() => Promise<unknown>> = [];

  let silent: Server;
  let closedPort: number;

  beforeAll(async () => {
    [xmppServer, ircServer] = await Promise.all([
      combo.xmpp({ component: { domain: GW, secret: `s-${uid()}` } }),
      combo.irc(),
    ]);
    // A network whose server accepts connections and never says a word, and one that refuses them.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    [closedPort] = await freePorts(1);
    const silentPort = (silent.address() as AddressInfo).port;
    const network = (name: string, port: number): string => `[irc.networks."${name}"]\nhost = "127.0.0.1"\nport = ${port}\ntls = false\n`;
    const dir = await jabircDir();
    const extra = [
      '[irc]',
      'allow_private_addresses = true',
      'connect_timeout_ms = 8000',
      network('localhost', ircServer.port),
      network('silent.localhost', silentPort),
      network('dead.localhost', closedPort!),
    ].join('\n');
    gw = await startJabirc(dir, {
      configToml: jabircConfig(dir, {
        componentJid: GW,
        secret: xmppServer.component.secret,
        host: xmppServer.host,
        port: xmppServer.componentPort,
        domains: [xmppServer.domain],
        logLevel: 'debug',
        extra,
      }),
    });
    await gw.waitForLog('component online');
  });

  afterEach(async (ctx) => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (ctx.task.result?.state === 'fail') {
      console.log(`--- Jabirc output ---\n${gw.output().slice(-6000)}\n--- XMPP server ---\n${xmppServer.logs().slice(-3000)}\n--- IRC server ---\n${ircServer.logs().slice(-2000)}`);
    }
  });

  afterAll(async () => {
    silent?.close();
    await gw?.stop();
    await Promise.all([xmppServer?.stop(), ircServer?.stop()]);
  });

  async function xmppUser(name = `u${uid()}`, resource?: string): Promise<XmppUser> {
    const password = `p-${uid()}`;
    await xmppServer.addUser({ username: name, password }).catch(() => undefined);
    const u = await connectXmppUser({ host: xmppServer.host, port: xmppServer.c2sPort, domain: xmppServer.domain, username: name, password, resource });
    cleanups.push(() => u.stop());
    await u.send(xml('presence')); // available, as a client is: messages to the bare JID reach it
    return u;
  }

  async function sameUser(name: string, password: string, resource: string): Promise<XmppUser> {
    const u = await connectXmppUser({ host: xmppServer.host, port: xmppServer.c2sPort, domain: xmppServer.domain, username: name, password, resource });
    cleanups.push(() => u.stop());
    return u;
  }

  async function ircUser(nick = `i${uid()}`, caps: string[] = []): Promise<IrcUser> {
    const u = await connectIrcUser(ircServer.host, ircServer.port, nick, caps);
    cleanups.push(() => u.stop());
    return u;
  }

  function room(channel: string, network = 'localhost'): string {
    return `${channel.replace('&', '\\26')}%${network}@${GW}`;
  }

  /** Joins and returns every presence and the subject, in order, up to the subject. */
  async function join(u: XmppUser, channel: string, nick: string, password?: string): Promise<{ presences: Element[]; subject: Element }> {
    const roomJid = room(channel);
    await u.send(xml('presence', { to: `${roomJid}/${nick}` }, xml('x', { xmlns: NS_MUC }, password ? xml('password', {}, password) : null)));
    const presences: Element[] = [];
    for (;;) {
      const el = await u.waitFor((e) => (e.name === 'presence' || (e.name === 'message' && e.getChild('subject') !== undefined)) && (e.attrs.from ?? '').startsWith(roomJid), 20_000);
      if (el.name === 'message') return { presences, subject: el };
      if (el.attrs.type === 'error') throw Object.assign(new Error(`join refused: ${el.toString()}`), { stanza: el });
      presences.push(el);
    }
  }

  async function joinError(u: XmppUser, channel: string, nick: string, password?: string): Promise<Element> {
    try {
      await join(u, channel, nick, password);
    } catch (err) {
      const stanza = (err as { stanza?: Element }).stanza;
      if (stanza) return stanza;
      throw err;
    }
    throw new Error('the join succeeded');
  }

  it('shows an IRC user added to the roster online, then offline (MONITOR, or ISON where there is none)', async () => {
    const irc = await ircUser();
    const u = await xmppUser();
    const ch = `#c${uid()}`;
    await join(u, ch, `n${uid()}`); // a session on the network
    const contact = `${irc.nick}%localhost@${GW}`;
    await u.send(xml('presence', { to: contact, type: 'subscribe' }));
    // XEP-0100 §5.1: the gateway approves and asks back; the client approves.
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === contact && e.attrs.type === 'subscribe');
    await u.send(xml('presence', { to: contact, type: 'subscribed' }));
    const online = await u.waitFor((e) => e.name === 'presence' && e.attrs.from?.startsWith(contact) === true && e.attrs.type === undefined, 20_000);
    expect(online.attrs.from?.split('/')[0]).toBe(contact);
    const monitor = combo.name.includes('InspIRCd'); // ngIRCd has no MONITOR
    if (monitor) {
      irc.send('QUIT :bye');
      const offline = await u.waitFor((e) => e.name === 'presence' && e.attrs.from?.startsWith(contact) === true && e.attrs.type === 'unavailable', 20_000);
      expect(offline.attrs.type).toBe('unavailable');
    } else {
      // ISON is polled every minute: unsubscribing ends the contact at once instead.
      await u.send(xml('presence', { to: contact, type: 'unsubscribe' }));
      const gone = await u.waitFor((e) => e.name === 'presence' && e.attrs.from?.startsWith(contact) === true && e.attrs.type === 'unavailable', 20_000);
      expect(gone.attrs.type).toBe('unavailable');
    }
  });

  it('joins a channel: occupants from NAMES with roles, self-presence 110, then the subject', async () => {
    const ch = `#j${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    irc.send(`TOPIC ${ch} :Welcome to the test`);
    await irc.waitFor((m) => m.command === 'TOPIC');
    const u = await xmppUser();
    const asked = `w${uid()}`;
    const { presences, subject } = await join(u, ch, asked);
    const other = presences.find((p) => p.attrs.from === `${room(ch)}/${irc.nick}`);
    expect(other?.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs).toMatchObject({ affiliation: 'admin', role: 'moderator' });
    const self = presences[presences.length - 1]!;
    expect(statuses(self)).toContain('110');
    expect(subject.getChildText('subject')).toBe('Welcome to the test');
    // IRC sees one JOIN of the gateway user.
    const joinLine = await irc.waitFor((m) => m.command === 'JOIN' && m.source?.nick !== irc.nick);
    expect(self.attrs.from).toBe(`${room(ch)}/${joinLine.source!.nick}`);
    // With no registered nick, the nick asked for is the nick got (issue 9 §2): no 210.
    expect(joinLine.source!.nick).toBe(asked);
    expect(statuses(self)).not.toContain('210');
  });

  it('relays groupchat both ways with the exact text, reflecting the sender’s message once with its id', async () => {
    const ch = `#m${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    const { presences } = await join(u, ch, 'me');
    const selfJid = presences[presences.length - 1]!.attrs.from!;
    const body = 'héllo wörld ✓ 🎉 <b>&amp;';
    await u.send(xml('message', { to: room(ch), type: 'groupchat', id: 'msg-1' }, xml('body', {}, body)));
    const got = await irc.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === ch);
    expect(got.params[1]).toBe(body);
    const reflected = await u.waitFor((e) => e.name === 'message' && e.attrs.id === 'msg-1');
    expect(reflected.attrs.from).toBe(selfJid);
    expect(reflected.getChildText('body')).toBe(body);
    expect(reflected.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by).toBe(room(ch));
    irc.send(`PRIVMSG ${ch} :from irc ü`);
    const inbound = await u.waitFor((e) => e.name === 'message' && e.getChildText('body') === 'from irc ü');
    expect(inbound.attrs.from).toBe(`${room(ch)}/${irc.nick}`);
    expect(inbound.attrs.type).toBe('groupchat');
    // No duplicate reflection arrives.
    await new Promise((r) => setTimeout(r, 1500));
    expect(u.pending().filter((e) => e.attrs.id === 'msg-1')).toHaveLength(0);
  });

  it('cannot be made to send an IRC command: CR/LF in a body become separate PRIVMSGs', async () => {
    const ch = `#x${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    await join(u, ch, 'me');
    await u.send(xml('message', { to: room(ch), type: 'groupchat', id: 'inj' }, xml('body', {}, 'hi\r\nQUIT :x\rPART #y')));
    const a = await irc.waitFor((m) => m.command === 'PRIVMSG');
    const b = await irc.waitFor((m) => m.command === 'PRIVMSG');
    const c = await irc.waitFor((m) => m.command === 'PRIVMSG');
    expect([a.params[1], b.params[1], c.params[1]]).toEqual(['hi', 'QUIT :x', 'PART #y']);
    await u.waitFor((e) => e.name === 'message' && e.attrs.id === 'inj');
    // A real CR survives XML line-end normalisation only as a character reference.
    await u.sendRaw(`<message to='${room(ch)}' type='groupchat' id='cr'><body>one&#13;QUIT :y&#13;&#10;two</body></message>`);
    const d = await irc.waitFor((m) => m.command === 'PRIVMSG');
    const e = await irc.waitFor((m) => m.command === 'PRIVMSG');
    const f = await irc.waitFor((m) => m.command === 'PRIVMSG');
    expect([d.params[1], e.params[1], f.params[1]]).toEqual(['one', 'QUIT :y', 'two']);
    await u.waitFor((el) => el.name === 'message' && el.attrs.id === 'cr');
    irc.send(`PRIVMSG ${ch} :still here?`);
    await u.waitFor((e) => e.getChildText('body') === 'still here?');
    expect(irc.raw().some((l) => / QUIT /.test(l) && !l.includes('PRIVMSG'))).toBe(false);
  });

  it('maps /me to CTCP ACTION and back, and shows NOTICE distinctly', async () => {
    const ch = `#a${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    await join(u, ch, 'me');
    await u.send(xml('message', { to: room(ch), type: 'groupchat' }, xml('body', {}, '/me waves')));
    const action = await irc.waitFor((m) => m.command === 'PRIVMSG');
    expect(action.params[1]).toBe('\x01ACTION waves\x01');
    irc.send(`PRIVMSG ${ch} :\x01ACTION dances\x01`);
    expect((await u.waitFor((e) => e.getChildText('body')?.includes('dances') === true)).getChildText('body')).toBe('/me dances');
    irc.send(`NOTICE ${ch} :\x02bold\x02 news`);
    expect((await u.waitFor((e) => e.getChildText('body')?.includes('news') === true)).getChildText('body')).toBe('[notice] *bold* news');
  });

  it('relays private messages both ways through nick%network, and bounces a message to a missing nick', async () => {
    const ch = `#p${uid()}`;
    const irc = await ircUser();
    const u = await xmppUser();
    await join(u, ch, 'me');
    const userJid = `${irc.nick}%localhost@${GW}`;
    await u.send(xml('message', { to: userJid, type: 'chat', id: 'pm1' }, xml('body', {}, 'psst')));
    const pm = await irc.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === irc.nick);
    expect(pm.params[1]).toBe('psst');
    irc.send(`PRIVMSG ${pm.source!.nick} :hello back`);
    const back = await u.waitFor((e) => e.name === 'message' && e.getChildText('body') === 'hello back');
    expect(back.attrs.from?.toLowerCase()).toBe(userJid.toLowerCase());
    expect(back.attrs.type).toBe('chat');
    await u.send(xml('message', { to: `nobody${uid()}%localhost@${GW}`, type: 'chat', id: 'pm2' }, xml('body', {}, 'anyone?')));
    const bounce = await u.waitFor((e) => e.attrs.id === 'pm2' && e.attrs.type === 'error');
    expect(condition(bounce)).toBe('item-not-found');
    // Chat states alone make no IRC traffic.
    await u.send(xml('message', { to: userJid, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await u.send(xml('message', { to: userJid, type: 'chat' }, xml('body', {}, 'after')));
    const next = await irc.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === irc.nick);
    expect(next.params[1]).toBe('after');
  });

  it('turns IRC refusals into MUC errors: wrong key, invite-only', async () => {
    const keyed = `#k${uid()}`;
    const invite = `#i${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${keyed}`);
    irc.send(`JOIN ${invite}`);
    await irc.waitFor((m) => m.command === '366' && m.params[1] === keyed);
    await irc.waitFor((m) => m.command === '366' && m.params[1] === invite);
    irc.send(`MODE ${keyed} +k sesame`);
    irc.send(`MODE ${invite} +i`);
    await irc.waitFor((m) => m.command === 'MODE' && m.params[0] === invite);
    const u = await xmppUser();
    expect(condition(await joinError(u, keyed, 'me', 'wrong'))).toBe('not-authorized');
    expect(condition(await joinError(u, invite, 'me'))).toBe('registration-required');
    // The right key works.
    const { presences } = await join(u, keyed, 'me', 'sesame');
    expect(statuses(presences[presences.length - 1]!)).toContain('110');
  });

  it('refuses networks that are not open, and fails a join to a dead server quickly', async () => {
    const u = await xmppUser();
    await u.send(xml('presence', { to: `#c%irc.example.net@${GW}/me` }, xml('x', { xmlns: NS_MUC })));
    const refused = await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'error');
    expect(condition(refused)).toBe('not-allowed');
    const t0 = Date.now();
    await u.send(xml('presence', { to: `${room('#c', 'dead.localhost')}/me` }, xml('x', { xmlns: NS_MUC })));
    const dead = await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'error' && e.attrs.from?.startsWith('#c%dead') === true);
    expect(condition(dead)).toBe('remote-server-not-found');
    expect(dead.getChild('error')?.getChildText('text')).toContain('connection refused');
    expect(Date.now() - t0).toBeLessThan(5000);
    // A server that never answers: the join fails within the configured bound (8 s here).
    await u.send(xml('presence', { to: `${room('#c', 'silent.localhost')}/me` }, xml('x', { xmlns: NS_MUC })));
    const silentErr = await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'error' && e.attrs.from?.startsWith('#c%silent') === true, 15_000);
    expect(['remote-server-timeout', 'remote-server-not-found']).toContain(condition(silentErr));
    expect(Date.now() - t0).toBeLessThan(14_000);
  });

  it('gives an alternative nick when the user’s nick is taken (status 210), and changes nick on request', async () => {
    const name = `n${uid()}`;
    const squatter = await ircUser(name);
    void squatter;
    const u = await xmppUser(name);
    const ch = `#n${uid()}`;
    const { presences } = await join(u, ch, name);
    const self = presences[presences.length - 1]!;
    expect(self.attrs.from).toBe(`${room(ch)}/${name}_`);
    expect(statuses(self)).toEqual(expect.arrayContaining(['110', '210']));
    const wanted = `w${uid()}`;
    await u.send(xml('presence', { to: `${room(ch)}/${wanted}` }));
    const changed = await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'unavailable' && statuses(e).includes('303'));
    expect(changed.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.nick).toBe(wanted);
    expect(statuses(changed)).toContain('110');
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${wanted}` && !e.attrs.type);
    // Taking a nick that is in use is refused with conflict (XEP-0045 §7.6).
    await u.send(xml('presence', { to: `${room(ch)}/${name}` }));
    const conflict = await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'error');
    expect(condition(conflict)).toBe('conflict');
  });

  it('carries topic changes both ways, away status, and refuses CR/LF in subjects as commands', async () => {
    const ch = `#t${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    const { presences } = await join(u, ch, 'me');
    const myNick = presences[presences.length - 1]!.attrs.from!.split('/')[1]!;
    irc.send(`MODE ${ch} -t`); // (ngIRCd channels start without +t and send no reply)
    irc.send(`MODE ${ch}`);
    expect((await irc.waitFor((m) => m.command === '324')).params[2]).not.toContain('t');
    await u.send(xml('message', { to: room(ch), type: 'groupchat' }, xml('subject', {}, 'new topic\r\nQUIT :pwned')));
    const topic = await irc.waitFor((m) => m.command === 'TOPIC');
    expect(topic.params[1]).toBe('new topic QUIT :pwned');
    irc.send(`TOPIC ${ch} :from irc`);
    const subj = await u.waitFor((e) => e.name === 'message' && e.getChildText('subject') === 'from irc');
    expect(subj.attrs.from).toBe(`${room(ch)}/${irc.nick}`);
    await u.send(xml('presence', { to: `${room(ch)}/${myNick}` }, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    // The AWAY travels through the XMPP server first: ask WHOIS until it shows.
    let awayText: string | undefined;
    for (let i = 0; i < 20 && awayText === undefined; i++) {
      irc.send(`WHOIS ${myNick}`);
      const reply = await irc.waitFor((m) => m.command === '301' || m.command === '318');
      if (reply.command === '301') awayText = reply.params[2];
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(awayText).toBe('lunch');
    await u.send(xml('presence', { to: `${room(ch)}/${myNick}` }));
    for (let i = 0; i < 20 && awayText !== undefined; i++) {
      irc.send(`WHOIS ${myNick}`);
      const reply = await irc.waitFor((m) => m.command === '301' || m.command === '318');
      if (reply.command === '318') awayText = undefined;
      else {
        await irc.waitFor((m) => m.command === '318');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(awayText).toBeUndefined();
  });

  it('lets operators kick and voice from XMPP, and refuses it with forbidden without the privilege', async () => {
    const ch = `#o${uid()}`;
    const u = await xmppUser();
    await join(u, ch, 'me'); // first in: IRC makes us operator
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${irc.nick}`);
    const admin = (item: Record<string, string>, reason?: string): Element =>
      xml('iq', { type: 'set', to: room(ch) }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', item, reason ? xml('reason', {}, reason) : null)));
    expect((await u.iq(admin({ nick: irc.nick, role: 'participant' }))).attrs.type).toBe('result');
    const voice = await irc.waitFor((m) => m.command === 'MODE' && m.params[1] === '+v');
    expect(voice.params[2]).toBe(irc.nick);
    expect((await u.iq(admin({ nick: irc.nick, role: 'none' }, 'bye\r\nQUIT'))).attrs.type).toBe('result');
    const kick = await irc.waitFor((m) => m.command === 'KICK');
    expect(kick.params.slice(1)).toEqual([irc.nick, 'bye QUIT']);
    // A ban (affiliation outcast) is MODE +b and KICK on IRC, and a 301 in the room.
    const victim = await ircUser();
    victim.send(`JOIN ${ch}`);
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${victim.nick}` && !e.attrs.type);
    expect((await u.iq(admin({ nick: victim.nick, affiliation: 'outcast' }, 'spam'))).attrs.type).toBe('result');
    const banned = await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${victim.nick}` && e.attrs.type === 'unavailable');
    expect(statuses(banned)).toContain('301');
    victim.send(`JOIN ${ch}`);
    expect((await victim.waitFor((m) => m.command === '474')).params[1]).toBe(ch);
    // Someone without operator status.
    const ch2 = `#o${uid()}`;
    const op = await ircUser();
    op.send(`JOIN ${ch2}`);
    await op.waitFor((m) => m.command === '366');
    await join(u, ch2, 'me');
    const denied = await u.iq(xml('iq', { type: 'set', to: room(ch2) }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#admin' }, xml('item', { nick: op.nick, role: 'none' }))));
    expect(condition(denied)).toBe('forbidden');
  });

  it('answers room disco#info and lists channels on the network entity with RSM paging', async () => {
    const chans = [`#l${uid()}`, `#l${uid()}`, `#l${uid()}`];
    const irc = await ircUser();
    for (const c of chans) irc.send(`JOIN ${c}`);
    for (const c of chans) await irc.waitFor((m) => m.command === '366' && m.params[1] === c);
    const u = await xmppUser();
    await join(u, chans[0]!, 'me');
    const info = await u.iq(xml('iq', { type: 'get', to: room(chans[0]!) }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    expect(q.getChild('identity')?.attrs).toMatchObject({ category: 'conference' });
    expect(q.getChildren('feature').map((f) => f.attrs.var)).toContain(NS_MUC);
    const occupants = q.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants');
    expect(occupants?.getChildText('value')).toBe('2');
    const page = async (after?: string): Promise<Element> =>
      (await u.iq(xml('iq', { type: 'get', to: `localhost@${GW}` }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '2'), after ? xml('after', {}, after) : null))), 20_000)).getChild('query')!;
    const first = await page();
    expect(first.getChildren('item')).toHaveLength(2);
    const count = Number(first.getChild('set')?.getChildText('count'));
    expect(count).toBeGreaterThanOrEqual(3);
    const seen = new Set<string>();
    let cur: Element = first;
    for (let i = 0; i < 20; i++) {
      for (const it of cur.getChildren('item')) seen.add(it.attrs.jid!.toLowerCase());
      if (seen.size >= count) break;
      cur = await page(cur.getChild('set')!.getChildText('last')!);
    }
    for (const c of chans) expect(seen).toContain(room(c).toLowerCase());
  });

  it('splits long and multi-line bodies into PRIVMSGs under 512 bytes without losing a byte', async () => {
    const ch = `#s${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    await join(u, ch, 'me');
    const words = Array.from({ length: 300 }, (_, i) => `wörd${i}🎉`);
    const long = words.join(' ');
    await u.send(xml('message', { to: room(ch), type: 'groupchat', id: 'long' }, xml('body', {}, `first line\n${long}`)));
    const first = await irc.waitFor((m) => m.command === 'PRIVMSG');
    expect(first.params[1]).toBe('first line');
    // Every word arrives whole and in order. (The split keeps the boundary space at the
    // end of a line; ngIRCd trims trailing spaces on relay, InspIRCd keeps them.)
    const received: string[] = [];
    while (received.length < words.length) {
      const part = await irc.waitFor((m) => m.command === 'PRIVMSG');
      received.push(...part.params[1]!.split(' ').filter(Boolean));
    }
    expect(received).toEqual(words);
    for (const line of irc.raw()) expect(Buffer.byteLength(line) + 2).toBeLessThanOrEqual(512);
    // The reflection carries the whole body once.
    const reflected = await u.waitFor((e) => e.attrs.id === 'long');
    expect(reflected.getChildText('body')).toBe(`first line\n${long}`);
  });

  it('sends the MOTD as one message from the network, and parts when the client disconnects', async () => {
    const ch = `#q${uid()}`;
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    await join(u, ch, 'me');
    const motd = await u.waitFor((e) => e.name === 'message' && e.attrs.from === `localhost@${GW}`);
    // InspIRCd here has no MOTD file (422), ngIRCd has a one-line MotdPhrase.
    expect(motd.getChildText('body')).toMatch(/message of the day|Jabirc test server/i);
    await new Promise((r) => setTimeout(r, 500));
    expect(u.pending().filter((e) => e.attrs.from === `localhost@${GW}`)).toHaveLength(0);
    // The client goes away without leaving: its server sends unavailable to the room.
    await u.stop();
    const gone = await irc.waitFor((m) => m.command === 'PART' || m.command === 'QUIT');
    expect(gone.source?.nick).not.toBe(irc.nick);
  });

  it('reports a lost IRC link in the room, reconnects and rejoins by itself', async () => {
    const ch = `#z${uid()}`;
    const u = await xmppUser();
    const { presences } = await join(u, ch, 'me');
    const selfJid = presences[presences.length - 1]!.attrs.from!;
    await ircServer.restart();
    const note = await u.waitFor((e) => e.name === 'message' && (e.getChildText('body') ?? '').includes('reconnecting'), 20_000);
    expect(note.attrs.from).toBe(room(ch));
    // Back on IRC: a new IRC user finds the gateway user in the channel again.
    const irc = await ircUser();
    for (let i = 0; ; i++) {
      irc.send(`NAMES ${ch}`);
      const names = await irc.waitFor((m) => m.command === '353' || m.command === '366');
      if (names.command === '353' && names.params[3]!.split(' ').some((n) => n.replace(/^[@+]/, '') === selfJid.split('/')[1])) break;
      if (i > 60) throw new Error('the gateway user did not come back');
      await new Promise((r) => setTimeout(r, 500));
    }
    // And the room works again.
    irc.send(`JOIN ${ch}`);
    irc.send(`PRIVMSG ${ch} :welcome back`);
    await u.waitFor((e) => e.getChildText('body') === 'welcome back', 20_000);
  });

  it('tells occupants about IRC joins, parts, nick changes, kicks and quits with XEP-0045 status codes', async () => {
    const ch = `#e${uid()}`;
    const op = await ircUser();
    op.send(`JOIN ${ch}`);
    await op.waitFor((m) => m.command === '366');
    const u = await xmppUser();
    const { presences } = await join(u, ch, 'me');
    const myNick = presences[presences.length - 1]!.attrs.from!.split('/')[1]!;
    const other = await ircUser();
    other.send(`JOIN ${ch}`);
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${other.nick}` && !e.attrs.type);
    const renamed = `r${uid()}`;
    other.send(`NICK ${renamed}`);
    const gone = await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${other.nick}` && e.attrs.type === 'unavailable');
    expect(statuses(gone)).toContain('303');
    expect(gone.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs.nick).toBe(renamed);
    await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${renamed}` && !e.attrs.type);
    op.send(`MODE ${ch} +v ${renamed}`);
    const voiced = await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${renamed}` && !e.attrs.type);
    expect(voiced.getChild('x', NS_MUC_USER)?.getChild('item')?.attrs).toMatchObject({ role: 'participant', affiliation: 'member' });
    op.send(`KICK ${ch} ${renamed} :behave`);
    const kicked = await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${renamed}` && e.attrs.type === 'unavailable');
    expect(statuses(kicked)).toContain('307');
    expect(kicked.getChild('x', NS_MUC_USER)?.getChild('item')?.getChildText('reason')).toBe('behave');
    expect(kicked.getChild('x', NS_MUC_USER)?.getChild('item')?.getChild('actor')?.attrs.nick).toBe(op.nick);
    op.send(`KICK ${ch} ${myNick} :you too`);
    const selfKick = await u.waitFor((e) => e.name === 'presence' && e.attrs.from === `${room(ch)}/${myNick}` && e.attrs.type === 'unavailable');
    expect(statuses(selfKick)).toEqual(expect.arrayContaining(['110', '307']));
  });

  it('shares one IRC connection between two resources; one leaving does not part the other', async () => {
    const ch = `#r${uid()}`;
    const name = `u${uid()}`;
    const password = `p-${uid()}`;
    await xmppServer.addUser({ username: name, password });
    const a = await sameUser(name, password, 'phone');
    const b = await sameUser(name, password, 'laptop');
    const irc = await ircUser();
    irc.send(`JOIN ${ch}`);
    await irc.waitFor((m) => m.command === '366');
    await join(a, ch, 'me');
    const bJoin = await join(b, ch, 'me');
    const bSelf = bJoin.presences[bJoin.presences.length - 1]!.attrs.from!;
    irc.send(`PRIVMSG ${ch} :to both`);
    await a.waitFor((e) => e.getChildText('body') === 'to both');
    await b.waitFor((e) => e.getChildText('body') === 'to both');
    // IRC saw exactly one JOIN from the gateway user.
    await new Promise((r) => setTimeout(r, 500));
    expect(irc.raw().filter((l) => / JOIN /.test(l) && !l.startsWith(`:${irc.nick}!`))).toHaveLength(1);
    await a.send(xml('presence', { to: `${room(ch)}/me`, type: 'unavailable' }));
    const left = await a.waitFor((e) => e.name === 'presence' && e.attrs.type === 'unavailable');
    expect(statuses(left)).toContain('110');
    irc.send(`PRIVMSG ${ch} :only b`);
    await b.waitFor((e) => e.getChildText('body') === 'only b');
    // a is no longer an occupant: its messages are refused, and its self-ping says so.
    await a.send(xml('message', { to: room(ch), type: 'groupchat', id: 'na' }, xml('body', {}, 'x')));
    expect(condition(await a.waitFor((e) => e.attrs.id === 'na' && e.attrs.type === 'error'))).toBe('not-acceptable');
    const pingA = await a.iq(xml('iq', { type: 'get', to: `${room(ch)}/me` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(condition(pingA)).toBe('not-acceptable');
    const pingB = await b.iq(xml('iq', { type: 'get', to: bSelf }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pingB.attrs.type).toBe('result');
    // b leaves too: now IRC sees the PART and the QUIT.
    await b.send(xml('presence', { to: `${room(ch)}/me`, type: 'unavailable' }));
    const part = await irc.waitFor((m) => m.command === 'PART' && m.params[0] === ch);
    // And the connection is closed: ISON no longer finds the nick.
    for (let i = 0; ; i++) {
      irc.send(`ISON ${part.source!.nick}`);
      const ison = await irc.waitFor((m) => m.command === '303');
      if ((ison.params[1] ?? '').trim() === '') break;
      if (i > 20) throw new Error('the gateway user is still on IRC');
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
