/**
 * Runs the built Jabirc (`dist/src/main.js`) as a child process against harness servers,
 * the way an operator runs it: a config file, stdout JSON logs, signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IrcServer, XmppServer } from './servers.js';

export interface GatewayProcess {
  dir: string;
  configFile: string;
  proc: ChildProcess;
  output(): string;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface GatewayProcessOptions {
  xmpp: XmppServer;
  irc?: IrcServer;
  /** The IRC network name used in addresses for `irc` (default `localhost`). */
  network?: string;
  level?: string;
  /** Appended to the [irc] table. */
  ircToml?: string;
  /** Appended to the file. */
  extraToml?: string;
  env?: Record<string, string>;
  dir?: string;
}

export function gatewayConfig(o: GatewayProcessOptions, dir: string): string {
  const network = o.network ?? 'localhost';
  return [
    '[component]',
    `jid = "${o.xmpp.component.domain}"`,
    `secret = "${o.xmpp.component.secret}"`,
    `host = "${o.xmpp.host}"`,
    `port = ${o.xmpp.componentPort}`,
    '[database]',
    `path = "${join(dir, 'jabirc.sqlite')}"`,
    '[log]',
    `level = "${o.level ?? 'debug'}"`,
    '[access]',
    `domains = ["${o.xmpp.domain}"]`,
    '[irc]',
    'allow_private_addresses = true',
    'connect_timeout_ms = 8000',
    o.ircToml ?? '',
    ...(o.irc ? [`[irc.networks."${network}"]`, `host = "${o.irc.host}"`, `port = ${o.irc.port}`, 'tls = false'] : []),
    o.extraToml ?? '',
  ].join('\n');
}

export async function startGateway(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'jabirc-gw-'));
  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, gatewayConfig(o, dir));
  const proc = spawn(process.execPath, ['dist/src/main.js', '--config', configFile], {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: (s: string) => void }> = [];
  const onData = (d: Buffer): void => {
    out += d.toString('utf8');
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const gw: GatewayProcess = {
    dir,
    configFile,
    proc,
    output: () => out,
    waitForLog(re, timeoutMs = 20_000) {
      const m = re.exec(out);
      if (m) return Promise.resolve(m[0]);
      return new Promise((resolve, reject) => {
        const entry = { re, resolve: (s: string) => (clearTimeout(t), resolve(s)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1);
          reject(new Error(`Jabirc did not log ${re} within ${timeoutMs} ms. Output:\n${out.slice(-4000)}`));
        }, timeoutMs);
        waiters.push(entry);
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  return gw;
}
