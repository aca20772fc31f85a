/**
 * The foreground half of scripts/dev-up.sh (which builds everything first):
 * starts Prosody and InspIRCd through the test harness, writes .dev/config.toml,
 * runs Jabirc and prints how to connect. SIGINT/SIGTERM (Ctrl-C) stop Jabirc,
 * then both servers; if Jabirc exits by itself the servers are stopped too and
 * its exit code is ours.
 *
 * Fixed loopback ports, so a client can be pointed at them: c2s 5222, component
 * 5347, IRC 6667. A fresh secret and demo password are generated on every run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit, startInspircd, startProsody } from '../.dev/harness/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEV = path.join(ROOT, '.dev');
const RUN = path.join(DEV, 'run');
const DOMAIN = 'localhost';
const GATEWAY = 'irc.localhost';
const NETWORK = 'localhost';
const PORTS = { c2s: 5222, component: 5347, irc: 6667 };

const secret = randomBytes(18).toString('base64url');
const demo = { username: 'demo', password: randomBytes(9).toString('base64url') };

const say = (text) => process.stderr.write(`dev-up: ${text}\n`);

rmSync(RUN, { recursive: true, force: true });
mkdirSync(RUN, { recursive: true });

/** Servers started so far, stopped in reverse order. */
const servers = [];
let jabirc;
let stopping;

async function stopAll(code) {
  stopping ??= (async () => {
    if (jabirc && jabirc.exitCode === null && jabirc.signalCode === null) {
      say('stopping Jabirc');
      jabirc.kill('SIGTERM');
      await Promise.race([jabircExited, new Promise((r) => setTimeout(r, 12_000))]);
    }
    for (const s of servers.reverse()) {
      say(`stopping ${s.kind}`);
      await s.stop().catch((err) => say(`${s.kind}: ${err.message}`));
    }
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

let jabircExited;
try {
  say(`starting Prosody (c2s ${PORTS.c2s}, component ${PORTS.component})`);
  servers.push(
    await startProsody({
      domain: DOMAIN,
      component: { domain: GATEWAY, secret },
      users: [demo],
      ports: { c2s: PORTS.c2s, component: PORTS.component },
      baseDir: RUN,
    }),
  );
  say(`starting InspIRCd (${PORTS.irc})`);
  servers.push(await startInspircd({ name: 'irc.localhost', port: PORTS.irc, baseDir: RUN }));
} catch (err) {
  say(`a server did not start: ${err.message}`);
  say(`(is something else listening on 127.0.0.1 port ${PORTS.c2s}, ${PORTS.component} or ${PORTS.irc}?)`);
  await stopAll(1);
}

const configFile = path.join(DEV, 'config.toml');
writeFileSync(
  configFile,
  `# Written by scripts/dev-up.sh; regenerated (with a new secret) on every run.
[component]
jid = "${GATEWAY}"
secret = "${secret}"
host = "127.0.0.1"
port = ${PORTS.component}

[database]
path = ${JSON.stringify(path.join(DEV, 'jabirc.sqlite'))}

[log]
level = "info"

[access]
domains = ["${DOMAIN}"]

[irc]
# The demo IRC server is on loopback, which Jabirc refuses by default.
allow_private_addresses = true

[irc.networks.${NETWORK}]
host = "127.0.0.1"
port = ${PORTS.irc}
tls = false
`,
);
chmodSync(configFile, 0o600);

say('starting Jabirc');
jabirc = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js'), '--config', configFile], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  // Its own process group: Ctrl-C reaches only us, and we stop it once.
  detached: true,
});
const forget = killOnExit(jabirc.pid);
jabircExited = new Promise((resolve) => jabirc.once('exit', (code, signal) => resolve({ code, signal })));
jabircExited.then(({ code, signal }) => {
  forget();
  if (stopping) return;
  say(`Jabirc exited (${signal ?? `code ${code}`}); stopping the servers`);
  void stopAll(code === 0 ? 0 : 1);
});

let announced = false;
let partial = '';
jabirc.stdout.setEncoding('utf8');
jabirc.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (announced) return;
  partial += chunk;
  if (/"msg":"component online"/.test(partial)) {
    announced = true;
    partial = '';
    announce();
  }
});

function announce() {
  process.stderr.write(`
================================================================
 Jabirc is up on loopback.

 XMPP account   demo@${DOMAIN}
 password       ${demo.password}
 server         127.0.0.1 port ${PORTS.c2s} (plaintext, no TLS: allow it
                in your client; fine on loopback for a demo only)
 gateway        ${GATEWAY}
 example room   #demo%${NETWORK}@${GATEWAY}
 IRC side       127.0.0.1 port ${PORTS.irc} (e.g. irssi -c 127.0.0.1 -p ${PORTS.irc})

 Config: .dev/config.toml   Ctrl-C stops everything.
================================================================
`);
}
