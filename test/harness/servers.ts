/**
 * The real-server test bed: Prosody, ejabberd, InspIRCd and ngIRCd started on
 * loopback for integration tests and the local dev setup, and InspIRCd linked
 * to Atheme services (NickServ, SASL) for tests of account login.
 *
 * Rules this module keeps:
 * - Every server gets its own fresh temp directory (config, data, logs) and
 *   ports chosen at run time (or fixed by the caller, as the local dev setup
 *   does with 5222 and 6667); nothing is shared with a system-wide install
 *   (no /etc config, no /var data, no epmd: ejabberd's Erlang distribution
 *   listens on its own port via `-erl_epmd_port`, so no epmd daemon starts).
 * - Only 127.0.0.1 is bound; nothing here ever dials another address.
 * - A start resolves only once the server really serves: every XMPP port
 *   accepts a TCP connection and accounts exist; an IRC server has sent 001 to
 *   a registering client. Otherwise it rejects within a bounded time with the
 *   server's log in the message, having cleaned up after itself.
 * - Each server runs in its own process group; `stop()` signals the whole
 *   group (TERM, then KILL after a grace period), waits until the group is
 *   empty and removes the temp directory. `restart()` stops the group the
 *   same way and starts the server again on the same ports and data, so
 *   every connection to it drops (a test of reconnection). A process exit hook kills whatever
 *   is still running if a test run dies without calling `stop()`.
 * - Nothing is printed on success; `logs()` returns the server's output and
 *   log files so a failing test can print them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Loopback address every server binds and every test dials. */
export const LOOPBACK = '127.0.0.1';

/** An account on an XMPP server. `username` is the localpart only. */
export interface XmppAccount {
  username: string;
  password: string;
}

/** The XEP-0114 component the server accepts, e.g. `{ domain: 'irc.localhost', secret: 's3cret' }`. */
export interface ComponentEntry {
  domain: string;
  secret: string;
}

export interface XmppServerOptions {
  /** The component entry (a `jabber:component:accept` listener for this domain). */
  component: ComponentEntry;
  /** XMPP domain of the server's one virtual host. Default `localhost`. */
  domain?: string;
  /** Accounts created before the start resolves. */
  users?: XmppAccount[];
  /** Bound on the whole start, in ms. Default 30 s (Prosody), 60 s (ejabberd). */
  startTimeoutMs?: number;
  /**
   * Offer SCRAM-SHA-1 on c2s. Default false: with the locked
   * sasl-scram-sha-1 1.4.0, whose `response()` became async, @xmpp/sasl 0.13
   * (which calls it synchronously) sends an empty `<response/>` and every
   * login fails (Prosody: malformed-request; ejabberd: not-authorized).
   * @xmpp/client prefers SCRAM whenever offered, so the harness offers PLAIN
   * only. Turn on once sasl-scram-sha-1 is pinned to 1.3.x.
   */
  offerScram?: boolean;
  /** Fixed ports instead of free ones chosen at run time (e.g. c2s 5222 for a local demo). */
  ports?: { c2s?: number; component?: number };
  /** Directory in which the server's temp directory is created. Default `os.tmpdir()`. */
  baseDir?: string;
  /**
   * ejabberd only: load mod_offline, which keeps messages to an offline user until they
   * come back (XEP-0160). Default false: without it ejabberd answers such a message with
   * a `service-unavailable` error. Prosody always loads mod_offline (one of its
   * auto-loaded modules).
   */
  offlineStorage?: boolean;
}

/** A running XMPP server. Plaintext c2s (no STARTTLS offered), PLAIN allowed (SCRAM-SHA-1 with `offerScram`). */
export interface XmppServer {
  kind: 'prosody' | 'ejabberd';
  domain: string;
  host: typeof LOOPBACK;
  c2sPort: number;
  componentPort: number;
  component: ComponentEntry;
  /** Temp directory holding config, data and logs; removed by `stop()`. */
  dir: string;
  /** Creates another account while the server runs (e.g. a unique user per test). */
  addUser(account: XmppAccount): Promise<void>;
  /** Server output and log files (of every run, after `restart()`), for printing on failure. */
  logs(): string;
  /**
   * Stops the server (TERM, as `stop()` does) and starts it again on the same
   * ports with the same data; resolves once it serves again. Every client and
   * component connection drops.
   */
  restart(): Promise<void>;
  /** Kills the server's whole process group and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export interface IrcServerOptions {
  /** Server name sent as the prefix of numerics. Default `irc.local`. */
  name?: string;
  /** Bound on the whole start, in ms. Default 20 s. */
  startTimeoutMs?: number;
  /** A fixed port instead of a free one chosen at run time (e.g. 6667 for a local demo). */
  port?: number;
  /** Directory in which the server's temp directory is created. Default `os.tmpdir()`. */
  baseDir?: string;
  /**
   * InspIRCd only: load the ident module and ask every client's identd (RFC 1413, port
   * 113 of the client's address) before registering it. Default false.
   */
  ident?: boolean;
  /** InspIRCd only: also listen on [::1] (same port), for IPv6 clients. Default false. */
  ipv6?: boolean;
}

