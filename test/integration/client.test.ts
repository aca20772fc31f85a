/**
 * What a user of a real XMPP client sees (issue 9 §1): Debian's profanity, driven under
 * tmux (send-keys to type, capture-pane to read the screen), against real Prosody,
 * InspIRCd (with echo-message) and Jabirc.
 *
 * Asserted on the screen, as the user would see it: the room is joined under the nick
 * asked for, each message the user sends shows once (clients recognise their own message
 * by its origin-id, XEP-0359, so the reflection must carry it), and a message from IRC
 * shows once, from its nick.
 *
 * Needs `profanity` and `tmux` (scripts/install-system-deps.sh installs both). Each run
 * has its own HOME for profanity and its own tmux socket, so nothing leaks between runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import { jabircConfig, jabircDir, startJabirc, type JabircProcess } from '../harness/jabirc.js';
import { startInspircd, startProsody, type IrcServer, type XmppServer } from '../harness/servers.js';

const GW = 'irc.localhost';
const uid = (): string => Math.random().toString(36).slice(2, 8);

describe('profanity, a real XMPP client, in a bridged room', () => {
  let xmpp: XmppServer;
  let irc: IrcServer;
  let gw: JabircProcess;
  let ircUser: IrcUser;
  const home = mkdtempSync(path.join(os.tmpdir(), 'jabirc-profanity-'));
  const socket = path.join(home, 'tmux.sock');
  const account = { username: `demo${uid()}`, password: `pw-${uid()}` };
  const channel = `#p${uid()}`;

  const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'prof', '-S', '-200');
  const type = (text: string): void => {
    tmux('send-keys', '-t', 'prof', '-l', text);
    tmux('send-keys', '-t', 'prof', 'Enter');
  };
  async function until(what: string, test: (s: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = screen();
      if (test(s)) return s;
      if (Date.now() > end) throw new Error(`profanity never showed ${what}; screen:\n${s}\n--- Jabirc ---\n${gw?.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const count = (s: string, text: string): number => s.split('\n').filter((l) => l.includes(text)).length;

  beforeAll(async () => {
    [xmpp, irc] = await Promise.all([startProsody({ component: { domain: GW, secret: `s-${uid()}` }, users: [account] }), startInspircd()]);
    const dir = await jabircDir();
    gw = await startJabirc(dir, {
      configToml: jabircConfig(dir, {
        componentJid: GW,
        secret: xmpp.component.secret,
        host: xmpp.host,
        port: xmpp.componentPort,
        domains: [xmpp.domain],
        logLevel: 'debug',
        extra: `[irc]\nallow_private_addresses = true\n[irc.networks."localhost"]\nhost = "127.0.0.1"\nport = ${irc.port}\ntls = false\n`,
      }),
    });
    await gw.waitForLog('component online');
    ircUser = await connectIrcUser(irc.host, irc.port, `bob${uid()}`);
    ircUser.send(`JOIN ${channel}`);
    await ircUser.waitFor((m) => m.command === '366');
    tmux('new-session', '-d', '-s', 'prof', '-x', '200', '-y', '50', `env HOME=${home} profanity`);
    await until('its prompt', (s) => s.includes('Profanity') || s.includes('/help'), 15_000).catch(() => undefined);
  }, 120_000);

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await ircUser?.stop();
    await gw?.stop();
    await Promise.all([xmpp?.stop(), irc?.stop()]);
    rmSync(home, { recursive: true, force: true });
  });

  it('joins under the nick asked for and shows each message once, both ways', async () => {
    type(`/connect ${account.username}@${xmpp.domain} server ${xmpp.host} port ${xmpp.c2sPort} tls disable`);
    await until('the password prompt', (s) => s.includes('Enter password'));
    type(account.password);
    const login = await until('the login', (s) => s.includes('logged in successfully') || s.includes('Login failed'));
    expect(login).not.toContain('Login failed');
    type(`/join ${channel}%localhost@${GW} nick alice`);
    const joined = await until('the joined room', (s) => s.includes('You have joined the room as alice'));
    expect(joined).toContain('as alice');
    await ircUser.waitFor((m) => m.command === 'JOIN' && m.source?.nick === 'alice');

    const mine = `hello from profanity ${uid()}`;
    type(mine);
    await ircUser.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === mine);
    await until('the message', (s) => s.includes(mine));
    // Give a duplicate time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));
    expect(count(screen(), mine)).toBe(1);

    const theirs = `hi from irc ${uid()}`;
    ircUser.send(`PRIVMSG ${channel} :${theirs}`);
    const shown = await until('the IRC message', (s) => s.includes(theirs));
    await new Promise((r) => setTimeout(r, 1000));
    expect(count(screen(), theirs)).toBe(1);
    expect(shown.split('\n').find((l) => l.includes(theirs))).toContain(ircUser.nick);
    // For the record (issue 9 note): the screen as the user saw it.
    console.log(screen().split('\n').filter((l) => l.trim() !== '').slice(-12).join('\n'));
  }, 90_000);
});
