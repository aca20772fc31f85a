/**
 * Which flood control applies to a network's connections.
 *
 * Why: `[irc.flood]` sets the gateway-wide pacing and `[irc.networks."x".flood]` may
 * override any of its keys for one network (an operator's own network, or one that
 * exempts the gateway). The IRC adapter asks this per connection, by network name, so
 * the core's connect parameters need not carry it.
 *
 * Rules: each key of a network's table wins over the global key of the same name; a
 * network that is not listed (`irc.allow_unlisted`) gets the global table; `enabled =
 * false` (after that merge) means no pacing at all, whatever `burst` and `interval_ms`
 * say.
 */
import type { PacerOptions } from '../core/pacing.js';
import type { Config } from './schema.js';

/** The pacing for `network`'s connections, or null when they are not paced. */
export function floodForNetwork(irc: Config['irc'], network: string): PacerOptions | null {
  const own = irc.networks[network]?.flood;
  const enabled = own?.enabled ?? irc.flood.enabled;
  if (!enabled) return null;
  return { burst: own?.burst ?? irc.flood.burst, intervalMs: own?.interval_ms ?? irc.flood.interval_ms };
}