/** A running IRC server on loopback, plaintext, with flood limits lifted for 127.0.0.1. */
export interface IrcServer {
  kind: 'inspircd' | 'ngircd';
  host: typeof LOOPBACK;
  port: number;
  name: string;
  dir: string;
  logs(): string;
  /** Stops the server and starts it again on the same port; every connection drops. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Prosody

/**
 * Prosody 0.12 in the foreground (`prosody --config FILE -F`) with
 * `run_as_root = true`. Accounts are written with `prosodyctl register`, which
 * works on the data directory whether or not the server runs.
 */
export async function startProsody(opts: XmppServerOptions): Promise<XmppServer> {
  const domain = opts.domain ?? 'localhost';
  checkDomain(domain);
  checkDomain(opts.component.domain);
  const dir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), 'jabirc-prosody-'));
  const [freeC2s, freeComponent] = await freePorts(2);
  const c2sPort = opts.ports?.c2s ?? freeC2s;
  const componentPort = opts.ports?.component ?? freeComponent;
  const configFile = path.join(dir, 'prosody.cfg.lua');
  const logFile = path.join(dir, 'prosody.log');
  await mkdir(path.join(dir, 'data'));
  await mkdir(path.join(dir, 'certs'));
  const L = luaString;
  await writeFile(
    configFile,
    `-- Generated by test/harness/servers.ts
run_as_root = true
pidfile = ${L(path.join(dir, 'prosody.pid'))}
data_path = ${L(path.join(dir, 'data'))}
-- An empty certificate dir: no certificate, so STARTTLS is never offered.
certificates = ${L(path.join(dir, 'certs'))}
log = { { levels = { min = "debug" }, to = "file", filename = ${L(logFile)} } }
interfaces = { ${L(LOOPBACK)} }
c2s_interfaces = { ${L(LOOPBACK)} }
c2s_ports = { ${c2sPort} }
c2s_direct_tls_ports = {}
legacy_ssl_ports = {}
s2s_ports = {}
http_ports = {}
https_ports = {}
component_interfaces = { ${L(LOOPBACK)} }
component_ports = { ${componentPort} }
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
${opts.offerScram ? '' : 'disable_sasl_mechanisms = { "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS" }\n'}storage = "internal"
limits = {}
modules_enabled = { "roster", "saslauth", "disco", "ping", "version", "time", "uptime", "private", "vcard" }
modules_disabled = { "s2s" }

VirtualHost ${L(domain)}

Component ${L(opts.component.domain)}
  component_secret = ${L(opts.component.secret)}
`,
  );

  const register = async (account: XmppAccount): Promise<void> => {
    checkAccount(account);
    const res = await runCommand(
      'prosodyctl',
      ['--config', configFile, 'register', account.username, domain, account.password],
      { cwd: dir, timeoutMs: 15_000 },
    );
    if (res.code !== 0) {
      throw new Error(`prosodyctl register ${account.username}@${domain} failed (exit ${res.code}):\n${res.output}`);
    }
  };

  const launch = async (attempt: StartAttempt): Promise<ServerProcess> => {
    const proc = attempt.spawn('prosody', ['--config', configFile, '-F'], { cwd: dir, logFiles: [logFile] });
    await waitForTcp(proc, LOOPBACK, c2sPort);
    await waitForTcp(proc, LOOPBACK, componentPort);
    return proc;
  };
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const running = await startWithin('Prosody', timeoutMs, dir, async (attempt) => {
    for (const account of opts.users ?? []) await register(account);
    return launch(attempt);
  });
  return {
    kind: 'prosody',
    domain,
    host: LOOPBACK,
    c2sPort,
    componentPort,
    component: { ...opts.component },
    addUser: register,
    ...runningHandle(running, dir, { label: 'Prosody', timeoutMs, launch }),
  };
}

// ---------------------------------------------------------------------------
// ejabberd

/**
 * ejabberd 23.01 started with `erl` directly, as `ejabberdctl foreground` would
 * but without its switch to the `ejabberd` user and without epmd:
 *
 *   erl -sname jabirc<hex>@localhost -setcookie <random> -erl_epmd_port <distPort>
 *       -start_epmd false -kernel inet_dist_use_interface {127,0,0,1}
 *       +P 250000 -env ERL_CRASH_DUMP_BYTES 0 -noshell -noinput
 *       -mnesia dir "<dir>/spool" -s ejabberd
 *
 * with EJABBERD_CONFIG_PATH, EJABBERD_LOG_PATH, ERL_LIBS (read from
 * ejabberdctl) and HOME pointing into the temp dir. Accounts are registered by
 * a hidden `erl` peer (`-dist_listen false`) calling `ejabberd_admin:register/3`
 * over RPC, the function behind `ejabberdctl register`.
 */
