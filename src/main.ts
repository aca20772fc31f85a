#!/usr/bin/env node
/**
 * The composition root: command line → config → logger → store → core → adapters.
 *
 * Why one place: config is read once here and passed down, never reached as a global;
 * process concerns (arguments, exit codes, signals) live nowhere else.
 *
 * Exit codes: 0 clean stop; 1 could not start (XMPP link refused, database unusable);
 * 2 bad command line or configuration; 3 crashed: an uncaught exception or unhandled
 * rejection, logged as fatal first (last-resort.ts says why it exits).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { IrcPool } from './adapters/irc-pool.js';
import { LinkError, XmppLink } from './adapters/xmpp-link.js';
import { ConfigError, loadConfig } from './config/load.js';
import { renderConfigReference } from './config/docs.js';
import type { Config } from './config/schema.js';
import { AdhocCommands } from './core/adhoc.js';
import { Bridge, type NetworkSettings } from './core/bridge.js';
import { GatewayCore } from './core/gateway.js';
import { installLastResortHandlers } from './last-resort.js';
import { createLogger } from './log.js';
import { Runtime } from './runtime.js';
import { SqliteChannelStore } from './store/channel-store.js';
import { openDatabase, StoreError } from './store/database.js';
import { SqliteIdentityStore } from './store/identity-store.js';
import { SqliteRoomEncodingStore } from './store/room-settings-store.js';
import { openSecretBox } from './store/secret-key.js';

const USAGE = `Usage:
  jabirc [--config FILE]        run the gateway (default: $JABIRC_CONFIG or /etc/jabirc/config.toml)
  jabirc check-config FILE      validate a configuration file without connecting
  jabirc config-docs            print the configuration reference (Markdown)
  jabirc --version | --help
`;

const SHUTDOWN_DEADLINE_MS = 10_000;

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jabirc' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/** Where and how to reach a network, or undefined when users may not reach it. */
function networkSettings(config: Config, name: string): NetworkSettings | undefined {
  const listed = config.irc.networks[name];
  if (!listed && !config.irc.allow_unlisted) return undefined;
  return {
    host: listed?.host ?? name,
    port: listed?.port ?? config.irc.port,
    tls: listed?.tls ?? config.irc.tls,
  };
}

function fail(code: number, message: string): never {
  process.stderr.write(`jabirc: ${message}\n`);
  process.exit(code);
}

async function run(config: Config): Promise<void> {
  const { log, addSecret } = createLogger(config.log.level);
  addSecret(config.component.secret);
  const version = packageVersion();
  log.info({ version, component: config.component.jid, level: config.log.level }, 'starting');

  let store: ReturnType<typeof openDatabase> | undefined;
  installLastResortHandlers(process, log, () => store?.db.close());
  try {
    store = openDatabase(config.database.path);
  } catch (err) {
    if (err instanceof StoreError) {
      log.fatal({ path: config.database.path, reason: err.message }, 'cannot open the database');
      process.exit(1);
    }
    throw err;
  }
  for (const step of store.applied) log.info({ step }, 'applied database migration');
  let box;
  try {
    box = openSecretBox(store.db, {
      configuredKey: config.database.secret_key,
      databasePath: config.database.path,
      log: log.child({ module: 'store' }),
      addSecret,
    });
  } catch (err) {
    if (err instanceof StoreError) {
      log.fatal({ reason: err.message }, 'cannot use the stored secrets');
      process.exit(1);
    }
    throw err;
  }
  const identities = new SqliteIdentityStore(store.db, box);
  const channels = new SqliteChannelStore(store.db, box);
  const roomEncodings = new SqliteRoomEncodingStore(store.db);

  let bridge!: Bridge;
  const core = new GatewayCore({
    domain: config.component.jid,
    allowedDomains: config.access.domains,
    software: { name: 'Jabirc', version },
    log: log.child({ module: 'core' }),
    fixedNetwork: config.irc.fixed_network,
    accounts: {
      identities,
      channels,
      admins: new Set(config.access.admins.map((a) => a.toLowerCase())),
      adhoc: new AdhocCommands({ newId: randomUUID }),
      networkDefaults: (name) => networkSettings(config, name),
      roomEncodings,
      limits: { maxChannelsPerUser: config.irc.max_channels_per_user, maxNetworksPerUser: config.irc.max_connections_per_user },
    },
    bridge: (bridge = new Bridge({
      domain: config.component.jid,
      fixedNetwork: config.irc.fixed_network,
      network: (name) => networkSettings(config, name),
      allowPrivateAddresses: config.irc.allow_private_addresses,
      maxConnectionsPerUser: config.irc.max_connections_per_user,
      maxChannelsPerUser: config.irc.max_channels_per_user,
      joinTimeoutMs: config.irc.connect_timeout_ms,
      reconnectBaseMs: 2_000,
      reconnectCapMs: 300_000,
      newId: randomUUID,
      random: Math.random,
      now: Date.now,
      identities,
      channels,
      roomEncodings,
      restoreSpacingMs: 1000,
      log: log.child({ module: 'bridge' }),
    })),
  });
  let runtime: Runtime | undefined;
  const irc = new IrcPool({
    log: log.child({ module: 'irc' }),
    connectTimeoutMs: config.irc.connect_timeout_ms,
    onLine: (key, line) => runtime?.onIrcLine(key, line),
    onEvent: (key, ev) => runtime?.onIrcEvent(key, ev),
  });
  const link = new XmppLink({
    host: config.component.host,
    port: config.component.port,
    domain: config.component.jid,
    secret: config.component.secret,
    connectTimeoutMs: config.component.connect_timeout_ms,
    reconnectMaxDelayMs: config.component.reconnect_max_delay_ms,
    log: log.child({ module: 'xmpp' }),
    onStanza: (stanza) => runtime?.onStanza(stanza),
  });
  runtime = new Runtime(core, link, irc, log.child({ module: 'runtime' }));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    runtime?.stop();
    irc
      .closeAll('Jabirc is shutting down', SHUTDOWN_DEADLINE_MS / 2)
      .catch((err: unknown) => log.warn({ err }, 'error while closing IRC connections'))
      .then(() => link.stop())
      .catch((err: unknown) => log.warn({ err }, 'error while closing the component link'))
      .finally(() => {
        store.db.close();
        log.info({}, 'stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await link.start();
    // Persistent channels come back by themselves after a restart, even a kill -9 (issue 4 §4).
    let persistent: ReturnType<typeof channels.all> = [];
    try {
      persistent = channels.all();
    } catch (err) {
      log.error({ err }, 'cannot read the persistent channels; none restored');
    }
    if (persistent.length > 0) runtime.inject(() => bridge.restore(persistent));
  } catch (err) {
    if (err instanceof LinkError) {
      log.fatal({ reason: err.message }, 'cannot attach to the XMPP server');
      store.db.close();
      process.exit(1);
    }
    throw err;
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    fail(2, `${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`jabirc ${packageVersion()}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  try {
    switch (command) {
      case 'config-docs':
        process.stdout.write(renderConfigReference());
        return;
      case 'check-config': {
        const file = rest[0] ?? values.config;
        if (!file || rest.length > 1) fail(2, `check-config takes one FILE\n${USAGE}`);
        loadConfig(file, process.env);
        process.stdout.write(`${file}: configuration is valid\n`);
        return;
      }
      case undefined: {
        const file = values.config ?? process.env.JABIRC_CONFIG ?? '/etc/jabirc/config.toml';
        await run(loadConfig(file, process.env));
        return;
      }
      default:
        fail(2, `unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) fail(2, err.message);
    throw err;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`jabirc: internal error: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
