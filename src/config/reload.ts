/**
 * What a configuration reload (SIGHUP) may change in the running gateway.
 *
 * Why: `systemctl reload` must not drop every IRC connection. Some settings are read
 * afresh each time they are used (a network's host and port at the next connect, its
 * flood control, the admins, the per-user limits and timeouts, which the core reads
 * through the running configuration) and the allowed domains (handed to the core by
 * `GatewayCore.setAllowedDomains`) and the log level (handed to the logger, which every
 * child logger follows: log.ts); those change live. The rest were handed to long-lived
 * objects at start (the database, the component link, the listeners) and need a
 * restart: they keep their old value and are named in one warning.
 *
 * Rules: keys are compared leaf by leaf as dotted paths; a key under a LIVE prefix is
 * live; values are never logged, only key names (the secrets are keys too).
 */
import type { Config } from './schema.js';

/** Keys (and every key below them) applied on reload. */
export const LIVE_KEYS = [
  'irc.networks',
  'irc.flood',
  'irc.allow_unlisted',
  'irc.max_connections_per_user',
  'irc.max_channels_per_user',
  'irc.connect_timeout_ms',
  'irc.reconnect_per_second',
  'access.admins',
  'access.domains',
  'log.level',
  'identd',
  'metrics.listen',
] as const;

function leaves(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    // An empty table is a leaf, so adding its first key or dropping its last shows.
    if (entries.length === 0) out.set(path, '{}');
    for (const [k, v] of entries) leaves(v, path ? `${path}.${k}` : k, out);
    return;
  }
  out.set(path, JSON.stringify(value));
}

const isLive = (key: string): boolean => LIVE_KEYS.some((p) => key === p || key.startsWith(`${p}.`));

/** The keys that differ, split into those applied live and those that need a restart. */
export function diffConfig(running: Config, next: Config): { live: string[]; restart: string[] } {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(running, '', a);
  leaves(next, '', b);
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
  return { live: changed.filter(isLive), restart: changed.filter((k) => !isLive(k)) };
}

/** Writes the live keys of `next` into `running`, in place: closures that read `running` see them. */
export function applyLive(running: Config, next: Config): void {
  running.irc.networks = next.irc.networks;
  running.irc.flood = next.irc.flood;
  running.irc.allow_unlisted = next.irc.allow_unlisted;
  running.irc.max_connections_per_user = next.irc.max_connections_per_user;
  running.irc.max_channels_per_user = next.irc.max_channels_per_user;
  running.irc.connect_timeout_ms = next.irc.connect_timeout_ms;
  running.irc.reconnect_per_second = next.irc.reconnect_per_second;
  running.access.admins = next.access.admins;
  running.access.domains = next.access.domains;
  running.log.level = next.log.level;
  // Listeners are restarted by the caller (main.ts) from these.
  running.identd = next.identd;
  running.metrics = next.metrics;
}
