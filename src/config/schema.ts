/**
 * The one configuration schema.
 *
 * Why: the operator's `config.toml` is the only place Jabirc reads settings from, and
 * a mistake in it must be caught before anything connects. This zod schema is the
 * single source of three things: the `Config` type used by the code, the validation
 * (strict objects, so an unknown key is an error that names it), and the option
 * reference in the README (rendered by `config/docs.ts`, checked by a test).
 *
 * Rules: every option has a `.describe()` text; defaults live here and nowhere else;
 * key names are snake_case as TOML users expect.
 */
import { z } from 'zod';
import { DEFAULT_PACER_OPTIONS } from '../core/pacing.js';
import { MAX_PREFIX_LENGTH, parseIpv6Prefix } from '../adapters/source-address.js';
import { parseListen } from './listen.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The schemas, built afresh for each load (issue 11 §3, base RSS): nothing reads them once
 * the configuration is validated, and a reload or `config-docs` builds them again, so
 * neither the schema objects nor the parsers zod compiles for them stay reachable in a
 * running gateway. zod stays the one validator; only its objects are not kept.
 */
export function configSchemas() {
  /** A bare domain JID as used for an XMPP component (RFC 7622 §3.2), e.g. `irc.example.org`. */
  const domainPart = z
    .string()
    .min(1)
    .max(1023)
    .regex(
      /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
      'must be a domain name such as irc.example.org (no localpart, no resource)',
    );

  /** An IRC network name as it appears in addresses: a host name (`irc.libera.chat`, `localhost`). */
  const networkName = domainPart;

  const bareJid = z
    .string()
    .regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID such as admin@example.org');

  const componentSchema = z
    .strictObject({
      jid: domainPart.describe(
        'The component domain declared on the XMPP server, e.g. `irc.example.org`. Every gateway address ends in it.',
      ),
      secret: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Shared secret of the component (XEP-0114). May be left out and given as the environment variable `JABIRC_COMPONENT_SECRET` instead.',
        ),
      host: z.string().min(1).default('127.0.0.1').describe('Host of the XMPP server\'s component listener.'),
      port: z.number().int().min(1).max(65535).default(5347).describe('Port of the XMPP server\'s component listener.'),
      connect_timeout_ms: z
        .number()
        .int()
        .min(100)
        .max(600_000)
        .default(10_000)
        .describe('How long the first connection and handshake may take before start-up fails.'),
      reconnect_max_delay_ms: z
        .number()
        .int()
        .min(100)
        .max(3_600_000)
        .default(60_000)
        .describe('Cap of the jittered exponential back-off used when an established component link drops.'),
    })
    .describe('The link to the XMPP server (XEP-0114).');

  /** AES-256 key for stored secrets: 32 bytes in canonical standard base64 (44 characters, `=` padded). */
  const secretKeySchema = z
    .string()
    .refine(
      (s) => /^[A-Za-z0-9+/]{43}=$/.test(s) && Buffer.from(s, 'base64').toString('base64') === s,
      'must be 32 bytes in base64 (44 characters), e.g. the output of `openssl rand -base64 32`',
    );

  const databaseSchema = z
    .strictObject({
      path: z
        .string()
        .min(1)
        .default('data/jabirc.sqlite')
        .describe('SQLite database file; its directory is created when missing. Relative paths are relative to the working directory.'),
      secret_key: secretKeySchema
        .optional()
        .describe(
          'Key (32 bytes in base64, e.g. from `openssl rand -base64 32`) that encrypts stored IRC passwords and channel keys (AES-256-GCM). Better given as the environment variable `JABIRC_SECRET_KEY`, which wins over the file. When neither is set, a key is generated once into the file `<path>.key` beside the database (mode 0600): back it up together with the database, since the passwords cannot be read without it.',
        ),
    })
    .describe('Where registrations, settings and history are stored.');

  const logSchema = z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info').describe('Log level: fatal, error, warn, info, debug, trace or silent. trace logs wire traffic (secrets redacted).'),
    })
    .describe('Logging (pino JSON lines on standard output).');

  const accessSchema = z
    .strictObject({
      domains: z
        .array(domainPart)
        .default([])
        .describe('XMPP domains whose users may use the gateway. Everybody else gets a `forbidden` error. Empty means nobody.'),
      admins: z.array(bareJid).default([]).describe('Bare JIDs of gateway administrators.'),
    })
    .describe('Who may use the gateway.');

  /**
   * Flood control of the lines we send (core/pacing.ts): a burst, then one line per
   * interval. Per-network tables override single keys of the global one.
   */
  const floodKeys = {
    enabled: z
      .boolean()
      .describe('Pace the lines sent on each IRC connection. Turn off only for a network you run or where the gateway is exempt from flood limits.'),
    burst: z.number().int().min(1).max(1000).describe('Lines that may be sent back to back after a quiet period.'),
    interval_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .describe('Time for one line of the burst to come back, in ms: the sustained rate is one line per interval.'),
  };

  const floodSchema = z
    .strictObject({
      enabled: floodKeys.enabled.default(true),
      burst: floodKeys.burst.default(DEFAULT_PACER_OPTIONS.burst),
      interval_ms: floodKeys.interval_ms.default(DEFAULT_PACER_OPTIONS.intervalMs),
    })
    .describe('Flood control of the lines the gateway sends on each IRC connection (RFC 1459 §8.10).');

  const networkSchema = z.strictObject({
    host: z.string().min(1).optional().describe('Host to connect to; defaults to the network name.'),
    port: z.number().int().min(1).max(65535).optional().describe('Port; defaults to `irc.port`.'),
    tls: z.boolean().optional().describe('Use TLS; defaults to `irc.tls`.'),
    allow_private_addresses: z
      .boolean()
      .optional()
      .describe('Allow this network\'s host to resolve to loopback, private or link-local addresses; defaults to `irc.allow_private_addresses`.'),
    user_ports: z
      .array(z.number().int().min(1).max(65535))
      .max(32)
      .optional()
      .describe('Ports users may choose for this network in their settings, besides `port`. Default none: a port override is ignored, so the gateway cannot be used to probe other ports.'),
    flood: z
      .strictObject({
        enabled: floodKeys.enabled.optional(),
        burst: floodKeys.burst.optional(),
        interval_ms: floodKeys.interval_ms.optional(),
      })
      .optional()
      .describe('Flood control for this network; each key left out comes from `[irc.flood]`.'),
    ipv6_prefix: z
      .string()
      .refine((s) => parseIpv6Prefix(s) !== undefined, `must be an IPv6 prefix such as "2001:db8:1:2::/64" (length 1 to ${MAX_PREFIX_LENGTH})`)
      .optional()
      .describe(
        'An IPv6 prefix routed to this host, e.g. `"2001:db8:1:2::/64"`: each user\'s connections to this network then come from their own stable address in it (a hash of the bare JID), so the network can ban one user. Only the network\'s IPv6 addresses are dialled. The host must accept the addresses (`ip -6 route add local PREFIX dev lo`) and let Jabirc bind them (`sysctl net.ipv6.ip_nonlocal_bind=1`).',
      ),
  });

  const ircSchema = z
    .strictObject({
      networks: z
        .record(networkName, networkSchema)
        .default({})
        .describe(
          'IRC networks users may reach, as tables keyed by network name: `[irc.networks."irc.libera.chat"]` with optional `host`, `port`, `tls`, `flood`, `ipv6_prefix`.',
        ),
      allow_unlisted: z
        .boolean()
        .default(false)
        .describe('Also allow networks that are not listed in `irc.networks` (connecting to the network name as host).'),
      allow_private_addresses: z
        .boolean()
        .default(false)
        .describe('Allow IRC hosts to resolve to loopback, private or link-local addresses (each listed network may say otherwise). Off by default so the gateway cannot be used to reach internal services. With `allow_unlisted` too, any user can reach any internal host: the gateway warns at start.'),
      fixed_network: networkName
        .optional()
        .describe('Fixed-network mode: the one network of this gateway. Rooms are then `#chan@gw` and users `nick@gw`.'),
      port: z.number().int().min(1).max(65535).default(6697).describe('Default IRC port.'),
      tls: z.boolean().default(true).describe('Connect with TLS by default.'),
      max_connections_per_user: z.number().int().min(1).default(10).describe('How many IRC networks one XMPP user may be connected to at once.'),
      max_channels_per_user: z.number().int().min(1).default(50).describe('How many channels one XMPP user may have joined at once, over all networks.'),
      connect_timeout_ms: z
        .number()
        .int()
        .min(1000)
        .default(30_000)
        .describe('How long connecting to an IRC server and registering may take before joins fail with an error; it runs from the dial, not from a wait for `parallel_connects`.'),
      parallel_connects: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(200)
        .describe('How many IRC connections may be between dialling and registration at once, over all networks; more wait their turn, in order (a burst of joins or a restart of thousands of persistent channels then neither times out nor stalls the gateway).'),
      reconnect_per_second: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(10)
        .describe('After a network comes back from an outage (one probe connection per network retries it), how many lost sessions reconnect per second.'),
      flood: floodSchema.default(() => floodSchema.parse({})),
    })
    .describe('Which IRC networks may be reached, and how.');

  const listenAddress = z
    .string()
    .refine((s) => parseListen(s) !== undefined, 'must be "host:port", "[IPv6]:port" or a port number');

  const metricsSchema = z
    .strictObject({
      listen: listenAddress
        .optional()
        .describe(
          'Address of the HTTP listener for `/metrics` (Prometheus), `/healthz` and `/readyz`: `"host:port"`, or a port alone for loopback (`127.0.0.1`). Off when not set. Anyone who reaches it sees the gateway\'s counters: keep it on loopback or a private network.',
        ),
    })
    .describe('Metrics and health checks over HTTP.');

  const identdSchema = z
    .strictObject({
      listen: listenAddress
        .optional()
        .describe(
          'Address of the ident server (RFC 1413): `"host:port"`, or a port alone for every address. IRC servers ask on port 113, which needs `CAP_NET_BIND_SERVICE` (see contrib/jabirc.service). Off when not set.',
        ),
      ident: z
        .enum(['hash', 'localpart'])
        .default('hash')
        .describe(
          'What identd answers for a user\'s connection: `hash`, 10 hex digits of SHA-256 of the bare JID (stable, distinct per user); or `localpart`, the JID\'s localpart when it is a valid ident (letters, digits, `-`, `_`, `.`, at most 10, starting with a letter or digit), else the hash. Localparts are not unique across domains.',
        ),
    })
    .describe('The ident server, so IRC networks can tell the gateway\'s users apart (and ban one of them).');
  const historySchema = z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('Archive channel messages and serve them by MAM (XEP-0313) and as history on join. Off: nothing is stored and rooms advertise no archive.'),
      retention_days: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .default(30)
        .describe('Archived messages older than this many days are deleted (in the background, in small chunks).'),
      max_messages_per_channel: z
        .number()
        .int()
        .min(100)
        .max(100_000_000)
        .default(100_000)
        .describe(
          'At most this many messages are kept per channel; beyond it the oldest go first. The default holds 30 days of a channel with over 3,000 messages a day (about 17 MB per full channel) and bounds what a flood can fill.',
        ),
      on_join: z
        .number()
        .int()
        .min(0)
        .max(250)
        .default(20)
        .describe('Messages of discussion history sent on joining a room when the client asks for no particular amount (XEP-0045 §7.2.14); 0 sends none unless asked.'),
    })
    .describe('Channel history: what the gateway archives and for how long (see "History" above).');

  const configSchema = z
    .strictObject({
      component: componentSchema,
      database: databaseSchema.default({ path: 'data/jabirc.sqlite' }),
      log: logSchema.default({ level: 'info' }),
      access: accessSchema.default({ domains: [], admins: [] }),
      irc: ircSchema.default(() => ircSchema.parse({})),
      metrics: metricsSchema.default({}),
      identd: identdSchema.default({ ident: 'hash' }),
      history: historySchema.default(() => historySchema.parse({})),
    })
    .superRefine((cfg, ctx) => {
      const fixed = cfg.irc.fixed_network;
      if (fixed !== undefined && !cfg.irc.allow_unlisted && !(fixed in cfg.irc.networks)) {
        ctx.addIssue({
          code: 'custom',
          path: ['irc', 'fixed_network'],
          message: `network "${fixed}" must be listed in [irc.networks] (or set irc.allow_unlisted)`,
        });
      }
    });

  return { config: configSchema, secretKey: secretKeySchema, component: componentSchema };
}

type Schemas = ReturnType<typeof configSchemas>;

/** The validated configuration; `component.secret` is always filled after loading. */
export type Config = z.infer<Schemas['config']> & {
  component: z.infer<Schemas['component']> & { secret: string };
};
export type LogLevel = (typeof LOG_LEVELS)[number];