export async function startEjabberd(opts: XmppServerOptions): Promise<XmppServer> {
  const domain = opts.domain ?? 'localhost';
  checkDomain(domain);
  checkDomain(opts.component.domain);
  const dir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), 'jabirc-ejabberd-'));
  const [freeC2s, freeComponent, distPort] = await freePorts(3);
  const c2sPort = opts.ports?.c2s ?? freeC2s;
  const componentPort = opts.ports?.component ?? freeComponent;
  const node = `jabirc${randomBytes(6).toString('hex')}@localhost`;
  const cookie = randomBytes(16).toString('hex');
  const configFile = path.join(dir, 'ejabberd.yml');
  const logDir = path.join(dir, 'logs');
  const spoolDir = path.join(dir, 'spool');
  await mkdir(logDir);
  await mkdir(spoolDir);
  // JSON strings are valid YAML double-quoted scalars.
  const Y = JSON.stringify;
  await writeFile(
    configFile,
    `# Generated by test/harness/servers.ts
hosts:
  - ${Y(domain)}
loglevel: info
log_rotate_count: 0
hide_sensitive_log_data: true
listen:
  -
    port: ${c2sPort}
    ip: ${Y(LOOPBACK)}
    module: ejabberd_c2s
    starttls_required: false
    max_stanza_size: 1048576
    shaper: none
  -
    port: ${componentPort}
    ip: ${Y(LOOPBACK)}
    module: ejabberd_service
    shaper: none
    hosts:
      ${Y(opts.component.domain)}:
        password: ${Y(opts.component.secret)}
auth_method: internal
auth_password_format: scram
${opts.offerScram ? '' : 'disable_sasl_mechanisms: ["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS"]\n'}shaper_rules:
  max_user_sessions: 1000
  max_user_offline_messages: 5000
  c2s_shaper: none
  s2s_shaper: none
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_version: {}
  mod_time: {}
  mod_roster: {}
  mod_vcard: {}
${opts.offlineStorage ? '  mod_offline: {}\n' : ''}`,
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    EJABBERD_CONFIG_PATH: configFile,
    EJABBERD_LOG_PATH: path.join(logDir, 'ejabberd.log'),
    ERL_LIBS: await ejabberdErlLibs(),
    ERL_CRASH_DUMP: path.join(logDir, 'erl_crash.dump'),
    ERL_MAX_PORTS: '32000',
    ERL_MAX_ETS_TABLES: '1400',
  };
  const distArgs = ['-setcookie', cookie, '-erl_epmd_port', String(distPort), '-start_epmd', 'false'];

  const register = async (account: XmppAccount): Promise<void> => {
    checkAccount(account);
    // Arguments after -extra reach the script as plain strings: no quoting of user input.
    const script = [
      '[NodeS, Host, User, Pass] = init:get_plain_arguments(),',
      'B = fun unicode:characters_to_binary/1,',
      'R = rpc:call(list_to_atom(NodeS), ejabberd_admin, register, [B(User), B(Host), B(Pass)]),',
      'io:format("~p~n", [R]),',
      'halt(case R of {ok, _} -> 0; _ -> 1 end).',
    ].join(' ');
    const res = await runCommand(
      'erl',
      [
        '-sname', `ctl${randomBytes(6).toString('hex')}@localhost`, ...distArgs, '-dist_listen', 'false',
        '-hidden', '-noshell', '-noinput', '-eval', script,
        '-extra', node, domain, account.username, account.password,
      ],
      { cwd: dir, env, timeoutMs: 30_000 },
    );
    if (res.code !== 0) {
      throw new Error(`ejabberd register ${account.username}@${domain} failed (exit ${res.code}):\n${res.output}`);
    }
  };

  const launch = async (attempt: StartAttempt): Promise<ServerProcess> => {
    const proc = attempt.spawn(
      'erl',
      [
        '-sname', node, ...distArgs, '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
        '+P', '250000', '-env', 'ERL_CRASH_DUMP_BYTES', '0', '-noshell', '-noinput',
        '-mnesia', 'dir', JSON.stringify(spoolDir), '-s', 'ejabberd',
      ],
      { cwd: dir, env, logFiles: [path.join(logDir, 'ejabberd.log'), path.join(logDir, 'error.log')] },
    );
    // Listeners open only once ejabberd has started, so both ports up means ready.
    await waitForTcp(proc, LOOPBACK, c2sPort);
    await waitForTcp(proc, LOOPBACK, componentPort);
    return proc;
  };
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const running = await startWithin('ejabberd', timeoutMs, dir, async (attempt) => {
    const proc = await launch(attempt);
    for (const account of opts.users ?? []) await register(account);
    return proc;
  });
  return {
    kind: 'ejabberd',
    domain,
    host: LOOPBACK,
    c2sPort,
    componentPort,
    component: { ...opts.component },
    addUser: register,
    ...runningHandle(running, dir, { label: 'ejabberd', timeoutMs, launch }),
  };
}

/** ERL_LIBS as Debian's ejabberdctl sets it (the multiarch lib dir holding ejabberd-<version>). */
async function ejabberdErlLibs(): Promise<string> {
  try {
    const ctl = await readFile('/usr/sbin/ejabberdctl', 'utf8');
    const m = /^ERL_LIBS='([^']+)'/m.exec(ctl);
    if (m?.[1]) return m[1];
  } catch {
    // Not the Debian layout; fall through.
  }
  return '/usr/lib/x86_64-linux-gnu';
}

// ---------------------------------------------------------------------------
// InspIRCd

/** IRCv3 and channel-mode modules the bridge relies on (InspIRCd 3 names). */
const INSPIRCD_MODULES = [
  'cap',
  'ircv3', // account-notify, away-notify, extended-join
  'ircv3_accounttag',
  'ircv3_batch',
  'ircv3_capnotify',
  'ircv3_chghost',
  'ircv3_ctctags', // message-tags
  'ircv3_echomessage',
  'ircv3_invitenotify',
  'ircv3_msgid',
  'ircv3_servertime',
  'monitor', // IRCv3 MONITOR: presence of contacts (issue 9 §6)
  'namesx', // multi-prefix
  'uhnames', // userhost-in-names
  'banexception', // +e
  'inviteexception', // +I
  // Channel mode +H (`MODE #chan +H 50:1d`): history replayed on join in an IRCv3
  // `chathistory` batch (issue 10 §4); configured by the <chanhistory> tag below.
  'chanhistory',
  // Loads without services; the `sasl` capability appears only once the
  // target server links, which never happens here.
  'sasl',
];

/**
 * InspIRCd 3 in the foreground: `inspircd --runasroot --nofork --config FILE`.
 * One connect class for everyone with flood and clone limits lifted, no DNS
 * or ident lookups. Note InspIRCd completes registrations on a one-second
 * timer, so every client waits up to ~1 s for 001.
 */
export async function startInspircd(opts: IrcServerOptions = {}): Promise<IrcServer> {
  const { name, port, dir, args, logFile } = await prepareInspircd(opts);
  return startIrc('inspircd', args, {
    name,
    port,
    dir,
    logFiles: [logFile],
    timeoutMs: opts.startTimeoutMs ?? 20_000,
  });
}

/**
 * Writes the InspIRCd config into a fresh temp dir. `extra` (services) adds
 * a server id to the `<server>` tag, modules and tags at the end.
 */
