/**
 * Which source address a user's connections to a network bind (`ipv6_prefix`).
 *
 * Why here: like the flood settings (flood.ts), the IRC adapter asks this per
 * connection by network name, so the core's connect parameters need not carry it; the
 * address itself is derived in core/source-address.ts.
 */
import { sourceAddressFor } from '../adapters/source-address.js';
import type { Config } from './schema.js';

/** The bare JID's address in the network's `ipv6_prefix`, or undefined when the network has none. */
export function sourceAddressForNetwork(irc: Config['irc'], network: string, bareJid: string): string | undefined {
  const prefix = irc.networks[network]?.ipv6_prefix;
  return prefix === undefined ? undefined : sourceAddressFor(prefix, bareJid);
}
