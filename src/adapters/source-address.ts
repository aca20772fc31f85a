/**
 * Per-user source addresses: a stable IPv6 address for each bare JID within a
 * network's `ipv6_prefix`, so the IRC network sees each user come from their own
 * address and can ban one of them (issue 12 §4).
 *
 * Rules: the host bits (those after the prefix length) are the first bits of
 * SHA-256 of the bare JID, lower-cased, keyed by the prefix so two networks give a user
 * unrelated addresses; the prefix bits are kept as given. An all-zero host part (the
 * subnet-router anycast address, RFC 4291 §2.6.1) becomes …1. Two users may share
 * an address only by a hash collision: negligible in a /64, likely among many users in
 * a /120, the longest prefix accepted.
 *
 *     sourceAddressFor('2001:db8:1:2::/64', 'alice@example.org') → '2001:db8:1:2:xxxx:xxxx:xxxx:xxxx'
 *     (the same string on every call, every connection, every restart)
 */
import { createHash } from 'node:crypto';
import { cjsRequire } from '../cjs-require.js';

const ipaddr = cjsRequire<typeof import('ipaddr.js')>('ipaddr.js');

/** The longest prefix we accept: at least 2^8 addresses to spread users over. */
export const MAX_PREFIX_LENGTH = 120;

/** Parses `addr/len`; undefined unless it is IPv6 with 1 ≤ len ≤ MAX_PREFIX_LENGTH. */
export function parseIpv6Prefix(text: string): { bytes: number[]; length: number } | undefined {
  try {
    const [addr, length] = ipaddr.IPv6.parseCIDR(text);
    if (length < 1 || length > MAX_PREFIX_LENGTH) return undefined;
    return { bytes: addr.toByteArray(), length };
  } catch {
    return undefined;
  }
}

export function sourceAddressFor(prefix: string, bareJid: string): string {
  const parsed = parseIpv6Prefix(prefix);
  if (parsed === undefined) throw new RangeError(`not an IPv6 prefix of length 1–${MAX_PREFIX_LENGTH}: ${prefix}`);
  const { bytes, length } = parsed;
  const hash = createHash('sha256').update(`${prefix}\n${bareJid.toLowerCase()}`).digest();
  const out = bytes.slice();
  let hostZero = true;
  for (let bit = length; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const hashBit = hash[(bit - length) >> 3]! & (0x80 >> ((bit - length) & 7));
    out[byte] = hashBit ? out[byte]! | mask : out[byte]! & ~mask;
    if (hashBit) hostZero = false;
  }
  if (hostZero) out[15] = out[15]! | 1;
  return ipaddr.fromByteArray(out).toString();
}
