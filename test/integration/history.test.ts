/**
 * Channel history end to end (issue 10), against real Prosody and ejabberd and a real
 * InspIRCd 3 with m_chanhistory: MAM after being offline on a persistent channel, each
 * user reading only their own spans, every `<history/>` attribute of XEP-0045 §7.2.14,
 * the gap of a Jabirc restart filled from InspIRCd's replay without a duplicate, and a
 * private message sent while the user is offline reaching them when they come back
 * (§6: PMs go to the bare JID, the XMPP server keeps them).
 *
 * Waiting: a line the user's client shows live is archived by then; for a user who is
 * offline the MAM query is repeated until the awaited line is in it (the archive is
 * written within FLUSH_INTERVAL_MS, and reads flush first), then the whole answer is
 * asserted. Nothing asserts how long anything took.
 */
import { randomBytes } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import { jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { startEjabberd, startInspircd, startProsody, type ComponentEntry, type IrcServer, type XmppServer } from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const GW = 'irc.localhost';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_MAM = 'urn:xmpp:mam:2';
const NS_DATA = 'jabber:x:data';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DELAY = 'urn:xmpp:delay';

const uid = (): string => randomBytes(3).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const roomOf = (channel: string): string => `${channel}%localhost@${GW}`;

interface Archived {
  body: string;
  id: string;
  stamp: string;
}

/**
 * `offline`: the server keeps messages for an offline user. `history`: run the channel
 * history tests too (the last entry only shows what a server without storage does).
 */
const SERVERS: Array<{ name: string; start: (component: ComponentEntry) => Promise<XmppServer>; offline: boolean; history: boolean }> = [
  { name: 'Prosody', start: (component) => startProsody({ component }), offline: true, history: true },
  // mod_offline is not in the harness's ejabberd by default (see XmppServerOptions).
  { name: 'ejabberd', start: (component) => startEjabberd({ component, offlineStorage: true }), offline: true, history: true },
  { name: 'ejabberd without mod_offline', start: (component) => startEjabberd({ component }), offline: false, history: false },
];

describe.each(SERVERS)('channel history end to end ($name + InspIRCd)', ({ start, offline, history }) => {
  let xmppServer: XmppServer;
  let irc: IrcServer;
  let dir: string;
  let gw: JabircProcess;
  const cleanups: Array<() => Promise<unknown>> = [];

  const config = (): string =>
    jabircConfig(dir, {
      componentJid: GW,
      secret: xmppServer.component.secret,
      host: xmppServer.host,
      port: xmppServer.componentPort,
      domains: [xmppServer.domain],
      extra: ['[irc]', 'allow_private_addresses = true', 'connect_timeout_ms = 8000', '[irc.networks."localhost"]', 'host = "127.0.0.1"', `port = ${irc.port}`, 'tls = false'].join('\n'),
    });

  beforeAll(async () => {
    [xmppServer, irc] = await Promise.all([start({ domain: GW, secret: `s-${uid()}` }), startInspircd()]);
    dir = await jabircDir();
    gw = await startJabirc(dir, { configToml: config() });
    await gw.waitForLog('component online', 30_000);
  });

  afterEach(async (ctx) => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (ctx.task.result?.state === 'fail') console.log(`${gw.output().slice(-8000)}\n--- IRC ---\n${irc.logs().slice(-3000)}`);
  });

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([xmppServer?.stop(), irc?.stop()]);
  });

  async function account(): Promise<{ username: string; password: string }> {
    const acc = { username: `u${uid()}`, password: `p-${uid()}` };
    await xmppServer.addUser(acc);
    return acc;
  }

  async function online(acc: { username: string; password: string }, resource?: string): Promise<XmppUser> {
    const u = await connectXmppUser({ host: xmppServer.host, port: xmppServer.c2sPort, domain: xmppServer.domain, ...acc, ...(resource ? { resource } : {}) });
    await u.send(xml('presence'));
    cleanups.push(() => u.stop());
    return u;
  }

  async function observer(channel: string): Promise<IrcUser> {
    const o = await connectIrcUser(irc.host, irc.port, `o${uid()}`);
    cleanups.push(() => o.stop());
    o.send(`JOIN ${channel}`);
    await o.waitFor((m) => m.command === '366');
    return o;
  }

  const selfPresence = (room: string) => (e: Element) =>
    e.name === 'presence' &&
    (e.attrs.from ?? '').startsWith(`${room}/`) &&
    (e.attrs.type === 'error' || (e.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).some((s) => s.attrs.code === '110'));

  /** Joins with `<history/>` attributes (none: no `<history/>`); returns the delayed bodies before the subject. */
  async function join(u: XmppUser, channel: string, nick: string, history?: Record<string, string>): Promise<Element[]> {
    const room = roomOf(channel);
    await u.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: NS_MUC }, history ? xml('history', history) : null)));
    const self = await u.waitFor(selfPresence(room), 20_000);
    if (self.attrs.type === 'error') throw new Error(`join refused: ${self.toString()}`);
    await u.waitFor((e) => e.name === 'message' && e.attrs.from === room && e.getChild('subject') !== undefined);
    const delayed = u.pending().filter((e) => e.name === 'message' && e.attrs.from?.startsWith(`${room}/`) && e.getChild('delay', NS_DELAY));
    for (const d of delayed) await u.waitFor((e) => e === d);
    return delayed;
  }

  async function leave(u: XmppUser, channel: string, nick: string): Promise<void> {
    const room = roomOf(channel);
    await u.send(xml('presence', { to: `${room}/${nick}`, type: 'unavailable' }));
    await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'unavailable' && e.attrs.from === `${room}/${nick}`);
  }

  async function makePersistent(u: XmppUser, channel: string): Promise<void> {
    const room = roomOf(channel);
    const started = await u.iq(xml('iq', { type: 'set', to: room }, xml('command', { xmlns: NS_COMMANDS, node: 'room', action: 'execute' })));
    const sessionid = started.getChild('command')?.attrs.sessionid;
    const submit = xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'persistent' }, xml('value', {}, 'true')));
    const done = await u.iq(xml('iq', { type: 'set', to: room }, xml('command', { xmlns: NS_COMMANDS, node: 'room', sessionid, action: 'complete' }, submit)));
    expect(done.getChild('command')?.attrs.status).toBe('completed');
  }

  /** The user's whole MAM archive of the room (XEP-0313 §4), in one page. */
  async function mam(u: XmppUser, channel: string): Promise<Archived[]> {
    const queryid = `q${uid()}`;
    const fin = await u.iq(xml('iq', { type: 'set', to: roomOf(channel) }, xml('query', { xmlns: NS_MAM, queryid })));
    expect(fin.attrs.type).toBe('result');
    const results = u.pending().filter((e) => e.getChild('result', NS_MAM)?.attrs.queryid === queryid);
    for (const r of results) await u.waitFor((e) => e === r);
    return results.map((r) => {
      const res = r.getChild('result', NS_MAM)!;
      const fwd = res.getChild('forwarded')!;
      return { body: fwd.getChild('message')?.getChildText('body') ?? '', id: res.attrs.id!, stamp: fwd.getChild('delay', NS_DELAY)?.attrs.stamp ?? '' };
    });
  }

  /** MAM again until `body` is in it (the user was offline: nothing else tells when it is archived). */
  async function mamUntil(u: XmppUser, channel: string, body: string): Promise<Archived[]> {
    for (let i = 0; i < 40; i++) {
      const got = await mam(u, channel);
      if (got.some((g) => g.body === body)) return got;
      await sleep(250);
    }
    throw new Error(`"${body}" never reached the archive of ${channel}`);
  }

  const live = (u: XmppUser, channel: string, body: string): Promise<Element> =>
    u.waitFor((e) => e.name === 'message' && e.attrs.type === 'groupchat' && e.attrs.from?.startsWith(`${roomOf(channel)}/`) === true && e.getChildText('body') === body && !e.getChild('delay', NS_DELAY), 15_000);

  if (history) {
    it('lets a client that was offline fetch by MAM what was said on its persistent channel', async () => {
      const acc = await account();
      const channel = `#off${uid()}`;
      const o = await observer(channel);
      let u = await online(acc);
      await join(u, channel, acc.username);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === acc.username);
      await makePersistent(u, channel);
      o.send(`PRIVMSG ${channel} :while here`);
      await live(u, channel, 'while here');
      await u.stop();
      o.send(`PRIVMSG ${channel} :while away 1`);
      o.send(`PRIVMSG ${channel} :while away 2`);
      u = await online(acc);
      const got = await mamUntil(u, channel, 'while away 2');
      expect(got.map((g) => g.body)).toEqual(['while here', 'while away 1', 'while away 2']);
      expect(new Set(got.map((g) => g.id)).size).toBe(3);
    });

    it('shows two users of one channel only the lines said while each was in it', async () => {
      const [accA, accB] = [await account(), await account()];
      const channel = `#two${uid()}`;
      const o = await observer(channel);
      const a = await online(accA);
      const b = await online(accB);
      await join(a, channel, accA.username);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === accA.username);
      o.send(`PRIVMSG ${channel} :before B`);
      await live(a, channel, 'before B');
      await join(b, channel, accB.username);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === accB.username);
      o.send(`PRIVMSG ${channel} :with both`);
      const [liveA, liveB] = await Promise.all([live(a, channel, 'with both'), live(b, channel, 'with both')]);
      // One line, one stanza-id (XEP-0359) for both users.
      expect(liveA.getChild('stanza-id')?.attrs.id).toBe(liveB.getChild('stanza-id')?.attrs.id);
      await leave(b, channel, accB.username);
      await o.waitFor((m) => m.command === 'PART' && m.source?.nick === accB.username);
      o.send(`PRIVMSG ${channel} :after B`);
      await live(a, channel, 'after B');
      expect((await mam(a, channel)).map((g) => g.body)).toEqual(['before B', 'with both', 'after B']);
      const ofB = await mam(b, channel);
      expect(ofB.map((g) => g.body)).toEqual(['with both']);
      expect(ofB[0]!.id).toBe(liveB.getChild('stanza-id')?.attrs.id);
    });

    it('honours every <history/> attribute of the join (XEP-0045 §7.2.14)', async () => {
      const acc = await account();
      const channel = `#hist${uid()}`;
      const o = await observer(channel);
      const keeper = await online(acc, 'keeper');
      await join(keeper, channel, acc.username);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === acc.username);
      for (const text of ['l1', 'l2', 'l3', 'l4']) {
        o.send(`PRIVMSG ${channel} :${text}`);
        await live(keeper, channel, text);
      }
      await sleep(3_000); // so that `seconds` can tell l5 from the others
      o.send(`PRIVMSG ${channel} :l5`);
      await live(keeper, channel, 'l5');
      const phone = await online(acc, 'phone');
      const bodies = async (history?: Record<string, string>): Promise<string[]> => {
        const got = await join(phone, channel, acc.username, history);
        await leave(phone, channel, acc.username);
        return got.map((e) => e.getChildText('body') ?? '');
      };
      expect(await bodies()).toEqual(['l1', 'l2', 'l3', 'l4', 'l5']); // the default, 20
      expect(await bodies({ maxstanzas: '2' })).toEqual(['l4', 'l5']);
      expect(await bodies({ maxstanzas: '0' })).toEqual([]);
      // maxchars counts whole stanzas: room for one and a half of them is room for one.
      const [one] = await join(phone, channel, acc.username, { maxstanzas: '1' });
      await leave(phone, channel, acc.username);
      expect(await bodies({ maxchars: String(Math.floor(one!.toString().length * 1.5)) })).toEqual(['l5']);
      expect(await bodies({ maxchars: '0' })).toEqual([]);
      expect(await bodies({ seconds: '2' })).toEqual(['l5']);
      const [l3] = await join(phone, channel, acc.username, { maxstanzas: '3' });
      await leave(phone, channel, acc.username);
      const since = l3!.getChild('delay', NS_DELAY)!.attrs.since ?? l3!.getChild('delay', NS_DELAY)!.attrs.stamp!;
      expect(await bodies({ since })).toEqual(['l3', 'l4', 'l5']);
      // Given together, the smallest amount that meets all of them.
      expect(await bodies({ since, maxstanzas: '2' })).toEqual(['l4', 'l5']);
      expect(await bodies({ since, seconds: '2' })).toEqual(['l5']);
    });

    it('fills the gap of a Jabirc restart from InspIRCd’s channel history, without a duplicate', async () => {
      const acc = await account();
      const channel = `#gap${uid()}`;
      const o = await observer(channel); // first in: operator
      o.send(`MODE ${channel} +H 50:1d`);
      await o.waitFor((m) => m.command === 'MODE' && m.params[1] === '+H');
      let u = await online(acc);
      await join(u, channel, acc.username);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === acc.username);
      await makePersistent(u, channel);
      o.send(`PRIVMSG ${channel} :before the restart`);
      const seen = await live(u, channel, 'before the restart');
      await u.stop();
      gw.child.kill('SIGTERM');
      await gw.exited;
      await o.waitFor((m) => m.command === 'QUIT' && m.source?.nick === acc.username, 20_000);
      o.send(`PRIVMSG ${channel} :during the restart 1`);
      o.send(`PRIVMSG ${channel} :during the restart 2`);
      gw = await startJabirc(dir, { configToml: config() });
      await gw.waitForLog('component online', 30_000);
      await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === acc.username, 30_000);
      u = await online(acc);
      const got = await mamUntil(u, channel, 'during the restart 2');
      expect(got.map((g) => g.body)).toEqual(['before the restart', 'during the restart 1', 'during the restart 2']);
      expect(new Set(got.map((g) => g.id)).size).toBe(3);
      // The replayed copy of the line seen live is that line: same id as its live stanza-id.
      expect(got[0]!.id).toBe(seen.getChild('stanza-id')?.attrs.id);
      // Someone new joins: InspIRCd replays the channel to their connection too. None of it
      // reaches them as live messages, none of it is theirs to read, none is stored twice.
      const accB = await account();
      const b = await online(accB);
      await join(b, channel, accB.username, { maxstanzas: '0' });
      o.send(`PRIVMSG ${channel} :after the restart`);
      await live(b, channel, 'after the restart');
      const liveBodies = (x: XmppUser): string[] =>
        x.pending().filter((e) => e.name === 'message' && e.attrs.type === 'groupchat' && e.getChild('body') && !e.getChild('delay', NS_DELAY)).map((e) => e.getChildText('body') ?? '');
      expect(liveBodies(b)).toEqual([]);
      expect((await mam(b, channel)).map((g) => g.body)).toEqual(['after the restart']);
      expect((await mamUntil(u, channel, 'after the restart')).map((g) => g.body)).toEqual([
        'before the restart',
        'during the restart 1',
        'during the restart 2',
        'after the restart',
      ]);
    });
  }

  const pmOffline = offline
    ? 'delivers a private message sent while the user is offline when they come back (their server keeps it)'
    : 'keeps the channel when the user’s server refuses a private message for an offline user';
  it(pmOffline, async () => {
    const acc = await account();
    const channel = `#pm${uid()}`;
    const o = await observer(channel);
    let u = await online(acc);
    await join(u, channel, acc.username);
    await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === acc.username);
    await makePersistent(u, channel);
    const resource = u.jid;
    await u.stop();
    // Offline for its server once the server told the room the resource left.
    await gw.waitForLog('xmpp in', 15_000, (l) => String(l.xml ?? '').includes('type="unavailable"') && String(l.xml ?? '').includes(`from="${resource}"`));
    o.send(`PRIVMSG ${acc.username} :sent while you were away`);
    // Jabirc sent it to the bare JID (XEP-0045 is not involved: a chat message from nick%net@gw).
    await gw.waitForLog('xmpp out', 15_000, (l) => String(l.xml ?? '').includes('sent while you were away'));
    // A ping answered by the gateway comes after it on the component stream, which the
    // server reads in order: once the pong is back, the server has handled the message.
    const helper = await online(await account());
    expect((await helper.iq(xml('iq', { type: 'get', to: GW }, xml('ping', { xmlns: 'urn:xmpp:ping' })))).attrs.type).toBe('result');
    if (!offline) {
      // ejabberd without mod_offline answers service-unavailable (RFC 6121 §8.5.2.2.1);
      // Jabirc takes it as a bounce that removes no occupant: the channel stays joined.
      await gw.waitForLog('xmpp in', 15_000, (l) => String(l.xml ?? '').includes('type="error"') && String(l.xml ?? '').includes('service-unavailable'));
      o.send(`PRIVMSG ${channel} :still here`);
      u = await online(acc);
      expect((await mamUntil(u, channel, 'still here')).map((g) => g.body)).toEqual(['still here']);
      expect(u.pending().filter((e) => e.name === 'message' && e.getChildText('body') === 'sent while you were away')).toEqual([]);
      expect(o.pending().filter((m) => (m.command === 'PART' || m.command === 'QUIT') && m.source?.nick === acc.username)).toEqual([]);
      return;
    }
    u = await online(acc);
    const pm = await u.waitFor((e) => e.name === 'message' && e.getChildText('body') === 'sent while you were away', 15_000);
    expect(pm.attrs.from).toBe(`${o.nick}%localhost@${GW}`);
    expect(pm.attrs.type).toBe('chat');
    // Offline storage marks it delayed (XEP-0203): it came from the server's store.
    expect(pm.getChild("delay", NS_DELAY), pm.toString()).toBeDefined();
  });
});
