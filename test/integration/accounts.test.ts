/**
 * Registration and per-network identity end to end (issue 4): a real XMPP client
 * registers through XEP-0077 and ad-hoc commands; Jabirc connects to InspIRCd linked
 * to Atheme with SASL or NickServ; passwords are never in the SQLite file in clear;
 * persistent channels survive a `kill -9`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import { jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { registerNick, startInspircdWithServices, startProsody, type IrcServerWithServices, type XmppServer } from '../harness/servers.js';
import { connectXmppUser, type XmppUser } from '../harness/xmpp-user.js';

const GW = 'irc.localhost';
const NET = `localhost@${GW}`;
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_REGISTER = 'jabber:iq:register';
const NS_DATA = 'jabber:x:data';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';

function uid(): string {
  return randomBytes(3).toString('hex');
}

function form(type: 'submit', fields: Record<string, string>): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type },
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
  );
}

describe('registration, identity and persistence (Prosody + InspIRCd with Atheme)', () => {
  let xmppServer: XmppServer;
  let irc: IrcServerWithServices;
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
      // trace: wire traffic is logged, so the password assertions below cover it too.
      logLevel: 'trace',
      extra: ['[irc]', 'allow_private_addresses = true', 'connect_timeout_ms = 8000', '[irc.networks."localhost"]', 'host = "127.0.0.1"', `port = ${irc.port}`, 'tls = false'].join('\n'),
    });

  beforeAll(async () => {
    [xmppServer, irc] = await Promise.all([startProsody({ component: { domain: GW, secret: `s-${uid()}` } }), startInspircdWithServices()]);
    dir = await jabircDir();
    gw = await startJabirc(dir, { configToml: config() });
    await gw.waitForLog('component online');
  });

  afterEach(async (ctx) => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    if (ctx.task.result?.state === 'fail') {
      console.log(`${gw.output().slice(-6000)}\n--- IRC + services ---\n${irc.logs().slice(-4000)}`);
    }
  });

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([xmppServer?.stop(), irc?.stop()]);
  });

  async function xmppUser(name: string): Promise<XmppUser> {
    const password = `p-${uid()}`;
    await xmppServer.addUser({ username: name, password });
    const u = await connectXmppUser({ host: xmppServer.host, port: xmppServer.c2sPort, domain: xmppServer.domain, username: name, password });
    await u.send(xml('presence'));
    cleanups.push(() => u.stop());
    return u;
  }

  async function observer(): Promise<IrcUser> {
    const o = await connectIrcUser(irc.host, irc.port, `o${uid()}`);
    cleanups.push(() => o.stop());
    return o;
  }

  async function registerOnNetwork(u: XmppUser, fields: Record<string, string>): Promise<Element> {
    return u.iq(xml('iq', { type: 'set', to: NET }, xml('query', { xmlns: NS_REGISTER }, form('submit', { FORM_TYPE: NS_REGISTER, ...fields }))));
  }

  async function join(u: XmppUser, channel: string): Promise<string> {
    const room = `${channel}%localhost@${GW}`;
    await u.send(xml('presence', { to: `${room}/me` }, xml('x', { xmlns: NS_MUC })));
    const self = await u.waitFor((e) => e.name === 'presence' && (e.attrs.from ?? '').startsWith(room) && (e.attrs.type === 'error' || (e.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).some((s) => s.attrs.code === '110')), 20_000);
    if (self.attrs.type === 'error') throw new Error(`join refused: ${self.toString()}`);
    return self.attrs.from!.split('/')[1]!;
  }

  /** WHOIS until the account line (330) shows, or give up. */
  async function accountOf(o: IrcUser, nick: string): Promise<string | undefined> {
    for (let i = 0; i < 30; i++) {
      o.send(`WHOIS ${nick}`);
      const reply = await o.waitFor((m) => (m.command === '330' || m.command === '318') && m.params[1]?.toLowerCase() === nick.toLowerCase());
      if (reply.command === '330') {
        await o.waitFor((m) => m.command === '318');
        return reply.params[2];
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return undefined;
  }

  it('logs in with SASL PLAIN from the registered credentials, and keeps the password out of forms and the database file', async () => {
    const nick = `s${uid()}`;
    const password = `pw-${uid()}-secret`;
    await registerNick(irc.host, irc.port, nick, password, `${nick}@example.org`);
    const u = await xmppUser(nick);
    const reg = await registerOnNetwork(u, { nick, sasl_account: nick, sasl_password: password });
    expect(reg.attrs.type).toBe('result');
    // The form comes back without the password, marked as set.
    const formGet = await u.iq(xml('iq', { type: 'get', to: NET }, xml('query', { xmlns: NS_REGISTER })));
    expect(formGet.toString()).not.toContain(password);
    const saslField = formGet.getChild('query')?.getChild('x', NS_DATA)?.getChildren('field').find((f) => f.attrs.var === 'sasl_password');
    expect(saslField?.getChildText('value') ?? '').toBe('');
    expect(saslField?.attrs.label ?? '').toMatch(/set/i);
    const o = await observer();
    const myNick = await join(u, `#sasl${uid()}`);
    expect(myNick).toBe(nick);
    expect(await accountOf(o, myNick)).toBe(nick);
    // No password in clear anywhere in the SQLite files.
    for (const f of ['jabirc.sqlite', 'jabirc.sqlite-wal']) {
      const path = joinPath(dir, f);
      if (existsSync(path)) expect(readFileSync(path).includes(Buffer.from(password))).toBe(false);
    }
    expect(gw.output()).not.toContain(password);
  });

  it('identifies with NickServ when only a NickServ password is registered', async () => {
    const nick = `n${uid()}`;
    const password = `pw-${uid()}`;
    await registerNick(irc.host, irc.port, nick, password, `${nick}@example.org`);
    const u = await xmppUser(nick);
    expect((await registerOnNetwork(u, { nick, nickserv_password: password })).attrs.type).toBe('result');
    const o = await observer();
    const myNick = await join(u, `#ns${uid()}`);
    expect(await accountOf(o, myNick)).toBe(nick);
    expect(gw.output()).not.toContain(password);
  });

  it('tells the user clearly when SASL fails, and fails the join instead of hanging', async () => {
    const nick = `w${uid()}`;
    await registerNick(irc.host, irc.port, nick, `right-${uid()}`, `${nick}@example.org`);
    const u = await xmppUser(nick);
    await registerOnNetwork(u, { sasl_account: nick, sasl_password: 'wrong-password' });
    await expect(join(u, `#w${uid()}`)).rejects.toThrow(/join refused/);
    const note = await u.waitFor((e) => e.name === 'message' && e.attrs.from === NET && (e.getChildText('body') ?? '').includes('SASL'));
    expect(note.getChildText('body')).toMatch(/SASL authentication with localhost failed/);
  });

  it('passes NickServ’s word about a registered nick on from the network entity', async () => {
    const nick = `r${uid()}`;
    await registerNick(irc.host, irc.port, nick, `pw-${uid()}`, `${nick}@example.org`);
    // Another XMPP user takes that nick without the password.
    const u = await xmppUser(`x${uid()}`);
    expect((await registerOnNetwork(u, { nick })).attrs.type).toBe('result');
    await join(u, `#r${uid()}`);
    const note = await u.waitFor((e) => e.name === 'message' && e.attrs.from === NET && (e.getChildText('body') ?? '').startsWith('NickServ: '), 20_000);
    expect(note.getChildText('body')).toMatch(/registered/i);
  });

  it('keeps a persistent channel joined while offline and rejoins it after kill -9', async () => {
    const name = `k${uid()}`;
    const u = await xmppUser(name);
    const channel = `#keep${uid()}`;
    const room = `${channel}%localhost@${GW}`;
    const o = await observer();
    o.send(`JOIN ${channel}`);
    await o.waitFor((m) => m.command === '366');
    const myNick = await join(u, channel);
    await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === myNick);
    // Ad-hoc command on the room (XEP-0050): persistent = true.
    const started = await u.iq(xml('iq', { type: 'set', to: room }, xml('command', { xmlns: NS_COMMANDS, node: 'room', action: 'execute' })));
    const sessionid = started.getChild('command')?.attrs.sessionid;
    expect(sessionid).toBeDefined();
    const done = await u.iq(xml('iq', { type: 'set', to: room }, xml('command', { xmlns: NS_COMMANDS, node: 'room', sessionid, action: 'complete' }, form('submit', { persistent: 'true' }))));
    expect(done.getChild('command')?.attrs.status).toBe('completed');
    // Leaving: IRC sees no PART.
    await u.send(xml('presence', { to: `${room}/me`, type: 'unavailable' }));
    await u.waitFor((e) => e.name === 'presence' && e.attrs.type === 'unavailable');
    o.send(`PRIVMSG ${channel} :marker`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(o.raw().some((l) => / PART /.test(l) && l.startsWith(`:${myNick}!`))).toBe(false);
    // kill -9, then start again on the same database.
    gw.child.kill('SIGKILL');
    await gw.exited;
    await o.waitFor((m) => m.command === 'QUIT' && m.source?.nick === myNick, 20_000);
    gw = await startJabirc(dir, { configToml: config() });
    await gw.waitForLog('component online');
    const back = await o.waitFor((m) => m.command === 'JOIN' && m.source?.nick === myNick && m.params[0]?.toLowerCase() === channel.toLowerCase(), 30_000);
    expect(back.params[0]?.toLowerCase()).toBe(channel.toLowerCase());
  });
});