async function prepareInspircd(
  opts: IrcServerOptions,
  extra?: { serverId: string; modules: string[]; tags: string },
): Promise<{ name: string; port: number; dir: string; args: string[]; logFile: string }> {
  const name = opts.name ?? 'irc.local';
  checkDomain(name);
  const dir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), 'jabirc-inspircd-'));
  const port = opts.port ?? (await freePorts(1))[0];
  const configFile = path.join(dir, 'inspircd.conf');
  const logFile = path.join(dir, 'inspircd.log');
  await mkdir(path.join(dir, 'data'));
  await mkdir(path.join(dir, 'logs'));
  await writeFile(
    configFile,
    `# Generated by test/harness/servers.ts
<server name="${name}" description="Jabirc test server" network="JabircTest"${extra ? ` id="${extra.serverId}"` : ''}>
<admin name="Jabirc" nick="jabirc" email="jabirc@localhost">
<bind address="${LOOPBACK}" port="${port}" type="clients">
${opts.ipv6 ? `<bind address="::1" port="${port}" type="clients">` : ''}
<path configdir="${dir}" datadir="${dir}/data" logdir="${dir}/logs">
<pid file="${dir}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${logFile}">
<dns server="${LOOPBACK}" timeout="1">
<connect name="main" allow="*" maxchans="500" timeout="60" pingfreq="2m"
         hardsendq="8M" softsendq="1M" recvq="1M"
         threshold="100000" commandrate="1000000" fakelag="no"
         localmax="100000" globalmax="100000" maxconnwarn="no" limit="100000"
         resolvehostnames="no" useident="${opts.ident ? 'yes' : 'no'}">
<channels users="500" opers="500">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">
<performance quietbursts="yes" softlimit="10000" somaxconn="128" netbuffersize="10240" clonesonconnect="no">
<whowas groupsize="10" maxgroups="100000" maxkeep="3d">
<maxlist chan="*" limit="100">
${[...INSPIRCD_MODULES, ...(opts.ident ? ['ident'] : []), ...(extra?.modules ?? [])].map((m) => `<module name="${m}">`).join('\n')}
${opts.ident ? '<ident timeout="5">' : ''}
<ircv3 accountnotify="yes" awaynotify="yes" extendedjoin="yes">
<chanhistory maxlines="50" prefixmsg="no" bots="yes">
<sasl target="services.${name}" requiressl="no">
${extra?.tags ?? ''}`,
  );
  return { name, port, dir, args: ['--runasroot', '--nofork', '--config', configFile], logFile };
}

// ---------------------------------------------------------------------------
// InspIRCd linked to Atheme services

export interface ServicesOptions extends IrcServerOptions {
  /**
   * Atheme also logs its raw server-to-server traffic (loglevel `debug` and
   * `rawdata`). Default false: in that mode a foreground Atheme greets every
   * connecting user with a notice "Services are presently running in debug
   * mode", a line tests of the bridge would have to skip.
   */
  debugServices?: boolean;
}

/** The services daemon linked to an {@link IrcServerWithServices}. */
export interface Services {
  kind: 'atheme';
  /** Its server name, also InspIRCd's SASL target: `services.<IRC server name>`. */
  name: string;
  /** Temp directory holding its config, database and log; removed by `stop()`. */
  dir: string;
  logs(): string;
  /** Stops Atheme (its database is written on SIGTERM) and starts it again; resolves once relinked. */
  restart(): Promise<void>;
  /** Stops Atheme only: NickServ and SaslServ disappear and `sasl` leaves CAP LS. Idempotent. */
  stop(): Promise<void>;
}

/**
 * InspIRCd with Atheme linked to it. `logs()` gives both daemons' logs,
 * `restart()` restarts InspIRCd and resolves once the services have relinked
 * (unless they were stopped), `stop()` stops both and removes both dirs.
 */
export interface IrcServerWithServices extends IrcServer {
  kind: 'inspircd';
  /** Port of InspIRCd's `<bind type="servers">`, which Atheme dials. */
  linkPort: number;
  services: Services;
}

/** Fixed server ids (InspIRCd's would otherwise be a hash of its name and could collide). */
const INSPIRCD_SID = '001';
const ATHEME_SID = '0AA';
/** Pseudo-clients the harness waits for before a start resolves. */
const SERVICE_NICKS = ['NickServ', 'SaslServ'];

/**
 * InspIRCd 3 as {@link startInspircd} starts it, plus a server link on a free
 * loopback port, and Atheme 7.2 linked to it with NickServ and SaslServ
 * (PLAIN). Atheme runs in the foreground, as root, in its own temp dir:
 *
 *   atheme-services -n -c <dir>/atheme.conf -D <dir>/data -l <dir>/atheme.log -p <dir>/atheme.pid
 *
 * InspIRCd loads `spanningtree`, `services_account` (required by Atheme) and
 * `svshold`; `<uline>` marks the services server. Atheme links with protocol
 * module `inspircd` (protocol 1202, which InspIRCd 3 still speaks), random
 * link passwords each way. Accounts: no email confirmation (`auth = none`, no
 * mail is ever sent), no registration rate limit, up to 1000 accounts per
 * email and logins per account, nicks and accounts never expire.
 *
 * Resolves once a client sees both NickServ and SaslServ (WHOIS → 311) and
 * `sasl` in CAP LS, within `startTimeoutMs` (default 30 s) for the whole.
 */
