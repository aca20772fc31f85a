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
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHmac, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { startIdentd } from './adapters/identd.js';
import { IrcPool, type IrcConnectionInfo } from './adapters/irc-pool.js';
import { EventLoopDelay } from './adapters/event-loop-delay.js';
import type { GatewayMetrics } from './adapters/metrics.js';
import { ListenError, startOpsHttp } from './adapters/ops-http.js';
import { LinkError, XmppLink } from './adapters/xmpp-link.js';
import { ConfigError, loadConfig, SECRET_ENV } from './config/load.js';
import { renderConfigReference } from './config/docs.js';
import { floodForNetwork } from './config/flood.js';
import { networkSettings, unlistedPrivateWarning } from './config/network-settings.js';
import { parseListen } from './config/listen.js';
import { sourceAddressForNetwork } from './config/network-source.js';
import { applyLive, diffConfig } from './config/reload.js';
import type { Config } from './config/schema.js';
import { AdhocCommands } from './core/adhoc.js';
import { Bridge } from './core/bridge/index.js';
import type { ConnKey } from './core/effects.js';
import { GatewayCore } from './core/gateway.js';
import { sequentialIds } from './core/stanza-ids.js';
import { identFor } from './adapters/ident-protocol.js';
import { installLastResortHandlers } from './last-resort.js';
import { createLogger, type Logger, type LoggerHandle } from './log.js';
import { Runtime } from './runtime.js';
import { SqliteChannelStore } from './store/channel-store.js';
import { archiveFromConfig } from './store/archive-store.js';
import { SqliteContactStore } from './store/contact-store.js';
import { FLUSH_INTERVAL_MS } from './core/history/archive-port.js';
import { openDatabase, StoreError, type Db } from './store/database.js';
import { databaseUnwritable } from './store/health.js';
import { instrumentStatements } from './store/instrument.js';
import { backupDatabase } from './store/backup.js';
import { SqliteIdentityStore } from './store/identity-store.js';
import { SqliteRoomEncodingStore } from './store/room-settings-store.js';
import { keyFilePath, openSecretBox } from './store/secret-key.js';

const USAGE = `Usage:
  jabirc [--config FILE]        run the gateway (default: $JABIRC_CONFIG or /etc/jabirc/config.toml)
  jabirc check-config FILE      validate a configuration file without connecting
  jabirc config-docs            print the configuration reference (Markdown)
  jabirc backup PATH [--config FILE]
                                copy the database (while the gateway runs) to PATH
  jabirc healthcheck [--config FILE]
                                exit 0 when the running gateway's /readyz says ready
  jabirc import-biboumi PATH [--config FILE] [--dry-run]
                                import a biboumi 9 SQLite database; --dry-run reports, writes nothing
  jabirc --version | --help
`;

const SHUTDOWN_DEADLINE_MS = 10_000;
const DEFAULT_CONFIG = '/etc/jabirc/config.toml';
const HEALTHCHECK_TIMEOUT_MS = 3_000;

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

/**
 * SIGHUP (issue 12 §5, `systemctl reload`) and the admins' `reload` command: re-reads the
 * configuration and applies what can change live (config/reload.ts) without touching a
 * connection; a file that does not load is refused and the running configuration stays.
 * Returns what happened in one sentence, for the command's note (key names, no values).
 */
function reload(
  config: Config,
  reread: () => Config,
  admins: Set<string>,
  core: GatewayCore,
  logger: Pick<LoggerHandle, 'log' | 'setLevel'>,
  listeners?: { restart(changed: readonly string[]): void },
): string {
  const { log } = logger;
  let next: Config;
  try {
    next = reread();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error({ reason: err.message }, 'configuration reload refused; the running configuration stays');
    return `Reload refused, the running configuration stays: ${err.message}`;
  }
  const { live, restart } = diffConfig(config, next);
  applyLive(config, next);
  admins.clear();
  for (const a of config.access.admins) admins.add(a.toLowerCase());
  core.setAllowedDomains(config.access.domains);
  logger.setLevel(config.log.level);
  // The operator's listeners move (or start, or stop) now; their sockets only, no IRC link.
  listeners?.restart(live.filter((k) => k.startsWith('identd') || k.startsWith('metrics')));
  if (restart.length > 0) log.warn({ keys: restart }, 'configuration changes that need a restart were not applied');
  log.info({ applied: live }, 'configuration reloaded');
  const applied = live.length === 0 ? 'Reloaded: no live setting changed.' : `Reloaded: applied ${live.join(', ')}.`;
  return restart.length === 0 ? applied : `${applied} Not applied until a restart: ${restart.join(', ')}.`;
}

