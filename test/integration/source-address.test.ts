/**
 * Per-user IPv6 source addresses (issue 12 §4) against real InspIRCd, in a network
 * namespace this test creates, so no host routing is touched.
 *
 * The file runs twice: outside, its one test re-runs this file with vitest inside
 * `unshare -n` (a fresh network namespace, where we are root) and expects it to pass;
 * inside, it routes the prefix to loopback as the README tells operators to
 * (`ip -6 route add local PREFIX dev lo`, `net.ipv6.ip_nonlocal_bind = 1`), starts
 * InspIRCd on [::1], and connects two users through the IrcPool with the network's
 * `ipv6_prefix`: WHOIS (RPL_WHOISUSER host, the IP since DNS is off) shows each user
 * at their own address of the prefix, the same after a reconnect.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IrcPool } from '../../src/adapters/irc-pool.js';
import { parseConfig } from '../../src/config/load.js';
import { sourceAddressForNetwork } from '../../src/config/network-source.js';
import { connKey, type ConnKey, type IrcConnEvent } from '../../src/core/effects.js';
import { sourceAddressFor } from '../../src/adapters/source-address.js';
import { createLogger } from '../../src/log.js';
import { connectIrcUser, type IrcUser } from '../harness/irc-user.js';
import { startInspircd, type IrcServer } from '../harness/servers.js';

const INSIDE = process.env.SOURCE_ADDRESS_NETNS === '1';
const PREFIX = 'fd00:6a62:1:2::/64';
const NETWORK = 'v6.localhost';
const uid = (): string => randomBytes(3).toString('hex');

// One of the two describes is defined per run (none is skipped): the outer run re-runs this
// file inside a network namespace, where the inner one is.
if (!INSIDE) describe('per-user source addresses (outside: re-run in a network namespace)', () => {
  it('passes inside a fresh network namespace', () => {
    const file = fileURLToPath(import.meta.url);
    const r = spawnSync('unshare', ['--net', '--fork', process.execPath, 'node_modules/vitest/vitest.mjs', 'run', file], {
      env: { ...process.env, SOURCE_ADDRESS_NETNS: '1', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) console.error(`--- inner run ---\n${r.stdout}\n${r.stderr}`);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+.*1 passed/);
  }, 150_000);
});

if (INSIDE) describe('per-user source addresses (inside the namespace)', () => {
  let server: IrcServer;
  let watcher: IrcUser;
  const { log } = createLogger('silent');
  const events: Array<{ key: ConnKey; ev: IrcConnEvent }> = [];
  const config = parseConfig(
    `[component]\njid = "irc.localhost"\nsecret = "s"\n[irc.networks."${NETWORK}"]\nipv6_prefix = "${PREFIX}"\n`,
    'test.toml',
  );
  const pool = new IrcPool({
    log,
    connectTimeoutMs: 20_000,
    onLine: () => undefined,
    onEvent: (key, ev) => void events.push({ key, ev }),
    localAddressFor: (network, bareJid) => sourceAddressForNetwork(config.irc, network, bareJid),
  });

  async function waitEvent(key: ConnKey, kind: IrcConnEvent['kind'], after: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (events.slice(after).some((e) => e.key === key && e.ev.kind === kind)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${kind} for ${key}: ${JSON.stringify(events)}`);
  }

  async function whoisHost(nick: string): Promise<string> {
    watcher.send(`WHOIS ${nick}`);
    const m = await watcher.waitFor((x) => x.command === '311' && x.params[1] === nick);
    return m.params[3]!;
  }

  beforeAll(async () => {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-6', 'route', 'add', 'local', PREFIX, 'dev', 'lo']);
    execFileSync('sysctl', ['-qw', 'net.ipv6.ip_nonlocal_bind=1']);
    server = await startInspircd({ ipv6: true });
    watcher = await connectIrcUser(server.host, server.port, `w${uid()}`);
  });

  afterAll(async () => {
    await watcher?.stop();
    await pool.closeAll('bye', 2_000);
    await server?.stop();
  });

  it('each user reaches the server from their own address of the prefix, the same after a reconnect', async () => {
    const users = [`a${uid()}`, `b${uid()}`];
    const keys = users.map((nick) => connKey(`${nick}@example.org`, NETWORK));
    const connectAll = async (): Promise<void> => {
      const mark = events.length;
      keys.forEach((key, i) =>
        pool.connect(key, { network: NETWORK, host: '::1', port: server.port, tls: false, nick: users[i]!, username: 'u', realname: 'r', allowPrivateAddresses: true }),
      );
      for (const key of keys) await waitEvent(key, 'registered', mark);
    };
    await connectAll();
    const first = await Promise.all(users.map(whoisHost));
    const net = ipaddr.IPv6.parseCIDR(PREFIX);
    for (const [i, host] of first.entries()) {
      expect(ipaddr.IPv6.parse(host).match(net)).toBe(true);
      expect(ipaddr.IPv6.parse(host).toString()).toBe(sourceAddressFor(PREFIX, `${users[i]}@example.org`));
    }
    expect(first[0]).not.toBe(first[1]);

    const mark = events.length;
    for (const key of keys) pool.quit(key, 'again');
    for (const key of keys) await waitEvent(key, 'closed', mark);
    await connectAll();
    expect(await Promise.all(users.map(whoisHost))).toEqual(first);
  });
});