export async function startInspircdWithServices(opts: ServicesOptions = {}): Promise<IrcServerWithServices> {
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const name = opts.name ?? 'irc.local';
  checkDomain(name);
  const servicesName = `services.${name}`; // what prepareInspircd's <sasl target> names
  const [linkPort, freeClientPort] = await freePorts(2);
  const toServices = randomBytes(12).toString('hex');
  const toIrcd = randomBytes(12).toString('hex');
  const prepared = await prepareInspircd(
    { ...opts, name, port: opts.port ?? freeClientPort },
    {
      serverId: INSPIRCD_SID,
      modules: ['spanningtree', 'services_account', 'svshold'],
      tags: `<bind address="${LOOPBACK}" port="${linkPort}" type="servers">
<link name="${servicesName}" ipaddr="${LOOPBACK}" port="${linkPort}" allowmask="${LOOPBACK}/32"
      sendpass="${toServices}" recvpass="${toIrcd}" hidden="no">
<uline server="${servicesName}" silent="yes">
`,
    },
  );
  const { port } = prepared;
  const irc = await startIrc('inspircd', prepared.args, {
    name,
    port,
    dir: prepared.dir,
    logFiles: [prepared.logFile],
    timeoutMs: Math.max(1_000, deadline - Date.now()),
  });

  let athemeDir: string | undefined;
  let services: ReturnType<typeof runningHandle>;
  const launch = async (attempt: StartAttempt): Promise<ServerProcess> => {
    const dir = athemeDir!;
    const proc = attempt.spawn(
      'atheme-services',
      ['-n', '-c', path.join(dir, 'atheme.conf'), '-D', path.join(dir, 'data'), '-l', path.join(dir, 'atheme.log'), '-p', path.join(dir, 'atheme.pid')],
      // In the foreground Atheme writes every log line to stdout too: the captured output is the log.
      { cwd: dir, logFiles: [] },
    );
    await waitForServices(LOOPBACK, port, () =>
      proc.hasExited ? `Atheme exited (${proc.exitDescription()})` : attempt.aborted ? 'start aborted' : undefined,
    );
    return proc;
  };
  try {
    athemeDir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), 'jabirc-atheme-'));
    await mkdir(path.join(athemeDir, 'data'));
    await writeFile(
      path.join(athemeDir, 'atheme.conf'),
      athemeConfig({ name: servicesName, uplink: name, port: linkPort, sendPassword: toIrcd, receivePassword: toServices, debug: opts.debugServices ?? false }),
    );
    const first = await startWithin('Atheme', Math.max(1_000, deadline - Date.now()), athemeDir, launch);
    services = runningHandle(first, athemeDir, { label: 'Atheme', timeoutMs, launch });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const ircLogs = irc.logs();
    await irc.stop();
    if (athemeDir) await rm(athemeDir, { recursive: true, force: true });
    throw new Error(`InspIRCd with services failed to start: ${reason}\n--- InspIRCd ---\n${ircLogs}`);
  }

  let servicesStopped = false;
  return {
    ...irc,
    kind: 'inspircd',
    linkPort,
    logs: () => `--- InspIRCd ---\n${irc.logs()}\n--- Atheme (${servicesName}) ---\n${services.logs()}`,
    async restart() {
      await irc.restart();
      if (servicesStopped) return;
      // Atheme redials after `recontime` (1 s).
      const until = Date.now() + timeoutMs;
      try {
        await waitForServices(LOOPBACK, port, () => (Date.now() > until ? `not relinked within ${timeoutMs} ms` : undefined));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`InspIRCd (restart): services did not relink: ${reason}\n--- Atheme ---\n${services.logs()}`);
      }
    },
    stop: once(async () => {
      servicesStopped = true;
      await services.stop();
      await irc.stop();
    }),
    services: {
      kind: 'atheme',
      name: servicesName,
      dir: services.dir,
      logs: () => services.logs(),
      restart: () => services.restart(),
      stop: async () => {
        servicesStopped = true;
        await services.stop();
      },
    },
  };
}

/** Atheme 7.2 config: just NickServ and SaslServ (PLAIN), accounts without email confirmation or limits. */
function athemeConfig(o: {
  name: string;
  uplink: string;
  port: number;
  sendPassword: string;
  receivePassword: string;
  debug: boolean;
}): string {
  const levels = ['error', 'info', 'admin', 'network', 'wallops', 'register', 'commands', 'denycmd', 'request'];
  if (o.debug) levels.push('debug', 'rawdata');
  const modules = [
    'protocol/inspircd',
    'backend/opensex',
    'crypto/pbkdf2v2',
    'nickserv/main',
    'nickserv/help',
    'nickserv/register',
    'nickserv/identify',
    'nickserv/logout',
    'nickserv/ghost',
    'nickserv/info',
    'nickserv/drop',
    'saslserv/main',
    'saslserv/plain',
  ];
  const pseudoClient = (nick: string, real: string): string =>
    `\tnick = "${nick}";\n\tuser = "${nick}";\n\thost = "${o.name}";\n\treal = "${real}";\n`;
  return `/* Generated by test/harness/servers.ts */
${modules.map((m) => `loadmodule "modules/${m}";`).join('\n')}

serverinfo {
\tname = "${o.name}";
\tdesc = "Jabirc test services";
\tnumeric = "${ATHEME_SID}";
\trecontime = 1;
\tnetname = "JabircTest";
\thidehostsuffix = "users.jabirc.test";
\tadminname = "Jabirc";
\tadminemail = "jabirc@example.org";
\tregisteremail = "noreply@example.org";
\tloglevel = { ${levels.map((l) => `${l};`).join(' ')} };
\tmaxlogins = 1000;
\tmaxusers = 1000;
\tmdlimit = 30;
\temaillimit = 10;
\temailtime = 300;
\tauth = none;
\tcasemapping = rfc1459;
};

uplink "${o.uplink}" {
\thost = "${LOOPBACK}";
\tport = ${o.port};
\tsend_password = "${o.sendPassword}";
\treceive_password = "${o.receivePassword}";
};

nickserv {
${pseudoClient('NickServ', 'Nickname Services')}\tmaxnicks = 5;
\texpire = 0;
};

saslserv {
${pseudoClient('SaslServ', 'SASL Authentication Agent')}};

/* No ratelimit_uses/ratelimit_period: REGISTER is not rate limited. */
general {
\tcommit_interval = 1;
\tuplink_sendq_limit = 1048576;
\tlanguage = "en";
};
`;
}

/**
 * Resolves once a registered client on `host:port` sees every pseudo-client
 * of {@link SERVICE_NICKS} (WHOIS → 311) and `sasl` in CAP LS; polls every
 * 200 ms on one connection. `stopReason()` returning a string rejects.
 */