/** Why the gateway cannot serve now (`/readyz`); empty when it can. */
function notReady(link: XmppLink, db: Db): string[] {
  const reasons = link.online ? [] : ['component link offline'];
  const db_ = databaseUnwritable(db);
  return db_ === undefined ? reasons : [...reasons, db_];
}

/** The operator's listeners (issue 12 §1–3): metrics and health over HTTP, identd. Each off unless configured. */
async function startOperations(
  config: Config,
  deps: { log: Logger; metrics: GatewayMetrics | undefined; irc: IrcPool; notReady: () => string[] },
  which: { http: boolean; identd: boolean } = { http: true, identd: true },
): Promise<{ http?: { close(): Promise<void> }; identd?: { close(): Promise<void> } }> {
  const { metrics } = deps;
  const started: { http?: { close(): Promise<void> }; identd?: { close(): Promise<void> } } = {};
  const http = config.metrics.listen === undefined || !which.http ? undefined : parseListen(config.metrics.listen);
  if (http && !metrics) deps.log.warn({}, 'metrics were off at start: turning them on needs a restart');
  if (http && metrics) {
    started.http = await startOpsHttp({
      host: http.host ?? '127.0.0.1',
      port: http.port,
      log: deps.log.child({ module: 'metrics' }),
      scrape: () => metrics.scrape(),
      notReady: deps.notReady,
    });
  }
  const ident = config.identd.listen === undefined || !which.identd ? undefined : parseListen(config.identd.listen);
  if (ident) {
    started.identd = await startIdentd({
      host: ident.host,
      port: ident.port,
      log: deps.log.child({ module: 'identd' }),
      lookup: (localPort, remotePort, peer) => {
        const key = deps.irc.connectionByPorts(localPort, remotePort, peer);
        return key === undefined ? undefined : identFor(key.slice(0, key.indexOf(' ')), config.identd.ident);
      },
    });
  }
  return started;
}

/** The listeners of the running gateway, restarted one by one when a reload moves them. */
function liveListeners(
  config: Config,
  deps: Parameters<typeof startOperations>[1],
  current: Awaited<ReturnType<typeof startOperations>>,
): { restart(changed: readonly string[]): void } {
  let chain = Promise.resolve();
  return {
    restart(changed) {
      const http = changed.some((k) => k.startsWith('metrics'));
      const identd = changed.some((k) => k.startsWith('identd'));
      if (!http && !identd) return;
      chain = chain.then(async () => {
        try {
          if (http) await current.http?.close();
          if (identd) await current.identd?.close();
          const next = await startOperations(config, deps, { http, identd });
          if (http) current.http = next.http;
          if (identd) current.identd = next.identd;
          deps.log.info({ metrics: http, identd }, 'listeners restarted');
        } catch (err) {
          deps.log.error({ reason: (err as Error).message }, 'a listener could not be restarted; it stays off until the next reload');
        }
      });
    },
  };
}

function fail(code: number, message: string): never {
  process.stderr.write(`jabirc: ${message}\n`);
  process.exit(code);
}

/**
 * HMAC-SHA-256 of an occupant-id seed under the component secret, 22 base64url characters.
 * The key is imported once per secret value (a KeyObject): given as a string, node imports
 * it on every call, half the time of an id (~9 of 18 µs; two or three ids a join, issue 11).
 * The output is the same.
 */
