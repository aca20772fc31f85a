/**
 * Proves the services test bed with raw IRC clients (no Jabirc): InspIRCd
 * linked to Atheme registers an account through NickServ, authenticates it
 * with SASL PLAIN through CAP (903, and 904 for a wrong password) and with
 * NickServ IDENTIFY, and stops without leaving a process behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RawIrcClient,
  registerNick,
  startInspircdWithServices,
  stripIrcFormatting,
  type IrcServerWithServices,
  type RawIrcMessage,
} from '../harness/servers.js';

const ACCOUNT = { name: 'alice', password: 'alice-secret-1', email: 'alice@example.org' };

let server: IrcServerWithServices;
const clients: RawIrcClient[] = [];

async function connect(): Promise<RawIrcClient> {
  const c = await RawIrcClient.connect(server.host, server.port);
  clients.push(c);
  return c;
}

const numeric = (code: string) => (m: RawIrcMessage) => m.command === code;
const fromNickServ = (m: RawIrcMessage): boolean => m.command === 'NOTICE' && /^NickServ!/i.test(m.prefix ?? '');

/**
 * Negotiates SASL PLAIN before registration: CAP LS 302 (must list sasl),
 * CAP REQ :sasl, AUTHENTICATE PLAIN, then the base64 of `\0account\0password`.
 * Returns the client with the server's answer still to be read.
 */
async function startSaslPlain(nick: string, account: string, password: string): Promise<RawIrcClient> {
  const c = await connect();
  c.send('CAP LS 302', `NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
  const ls = await c.waitFor((m) => m.command === 'CAP' && m.params[1] === 'LS' && m.params[2] !== '*');
  const caps = (ls.params.at(-1) ?? '').split(' ');
  expect(caps.some((cap) => cap === 'sasl' || (cap.startsWith('sasl=') && cap.slice(5).split(',').includes('PLAIN')))).toBe(true);
  c.send('CAP REQ :sasl');
  const ack = await c.waitFor((m) => m.command === 'CAP' && (m.params[1] === 'ACK' || m.params[1] === 'NAK'));
  expect(ack.params[1]).toBe('ACK');
  c.send('AUTHENTICATE PLAIN');
  await c.waitFor((m) => m.command === 'AUTHENTICATE' && m.params[0] === '+');
  c.send(`AUTHENTICATE ${Buffer.from(`\0${account}\0${password}`, 'utf8').toString('base64')}`);
  return c;
}

/** PIDs whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

describe('InspIRCd linked to Atheme', () => {
  beforeAll(async () => {
    server = await startInspircdWithServices();
    await registerNick(server.host, server.port, ACCOUNT.name, ACCOUNT.password, ACCOUNT.email);
  });
  afterEach(async (ctx) => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (ctx.task.result?.state === 'fail') console.error(server?.logs());
  });
  afterAll(async () => {
    if (!server) return;
    const dirs = [server.dir, server.services.dir];
    await server.stop();
    for (const dir of dirs) {
      expect(existsSync(dir)).toBe(false);
      expect(processesMentioning(dir)).toEqual([]);
    }
  });

  it('links the services: NickServ answers WHOIS and the SASL target is the services server', async () => {
    expect(server.services.name).toBe(`services.${server.name}`);
    const c = await connect();
    await c.register('watcher');
    c.send('WHOIS NickServ');
    const whois = await c.waitFor(numeric('311'));
    expect(whois.params[1]).toBe('NickServ');
    expect(whois.params[3]).toBe(server.services.name);
  });

  it('refuses to register the same account twice, with NickServ’s reason', async () => {
    await expect(registerNick(server.host, server.port, ACCOUNT.name, 'other-pass-2', 'x@example.org')).rejects.toThrow(
      /NickServ refused REGISTER for alice: .*registered/i,
    );
  });

  it('authenticates with SASL PLAIN: 900 then 903, and the session is logged in after CAP END', async () => {
    const c = await startSaslPlain('bob', ACCOUNT.name, ACCOUNT.password);
    const loggedIn = await c.waitFor(numeric('900'));
    expect(loggedIn.params[2]).toBe(ACCOUNT.name);
    await c.waitFor(numeric('903'));
    c.send('CAP END');
    await c.waitFor(numeric('001'));
    c.send(`WHOIS bob`);
    const account = await c.waitFor(numeric('330')); // RPL_WHOISACCOUNT
    expect(account.params[2]).toBe(ACCOUNT.name);
  });

  it('fails SASL PLAIN with a wrong password: 904, no 900, registration still possible', async () => {
    const c = await startSaslPlain('carol', ACCOUNT.name, 'wrong-password');
    await c.waitFor(numeric('904'));
    expect(c.lines.some((l) => / 900 /.test(l))).toBe(false);
    c.send('CAP END');
    await c.waitFor(numeric('001'));
  });

  it('identifies with NickServ IDENTIFY: success notice and 900 RPL_LOGGEDIN', async () => {
    const c = await connect();
    await c.register('dave');
    c.send(`PRIVMSG NickServ :IDENTIFY ${ACCOUNT.name} ${ACCOUNT.password}`);
    const notice = await c.waitFor(fromNickServ);
    expect(stripIrcFormatting(notice.params.at(-1) ?? '')).toBe(`You are now identified for ${ACCOUNT.name}.`);
    // InspIRCd sends 900 once the services set the account; before or after the notice.
    const loggedIn = await c.received(numeric('900'));
    expect(loggedIn.params.slice(0, 3)).toEqual(['dave', expect.stringMatching(/^dave!/), ACCOUNT.name]);
  });

  it('rejects NickServ IDENTIFY with a wrong password', async () => {
    const c = await connect();
    await c.register('erin');
    c.send(`PRIVMSG NickServ :IDENTIFY ${ACCOUNT.name} wrong-password`);
    const notice = await c.waitFor(fromNickServ);
    expect(stripIrcFormatting(notice.params.at(-1) ?? '')).toMatch(/^Invalid password for alice\.?$/);
  });

  it('relinks after an InspIRCd restart and after a services restart, keeping the account', async () => {
    await server.restart();
    const afterIrcd = await startSaslPlain('frank', ACCOUNT.name, ACCOUNT.password);
    await afterIrcd.waitFor(numeric('903'));
    await server.services.restart();
    const afterServices = await startSaslPlain('grace', ACCOUNT.name, ACCOUNT.password);
    await afterServices.waitFor(numeric('903'));
  });
});