async function waitForServices(host: string, port: number, stopReason: () => string | undefined): Promise<void> {
  let client: RawIrcClient | undefined;
  let last = '';
  try {
    for (;;) {
      const why = stopReason();
      if (why) throw new Error(`${why}; services not seen (last: ${last || 'no client registered'})`);
      if (!client || client.closed) {
        client?.destroy();
        client = await RawIrcClient.connect(host, port);
        await client.register(`probe${randomBytes(3).toString('hex')}`, 5_000);
      }
      const token = `svc${randomBytes(4).toString('hex')}`;
      const from = client.lines.length;
      client.send(...SERVICE_NICKS.map((n) => `WHOIS ${n}`), 'CAP LS 302', `PING :${token}`);
      await client.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === token, 5_000);
      const got = client.lines.slice(from).map(parseRawLine);
      const seen = SERVICE_NICKS.filter((n) => got.some((m) => m.command === '311' && m.params[1]?.toLowerCase() === n.toLowerCase()));
      const caps = got.filter((m) => m.command === 'CAP' && m.params[1] === 'LS').map((m) => m.params.at(-1) ?? '');
      const sasl = caps.some((c) => c.split(' ').some((cap) => cap === 'sasl' || cap.startsWith('sasl=')));
      if (seen.length === SERVICE_NICKS.length && sasl) return;
      last = `saw ${seen.join(', ') || 'no services'}, CAP LS ${sasl ? 'with' : 'without'} sasl`;
      await sleep(200);
    }
  } finally {
    await client?.close();
  }
}

/**
 * Registers the account `nick` with NickServ from a fresh client of that
 * nick (`PRIVMSG NickServ :REGISTER <password> <email>`) and resolves on
 * NickServ's success notice; rejects with NickServ's answer otherwise.
 * Atheme wants a password of 5+ characters other than the nick, and an
 * address shaped like one (e.g. `alice@example.org`; no mail is sent).
 */
export async function registerNick(host: string, port: number, nick: string, password: string, email: string): Promise<void> {
  if (/[\s\0]/.test(password) || password === '') throw new Error('registerNick: password must be non-empty without spaces');
  if (/[\s\0]/.test(email) || !email.includes('@')) throw new Error(`registerNick: not an email address: ${JSON.stringify(email)}`);
  const client = await RawIrcClient.connect(host, port);
  try {
    await client.register(nick);
    client.send(`PRIVMSG NickServ :REGISTER ${password} ${email}`);
    const reply = await client.waitFor((m) => m.command === 'NOTICE' && /^NickServ!/i.test(m.prefix ?? ''));
    const text = stripIrcFormatting(reply.params.at(-1) ?? '');
    if (!/ is now registered to /.test(text)) throw new Error(`NickServ refused REGISTER for ${nick}: ${text}`);
  } finally {
    await client.close();
  }
}

/** A parsed IRC line (message tags dropped). */
export interface RawIrcMessage {
  raw: string;
  prefix: string | undefined;
  command: string;
  params: string[];
}

/** Parses one IRC line; tags are skipped, the trailing parameter is the last param. */
export function parseRawLine(raw: string): RawIrcMessage {
  let rest = raw;
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1 || rest.length);
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    prefix = rest.slice(1, sp === -1 ? undefined : sp);
    rest = sp === -1 ? '' : rest.slice(sp + 1);
  }
  const params: string[] = [];
  let command = '';
  while (rest !== '') {
    rest = rest.replace(/^ +/, '');
    if (rest === '') break;
    if (command !== '' && rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const sp = rest.indexOf(' ');
    const word = sp === -1 ? rest : rest.slice(0, sp);
    rest = sp === -1 ? '' : rest.slice(sp + 1);
    if (command === '') command = word.toUpperCase();
    else params.push(word);
  }
  return { raw, prefix, command, params };
}

/** Removes mIRC bold, colour, italic, underline, reverse and reset codes. */
export function stripIrcFormatting(text: string): string {
  return text.replace(/\x03(\d{1,2}(,\d{1,2})?)?|[\x02\x0f\x16\x1d\x1e\x1f]/g, '');
}

/**
 * A bare IRC connection for harness probes and protocol-level tests (CAP, SASL,
 * NickServ): lines exactly as sent, PING answered, nothing else interpreted.
 * `waitFor` scans forward from just after its previous match, so successive
 * waits read the conversation in order.
 */