function occupantIdHash(secretOf: () => string): (seed: string) => string {
  let secret: string | undefined;
  let key: KeyObject | undefined;
  return (seed) => {
    const now = secretOf();
    if (key === undefined || now !== secret) {
      secret = now;
      key = createSecretKey(Buffer.from(now, 'utf8'));
    }
    return createHmac('sha256', key).update(seed).digest('base64url').slice(0, 22);
  };
}

/** `reread` loads the configuration again, for a reload (SIGHUP). */
async function run(config: Config, reread: () => Config): Promise<void> {
  const logger = createLogger(config.log.level);
  const { log, addSecret } = logger;
  addSecret(config.component.secret);
  const version = packageVersion();
  log.info({ version, component: config.component.jid, level: config.log.level }, 'starting');
  const exposure = unlistedPrivateWarning(config);
  if (exposure) log.warn({}, exposure);

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
  // Event-loop delay (issue 11 §5): logged at shutdown, scraped with the metrics.
  const loopDelay = new EventLoopDelay();
  loopDelay.start();
  // Metrics (issue 12 §1) only when they have a listener; the sources are read at scrape time.
  // prom-client is loaded only then: without metrics it would cost RSS for nothing (issue 11 §3).
  const metrics: GatewayMetrics | undefined =
    config.metrics.listen === undefined
      ? undefined
      : new (await import('./adapters/metrics.js')).GatewayMetrics({
          networkLabel: (network) => (network in config.irc.networks ? network : 'unlisted'),
          ircConnections: (): Iterable<IrcConnectionInfo> => irc.connections(),
          componentOnline: () => link.online,
          bridgeStats: () => bridge.stats(),
          eventLoopDelay: () => loopDelay.summary(),
          version,
        });
  // With metrics, the repositories' statements are timed.
  const repoDb = metrics ? instrumentStatements(store.db, (kind, seconds) => metrics.sqliteStatement(kind, seconds)) : store.db;
  const identities = new SqliteIdentityStore(repoDb, box);
  const channels = new SqliteChannelStore(repoDb, box);
  const roomEncodings = new SqliteRoomEncodingStore(repoDb);
  const contacts = new SqliteContactStore(repoDb);
  // Channel history (issue 10): written in batches (on a worker thread for a file), flushed
  // every second; pruning runs as core timers.
  const archive = config.history.enabled ? archiveFromConfig(store.db, config.history) : undefined;
  const flushTimer = archive ? setInterval(() => archive.flush(), FLUSH_INTERVAL_MS) : undefined;
  flushTimer?.unref();

  // The core's bridge, kept here for the metrics' scrape-time gauges.
  let bridge: Bridge;
  // Filled in place on reload: the core keeps this very set.
  const admins = new Set(config.access.admins.map((a) => a.toLowerCase()));
  let listeners: { restart(changed: readonly string[]): void } | undefined;
  const core = new GatewayCore({
    domain: config.component.jid,
    allowedDomains: config.access.domains,
    software: { name: 'Jabirc', version },
    log: log.child({ module: 'core' }),
    // The admins' `reload` command (issue 12 §9): the same reload as SIGHUP.
    onReload: (): string => reload(config, reread, admins, core, logger, listeners),
    fixedNetwork: config.irc.fixed_network,
    accounts: {
      identities,
      channels,
      admins,
      adhoc: new AdhocCommands({ newId: randomUUID }),
      networkDefaults: (name) => networkSettings(config, name),
      roomEncodings,
      // Getters: a reload (SIGHUP) that changes a limit applies to the next request.
      limits: {
        get maxChannelsPerUser() {
          return config.irc.max_channels_per_user;
        },
        get maxNetworksPerUser() {
          return config.irc.max_connections_per_user;
        },
      },
    },
    bridge: (bridge = new Bridge({
      domain: config.component.jid,
      fixedNetwork: config.irc.fixed_network,
      network: (name) => networkSettings(config, name),
      allowPrivateAddresses: config.irc.allow_private_addresses,
      get maxConnectionsPerUser() {
        return config.irc.max_connections_per_user;
      },
      get maxChannelsPerUser() {
        return config.irc.max_channels_per_user;
      },
      get joinTimeoutMs() {
        return config.irc.connect_timeout_ms;
      },
      reconnectBaseMs: 2_000,
      reconnectCapMs: 300_000,
      get reconnectPerSecond() {
        return config.irc.reconnect_per_second;
      },
      newId: sequentialIds(`${randomBytes(9).toString('base64url')}-`),
      random: Math.random,
      now: Date.now,
      identities,
      channels,
      roomEncodings,
      contacts,
      ...(archive ? { archive, historyOnJoin: config.history.on_join } : {}),
      // XEP-0421: a keyed hash, so occupant ids cannot be turned back into JIDs or masks.
      occupantId: occupantIdHash(() => config.component.secret),
      restoreSpacingMs: 1000,
      log: log.child({ module: 'bridge' }),
    })),
  });
  let runtime: Runtime | undefined;
  const irc: IrcPool = new IrcPool({
    log: log.child({ module: 'irc' }),
    connectTimeoutMs: config.irc.connect_timeout_ms,
    parallelConnects: config.irc.parallel_connects,
    pacerFor: (network) => floodForNetwork(config.irc, network),
    localAddressFor: (network, bareJid) => sourceAddressForNetwork(config.irc, network, bareJid),
    onLine: (key, line) => runtime?.onIrcLine(key, line),
    ...(metrics && {
      onLineSent: (key: ConnKey) => metrics.ircLineOut(key),
      onPacingWait: (key: ConnKey, waitMs: number) => metrics.pacingWait(key, waitMs),
    }),
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
    ...(metrics && { onOnline: () => metrics.componentOnline() }),
  });
  runtime = new Runtime(core, link, irc, log.child({ module: 'runtime' }), metrics);
  const opsDeps = { log, metrics, irc, notReady: () => notReady(link, store.db) };
  try {
    listeners = liveListeners(config, opsDeps, await startOperations(config, opsDeps));
  } catch (err) {
    if (err instanceof ListenError) {
      log.fatal({ reason: err.message }, 'cannot start a listener');
      process.exit(1);
    }
    throw err;
  }
  process.on('SIGHUP', () => void reload(config, reread, admins, core, logger, listeners));

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    log.info(loopDelay.summary(), 'event-loop delay while busy (ms)');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    // The core says goodbye (332 to every joined resource, QUIT on every link) and arms
    // nothing after it; then the timers stop and the adapters close what is left.
    runtime?.inject(() => core.shutdown('Jabirc is shutting down'));
    runtime?.stop();
    irc
      .closeAll('Jabirc is shutting down', SHUTDOWN_DEADLINE_MS / 2)
      .catch((err: unknown) => log.warn({ err }, 'error while closing IRC connections'))
      .then(() => link.stop())
      .catch((err: unknown) => log.warn({ err }, 'error while closing the component link'))
      .finally(() => {
        clearInterval(flushTimer);
        archive?.close(); // writes the last batch
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
    // Spans a crash left open are closed, except those of persistent channels: the gateway
    // kept them joined through the restart, and catch-up fills what it missed.
    archive?.closeOpenSpans(Date.now(), persistent);
    runtime.inject(() => core.restore(persistent));
  } catch (err) {
    if (err instanceof LinkError) {
      log.fatal({ reason: err.message }, 'cannot attach to the XMPP server');
      archive?.close();
      store.db.close();
      process.exit(1);
    }
    throw err;
  }
}

/** The configuration for a tool command, which never connects: a missing component secret is no error there. */
function toolConfig(file: string | undefined): Config {
  const env = { [SECRET_ENV]: 'not needed by this command', ...process.env };
  return loadConfig(file ?? DEFAULT_CONFIG, env, { missingIsEmpty: file === undefined });
}

/** `jabirc backup PATH`. */
async function backup(dest: string, file: string | undefined): Promise<void> {
  const config = toolConfig(file);
  try {
    const { pages, schemaVersion } = await backupDatabase(config.database.path, dest);
    process.stdout.write(`${config.database.path}: copied to ${dest} (${pages} pages, schema version ${schemaVersion})\n`);
  } catch (err) {
    if (err instanceof StoreError) fail(1, err.message);
    throw err;
  }
  if (config.database.secret_key === undefined && existsSync(keyFilePath(config.database.path))) {
    process.stdout.write(`the passwords in it need the key file ${keyFilePath(config.database.path)}: back it up too, kept apart\n`);
  }
}

/** `jabirc healthcheck` (the Docker HEALTHCHECK): exit 0 when the running gateway's `/readyz` says ready. */
async function healthcheck(file: string | undefined): Promise<void> {
  let listen: string | undefined;
  try {
    listen = toolConfig(file).metrics.listen;
  } catch (err) {
    // Docker reserves exit code 2: every failure here is 1, "unhealthy".
    if (err instanceof ConfigError) fail(1, `unhealthy: ${err.message}`);
    throw err;
  }
  const where = listen === undefined ? undefined : parseListen(listen);
  if (where === undefined) fail(1, 'unhealthy: no [metrics] listen to ask (set it, e.g. JABIRC_METRICS_LISTEN=9107)');
  // A wildcard listener is reached on loopback.
  const host = where.host === undefined || where.host === '0.0.0.0' ? '127.0.0.1' : where.host === '::' ? '::1' : where.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${where.port}/readyz`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(HEALTHCHECK_TIMEOUT_MS) });
  } catch (err) {
    fail(1, `unhealthy: ${url}: ${(err as Error).message}`);
  }
  const body = (await res.text()).trim();
  if (res.status !== 200) fail(1, `unhealthy: ${url}: ${res.status} ${body}`);
  process.stdout.write(`${body}\n`);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'dry-run': { type: 'boolean' },
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
      case 'healthcheck':
        if (rest.length !== 0) fail(2, `healthcheck takes no argument\n${USAGE}`);
        await healthcheck(values.config ?? process.env.JABIRC_CONFIG);
        return;
      case 'backup': {
        if (rest.length !== 1) fail(2, `backup takes one PATH\n${USAGE}`);
        await backup(rest[0]!, values.config ?? process.env.JABIRC_CONFIG);
        return;
      }
      case 'import-biboumi': {
        // biboumi's database into ours (store/biboumi-import.ts); the report on stdout, logs on stderr.
        if (rest.length !== 1) fail(2, `import-biboumi takes one PATH\n${USAGE}`);
        const config = loadConfig(values.config ?? process.env.JABIRC_CONFIG ?? '/etc/jabirc/config.toml', process.env);
        const bib = await import('./store/biboumi-import.js');
        const dryRun = values['dry-run'] ?? false;
        const { log, addSecret } = createLogger(config.log.level, process.stderr);
        try {
          const source = bib.openBiboumiDatabase(rest[0]!);
          const target = bib.openImportTarget(config.database.path, { dryRun, configuredKey: config.database.secret_key, log, addSecret });
          const domains = new Set(config.access.domains.map((d) => d.toLowerCase()));
          const report = bib.importBiboumi(source, target, {
            gatewayDomain: config.component.jid,
            fixedNetwork: config.irc.fixed_network,
            networkDefaults: (name) => networkSettings(config, name),
            userAllowed: (user) => domains.has(user.slice(user.lastIndexOf('@') + 1)),
            limits: { maxChannelsPerUser: config.irc.max_channels_per_user, maxNetworksPerUser: config.irc.max_connections_per_user },
            dryRun,
          });
          source.close();
          target.db.close();
          process.stdout.write(bib.formatImportReport(report, rest[0]!));
        } catch (err) {
          if (err instanceof StoreError) fail(1, err.message);
          throw err;
        }
        return;
      }
      case undefined: {
        // The default file may be absent when the environment holds the whole configuration.
        const file = values.config ?? process.env.JABIRC_CONFIG;
        const load = (): Config => loadConfig(file ?? DEFAULT_CONFIG, process.env, { missingIsEmpty: file === undefined });
        await run(load(), load);
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
