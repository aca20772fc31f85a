/**
 * Where and how users reach a network, from the operator's configuration: what the core
 * gets as `NetworkSettings` (src/core/bridge/context.ts).
 *
 * Rules (issue 8 §5): a network not listed is reachable only with `irc.allow_unlisted`,
 * and then only on `irc.port`, and at a private address only when the operator also set
 * `irc.allow_private_addresses` (both off by default; having both on is what a test bed or
 * a benchmark wants, and the gateway warns at start: `unlistedPrivateWarning`); a listed one
 * may resolve to a private address when it, or `irc.allow_private_addresses`, says so; a
 * user's port setting is honoured only when the network lists it in `user_ports`.
 */
import type { NetworkSettings } from '../core/bridge/index.js';
import type { Config } from './schema.js';

/** Where and how to reach a network, or undefined when users may not reach it. */
export function networkSettings(config: Config, name: string): NetworkSettings | undefined {
  const listed = config.irc.networks[name];
  if (!listed && !config.irc.allow_unlisted) return undefined;
  return {
    host: listed?.host ?? name,
    port: listed?.port ?? config.irc.port,
    tls: listed?.tls ?? config.irc.tls,
    allowPrivateAddresses: listed?.allow_private_addresses ?? config.irc.allow_private_addresses,
    userPorts: listed?.user_ports ?? [],
  };
}

/** The warning to log at start when any user may reach any internal address, else undefined. */
export function unlistedPrivateWarning(config: Config): string | undefined {
  if (!config.irc.allow_unlisted || !config.irc.allow_private_addresses) return undefined;
  return 'irc.allow_unlisted and irc.allow_private_addresses are both on: any user can make the gateway connect to any host and port it can reach on its own networks (fine for a test bed, not for a public gateway)';
}