export class RawIrcClient {
  /** Every line received, CR/LF stripped. */
  readonly lines: string[] = [];
  private cursor = 0;
  private partial = '';
  private waiters = new Set<() => void>();
  private ended = false;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.partial += chunk;
      let i: number;
      while ((i = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, i).replace(/\r$/, '');
        this.partial = this.partial.slice(i + 1);
        this.lines.push(line);
        const m = parseRawLine(line);
        if (m.command === 'PING') this.send(`PONG :${m.params.at(-1) ?? ''}`);
      }
      this.wake();
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static connect(host: string, port: number): Promise<RawIrcClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RawIrcClient(sock));
      });
      sock.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Writes each argument as one line; CR, LF and NUL are refused. */
  send(...lines: string[]): void {
    for (const line of lines) {
      if (/[\r\n\0]/.test(line)) throw new Error(`RawIrcClient: CR/LF/NUL in ${JSON.stringify(line)}`);
    }
    if (!this.ended) this.sock.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /** NICK and USER, then waits for 001 (InspIRCd takes up to ~1 s). */
  async register(nick: string, timeoutMs = 10_000): Promise<RawIrcMessage> {
    this.send(`NICK ${nick}`, `USER ${nick.slice(0, 10)} 0 * :${nick}`);
    return this.waitFor((m) => m.command === '001', timeoutMs);
  }

  /** The next line after the previous match that satisfies `pred`; rejects on timeout or close. */
  waitFor(pred: (m: RawIrcMessage) => boolean, timeoutMs = 10_000): Promise<RawIrcMessage> {
    return this.scan(pred, timeoutMs, true);
  }

  /**
   * The first line received since connecting that satisfies `pred`, whether
   * it came before or after the last `waitFor` match (for replies whose order
   * the server does not fix); leaves `waitFor`'s position alone.
   */
  received(pred: (m: RawIrcMessage) => boolean, timeoutMs = 10_000): Promise<RawIrcMessage> {
    return this.scan(pred, timeoutMs, false);
  }

  private scan(pred: (m: RawIrcMessage) => boolean, timeoutMs: number, advance: boolean): Promise<RawIrcMessage> {
    let next = advance ? this.cursor : 0;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (advance) next = Math.max(next, this.cursor);
        while (next < this.lines.length) {
          const m = parseRawLine(this.lines[next++]!);
          if (advance) this.cursor = next;
          if (pred(m)) return finish(undefined, m);
        }
        if (this.ended) finish(new Error('connection closed'));
      };
      const finish = (err: Error | undefined, m?: RawIrcMessage): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(new Error(`RawIrcClient: ${err.message} before the awaited line; last lines:\n${this.lines.slice(-20).join('\n')}`));
        else resolve(m!);
      };
      const timer = setTimeout(() => finish(new Error(`nothing matched within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** QUIT, then closes; resolves once the socket is closed. Idempotent. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.send('QUIT :harness');
      this.sock.end();
      await Promise.race([new Promise((r) => this.sock.once('close', r)), sleep(1_000)]);
    }
    this.destroy();
  }

  destroy(): void {
    this.sock.destroy();
    this.ended = true;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

// ---------------------------------------------------------------------------
// ngIRCd

/**
 * ngIRCd 26 in the foreground: `ngircd -n -f FILE`. It drops to `nobody`
 * after reading the config (so no PID file in the 0700 temp dir); its log is
 * its stderr. Penalties, per-IP and join limits are off; DNS and ident off.
 */
export async function startNgircd(opts: IrcServerOptions = {}): Promise<IrcServer> {
  const name = opts.name ?? 'irc.local';
  checkDomain(name);
  const dir = await mkdtemp(path.join(opts.baseDir ?? os.tmpdir(), 'jabirc-ngircd-'));
  const port = opts.port ?? (await freePorts(1))[0];
  const configFile = path.join(dir, 'ngircd.conf');
  await mkdir(path.join(dir, 'conf.d'));
  await writeFile(
    configFile,
    `# Generated by test/harness/servers.ts
[Global]
	Name = ${name}
	Info = Jabirc test server
	AdminInfo1 = Jabirc tests
	AdminInfo2 = loopback
	AdminEMail = jabirc@localhost
	Listen = ${LOOPBACK}
	Ports = ${port}
	MotdPhrase = Jabirc test server
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = -1
	MaxNickLength = 30
	MaxPenaltyTime = 0
	MaxListSize = 1000
	PingTimeout = 120
	PongTimeout = 60
[Options]
	DNS = no
	Ident = no
	PAM = no
	RequireAuthPing = no
	OperCanUseMode = yes
	IncludeDir = ${path.join(dir, 'conf.d')}
`,
  );
  return startIrc('ngircd', ['-n', '-f', configFile], {
    name,
    port,
    dir,
    logFiles: [],
    timeoutMs: opts.startTimeoutMs ?? 20_000,
  });
}

async function startIrc(
  kind: IrcServer['kind'],
  args: string[],
  o: { name: string; port: number; dir: string; logFiles: string[]; timeoutMs: number },
): Promise<IrcServer> {
  const launch = async (attempt: StartAttempt): Promise<ServerProcess> => {
    const proc = attempt.spawn(kind, args, { cwd: o.dir, logFiles: o.logFiles });
    await waitForTcp(proc, LOOPBACK, o.port);
    await ircWelcome(proc, LOOPBACK, o.port);
    return proc;
  };
  const running = await startWithin(kind, o.timeoutMs, o.dir, launch);
  return {
    kind,
    host: LOOPBACK,
    port: o.port,
    name: o.name,
    ...runningHandle(running, o.dir, { label: kind, timeoutMs: o.timeoutMs, launch }),
  };
}

/** Registers a throwaway client and resolves on RPL_WELCOME (001), then quits. */
function ircWelcome(proc: ServerProcess, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const nick = `probe${randomBytes(3).toString('hex')}`;
    const sock = net.connect(port, host);
    let buf = '';
    const done = (err?: Error): void => {
      proc.child.off('exit', onExit);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onExit = (): void => done(new Error(`exited while a client registered (${proc.exitDescription()})`));
    proc.child.once('exit', onExit);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`NICK ${nick}\r\nUSER probe 0 * :harness probe\r\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const m = /^(?::\S+ )?(\S+)(?: (.*))?$/.exec(line);
        if (m?.[1] === 'PING') sock.write(`PONG ${m[2] ?? ''}\r\n`);
        if (m?.[1] === '001') {
          sock.write('QUIT :probe done\r\n');
          done();
          return;
        }
      }
    });
    sock.on('error', (err) => done(new Error(`probe client: ${err.message}`)));
    sock.on('close', () => done(new Error(`connection closed before 001; got:\n${buf}`)));
  });
}

// ---------------------------------------------------------------------------
// Processes

interface SpawnOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Files whose text `logs()` appends to the captured stdout/stderr. */
  logFiles: string[];
}

/** Bytes of stdout/stderr kept per server (the tail). */
const OUTPUT_CAP = 1 << 20;

/** Process groups still running, killed by the exit hook if a run dies without `stop()`. */
const liveGroups = new Map<number, string | undefined>();
let exitHookInstalled = false;

/**
 * Kills process group `pgid` (and removes `dir`, if given) if this process
 * exits before the returned function is called. Shared by every child the
 * harness and the dev setup start.
 */
export function killOnExit(pgid: number, dir?: string): () => void {
  installExitHook();
  liveGroups.set(pgid, dir);
  return () => liveGroups.delete(pgid);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pgid, dir] of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
}

class ServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private output = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private forget: () => void = () => undefined;

  constructor(
    readonly command: string,
    args: string[],
    private readonly opts: SpawnOptions,
  ) {
    // detached: own process group, so stop() reaches beam's helpers too.
    this.child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      if (this.output.length > OUTPUT_CAP) this.output = this.output.slice(-OUTPUT_CAP);
    };
    this.child.stdout?.on('data', capture);
    this.child.stderr?.on('data', capture);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        capture(Buffer.from(`[harness] spawn ${command} failed: ${err.message}\n`));
        this.exitInfo ??= { code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
    });
    if (this.child.pid !== undefined) this.forget = killOnExit(this.child.pid, opts.cwd);
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  exitDescription(): string {
    if (!this.exitInfo) return 'still running';
    const { code, signal } = this.exitInfo;
    return signal ? `killed by ${signal}` : `exit code ${code}`;
  }

  /** Captured stdout and stderr only (log files are shared between runs of one server). */
  outputLog(): string {
    return `--- ${this.command} stdout/stderr ---\n${this.output}`;
  }

  logs(): string {
    const parts = [this.outputLog()];
    for (const file of this.opts.logFiles) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = '(not written)';
      }
      parts.push(`--- ${file} ---\n${text.length > OUTPUT_CAP ? text.slice(-OUTPUT_CAP) : text}`);
    }
    return parts.join('\n');
  }

  /** TERM to the group, KILL after `graceMs`; resolves once no process of the group remains. */
  async stop(graceMs = 5_000): Promise<void> {
    const pgid = this.child.pid;
    if (pgid === undefined) return;
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
    if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
    await this.exited;
    this.forget();
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a short command to completion; output is stdout and stderr interleaved. */
function runCommand(
  command: string,
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n[harness] ${command} timed out after ${o.timeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n[harness] spawn ${command} failed: ${err.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// ---------------------------------------------------------------------------
// Ports and waiting

/** A tuple of `N` port numbers, so `const [a, b] = await freePorts(2)` is typed `number`. */
export type Ports<N extends number, Acc extends number[] = []> = Acc['length'] extends N ? Acc : Ports<N, [...Acc, number]>;

/**
 * Ports the kernel hands out for listeners on port 0, all held open together
 * so they differ. A small race remains (another process may take one before
 * the server binds); on loopback in tests that has not been seen to matter.
 */
export async function freePorts<N extends number>(n: N): Promise<Ports<N>> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, LOOPBACK, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port) as Ports<N>;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Polls until `host:port` accepts a TCP connection; fails at once if the server exits. */
async function waitForTcp(proc: ServerProcess, host: string, port: number): Promise<void> {
  for (;;) {
    if (proc.hasExited) throw new Error(`exited before port ${port} opened (${proc.exitDescription()})`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, host);
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
}

/**
 * One bounded start: `run` spawns through `attempt.spawn`, which refuses once
 * the deadline passed, so a late step can never start a server nobody stops.
 * On failure the spawned server is stopped, the dir removed, and the error
 * carries the server's log.
 */
async function startWithin(
  label: string,
  ms: number,
  dir: string,
  run: (attempt: StartAttempt) => Promise<ServerProcess>,
  o: { keepDir?: boolean } = {},
): Promise<ServerProcess> {
  const attempt = new StartAttempt();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      attempt.aborted = true;
      reject(new Error(`${label} did not become ready within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([run(attempt), timeout]);
  } catch (err) {
    attempt.aborted = true;
    const reason = err instanceof Error ? err.message : String(err);
    const logs = attempt.proc?.logs() ?? '(server not spawned)';
    await attempt.proc?.stop(1_000);
    if (!o.keepDir) await rm(dir, { recursive: true, force: true });
    throw new Error(`${label} failed to start: ${reason}\n${logs}`);
  } finally {
    clearTimeout(timer);
  }
}

class StartAttempt {
  aborted = false;
  proc: ServerProcess | undefined;

  spawn(command: string, args: string[], opts: SpawnOptions): ServerProcess {
    if (this.aborted) throw new Error('start aborted');
    this.proc = new ServerProcess(command, args, opts);
    return this.proc;
  }
}

// ---------------------------------------------------------------------------
// Small helpers

/** How a server is started again by `restart()`: the same launch step its first start used. */
interface Relaunch {
  label: string;
  timeoutMs: number;
  launch: (attempt: StartAttempt) => Promise<ServerProcess>;
}

/** The `dir`, `logs()`, `restart()` and idempotent `stop()` every server handle shares. */
function runningHandle(
  first: ServerProcess,
  dir: string,
  relaunch: Relaunch,
): { dir: string; logs(): string; restart(): Promise<void>; stop(): Promise<void> } {
  let proc = first;
  const earlier: ServerProcess[] = [];
  let stopped = false;
  return {
    dir,
    logs: () => [...earlier.map((p) => `${p.outputLog()}\n--- (restarted) ---`), proc.logs()].join('\n'),
    async restart() {
      if (stopped) throw new Error(`${relaunch.label}: restart() after stop()`);
      await proc.stop();
      earlier.push(proc);
      proc = await startWithin(`${relaunch.label} (restart)`, relaunch.timeoutMs, dir, relaunch.launch, { keepDir: true });
    },
    stop: once(async () => {
      stopped = true;
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** Domains and server names go into configs unquoted in places: keep them plain. */
function checkDomain(domain: string): void {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(domain)) {
    throw new Error(`harness: not a plain DNS name: ${JSON.stringify(domain)}`);
  }
}

function checkAccount(account: XmppAccount): void {
  if (!/^[a-z0-9._-]+$/.test(account.username)) {
    throw new Error(`harness: username must be lowercase [a-z0-9._-]: ${JSON.stringify(account.username)}`);
  }
  if (account.password === '' || /[\0\r\n]/.test(account.password)) {
    throw new Error('harness: password must be non-empty without NUL, CR or LF');
  }
}

/** A Lua double-quoted string literal. */
function luaString(s: string): string {
  if (/[\0-\x1f]/.test(s)) throw new Error(`harness: control character in ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
