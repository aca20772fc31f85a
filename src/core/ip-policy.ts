/**
 * Which IP addresses the gateway refuses to dial on a user's behalf.
 *
 * Why: users choose the IRC network, and unless the operator allows it, a user
 * must not be able to make the gateway open connections into the operator's own
 * network (SSRF): loopback services, RFC 1918 hosts, cloud metadata at
 * 169.254.169.254, and so on. The IRC adapter resolves the host name, checks
 * every address with `isPrivateAddress`, and then dials the checked address
 * itself, so a second DNS answer cannot swap in another one (DNS rebinding).
 *
 * Rules kept:
 * - Input is the textual form that `dns.lookup` returns: dotted-quad IPv4, or
 *   IPv6 (RFC 4291 §2.2, any case, `::` compression, a dotted-quad tail, an
 *   optional `%zone`). Anything else is treated as refused (fail closed).
 * - IPv4 forms other than four decimal parts (`0177.0.0.1`, `2130706433`) are
 *   not accepted: resolvers return canonical dotted quads, and refusing the
 *   rest costs nothing.
 * - An IPv6 address that carries an IPv4 address (mapped, NAT64, 6to4, Teredo)
 *   is judged by the IPv4 address it carries, so `::ffff:127.0.0.1` is as
 *   private as `127.0.0.1`, and `64:ff9b::8.8.8.8` is as public as `8.8.8.8`.
 *
 * IPv4 ranges refused (IANA IPv4 Special-Purpose Address Registry, RFC 6890):
 *
 * | range              | what                                     | source          |
 * | ------------------ | ---------------------------------------- | --------------- |
 * | 0.0.0.0/8          | "this network", unspecified              | RFC 1122 §3.2.1.3 |
 * | 10.0.0.0/8         | private                                  | RFC 1918        |
 * | 100.64.0.0/10      | shared address space (CGNAT)             | RFC 6598        |
 * | 127.0.0.0/8        | loopback                                 | RFC 1122        |
 * | 169.254.0.0/16     | link-local (cloud metadata lives here)   | RFC 3927        |
 * | 172.16.0.0/12      | private                                  | RFC 1918        |
 * | 192.0.0.0/24       | IETF protocol assignments                | RFC 6890        |
 * | 192.0.2.0/24       | documentation (TEST-NET-1)               | RFC 5737        |
 * | 192.168.0.0/16     | private                                  | RFC 1918        |
 * | 198.18.0.0/15      | benchmarking                             | RFC 2544        |
 * | 198.51.100.0/24    | documentation (TEST-NET-2)               | RFC 5737        |
 * | 203.0.113.0/24     | documentation (TEST-NET-3)               | RFC 5737        |
 * | 224.0.0.0/4        | multicast                                | RFC 5771        |
 * | 240.0.0.0/4        | reserved, and 255.255.255.255 broadcast  | RFC 1112, RFC 919 |
 *
 * IPv6 ranges (IANA IPv6 Special-Purpose Address Registry):
 *
 * | range              | what                                     | judged as                 |
 * | ------------------ | ---------------------------------------- | ------------------------- |
 * | ::/128             | unspecified                              | refused                   |
 * | ::1/128            | loopback                                 | refused                   |
 * | ::ffff:0:0/96      | IPv4-mapped (RFC 4291 §2.5.5.2)          | the IPv4 in the low 32 bits |
 * | ::/96 (the rest)   | IPv4-compatible, deprecated (§2.5.5.1)   | refused                   |
 * | 64:ff9b::/96       | NAT64 well-known prefix (RFC 6052 §2.1)  | the IPv4 in the low 32 bits |
 * | 64:ff9b:1::/48     | NAT64 local-use prefix (RFC 8215)        | refused                   |
 * | 100::/64           | discard-only (RFC 6666)                  | refused                   |
 * | 2001::/32          | Teredo (RFC 4380 §4)                     | the client IPv4 (low 32 bits, inverted) |
 * | 2001:db8::/32      | documentation (RFC 3849)                 | refused                   |
 * | 2002::/16          | 6to4 (RFC 3056 §2)                       | the IPv4 in bits 16–47    |
 * | fc00::/7           | unique local (RFC 4193)                  | refused                   |
 * | fe80::/10          | link-local (RFC 4291 §2.5.6)             | refused                   |
 * | fec0::/10          | site-local, deprecated (RFC 3879)        | refused                   |
 * | ff00::/8           | multicast (RFC 4291 §2.7)                | refused                   |
 *
 *     isPrivateAddress('127.0.0.1')          === true
 *     isPrivateAddress('::ffff:7f00:1')      === true   // 127.0.0.1, mapped
 *     isPrivateAddress('64:ff9b::10.0.0.1')  === true   // 10.0.0.1 through NAT64
 *     isPrivateAddress('64:ff9b::808:808')   === false  // 8.8.8.8 through NAT64
 *     isPrivateAddress('irc.libera.chat')    === true   // not an address: fail closed
 */

/** Why an address is refused: the range it falls in, for logs and the user's error text. */
export interface SpecialRange {
  /** CIDR of the matched range, e.g. `127.0.0.0/8`; `invalid` when the text is no address. */
  range: string;
  /** What the range is, e.g. `loopback`. */
  what: string;
}

interface V4Range {
  base: number;
  bits: number;
  range: string;
  what: string;
}

function v4Range(cidr: string, what: string): V4Range {
  const [addr = '', bits = ''] = cidr.split('/');
  const base = parseIpv4(addr);
  if (base === null) throw new Error(`bad range ${cidr}`);
  return { base, bits: Number(bits), range: cidr, what };
}

const V4_RANGES: readonly V4Range[] = [
  v4Range('0.0.0.0/8', 'unspecified ("this network")'),
  v4Range('10.0.0.0/8', 'private'),
  v4Range('100.64.0.0/10', 'shared address space (CGNAT)'),
  v4Range('127.0.0.0/8', 'loopback'),
  v4Range('169.254.0.0/16', 'link-local'),
  v4Range('172.16.0.0/12', 'private'),
  v4Range('192.0.0.0/24', 'IETF protocol assignments'),
  v4Range('192.0.2.0/24', 'documentation'),
  v4Range('192.168.0.0/16', 'private'),
  v4Range('198.18.0.0/15', 'benchmarking'),
  v4Range('198.51.100.0/24', 'documentation'),
  v4Range('203.0.113.0/24', 'documentation'),
  v4Range('224.0.0.0/4', 'multicast'),
  v4Range('240.0.0.0/4', 'reserved or broadcast'),
];

/** 32-bit unsigned value of a dotted quad, or null. */
function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function inV4Range(addr: number, r: V4Range): boolean {
  const size = 2 ** (32 - r.bits);
  return Math.floor(addr / size) === Math.floor(r.base / size);
}

function classifyV4(addr: number): SpecialRange | null {
  for (const r of V4_RANGES) if (inV4Range(addr, r)) return { range: r.range, what: r.what };
  return null;
}

/** The eight 16-bit groups of an IPv6 address, or null (RFC 4291 §2.2 text forms). */
function parseIpv6(text: string): number[] | null {
  const s = text.replace(/%[^%]+$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: number[] = [];
  let head = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null || lastColon < 0) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    // Keep the colon ending the hex part: `::1.2.3.4` → `::`, `a::b:1.2.3.4` → `a::b:`.
    head = s.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const want = 8 - tail.length;
  const halves = head.split('::');
  if (halves.length > 2) return null;
  if (halves.length === 2) {
    const left = parseGroups(halves[0] ?? '');
    const right = parseGroups(halves[1] ?? '');
    if (left === null || right === null || left.length + right.length >= want) return null;
    return [...left, ...new Array<number>(want - left.length - right.length).fill(0), ...right, ...tail];
  }
  const groups = parseGroups(head);
  if (groups === null || groups.length !== want) return null;
  return [...groups, ...tail];
}

/** Does `g` (8 groups) start with the `bits`-bit prefix `prefix` (given as groups)? */
function hasPrefix(g: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 16 < bits; i++) {
    const take = Math.min(16, bits - i * 16);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((g[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4From(hi: number | undefined, lo: number | undefined): number {
  return (hi ?? 0) * 65536 + (lo ?? 0);
}

/** An IPv6 range refused outright. */
interface V6Range {
  prefix: number[];
  bits: number;
  range: string;
  what: string;
}

const V6_REFUSED: readonly V6Range[] = [
  { prefix: [0x64, 0xff9b, 0x1], bits: 48, range: '64:ff9b:1::/48', what: 'NAT64 local-use' },
  { prefix: [0x100, 0, 0, 0], bits: 64, range: '100::/64', what: 'discard-only' },
  { prefix: [0x2001, 0xdb8], bits: 32, range: '2001:db8::/32', what: 'documentation' },
  { prefix: [0xfc00], bits: 7, range: 'fc00::/7', what: 'unique local' },
  { prefix: [0xfe80], bits: 10, range: 'fe80::/10', what: 'link-local' },
  { prefix: [0xfec0], bits: 10, range: 'fec0::/10', what: 'site-local' },
  { prefix: [0xff00], bits: 8, range: 'ff00::/8', what: 'multicast' },
];

/** An IPv6 range judged by the IPv4 address it carries. */
function embeddedV4(g: readonly number[]): { v4: number; via: string } | null {
  if (hasPrefix(g, [0, 0, 0, 0, 0, 0xffff], 96)) return { v4: v4From(g[6], g[7]), via: 'IPv4-mapped' };
  if (hasPrefix(g, [0x64, 0xff9b, 0, 0, 0, 0], 96)) return { v4: v4From(g[6], g[7]), via: 'NAT64' };
  if (hasPrefix(g, [0x2002], 16)) return { v4: v4From(g[1], g[2]), via: '6to4' };
  if (hasPrefix(g, [0x2001, 0], 32)) return { v4: v4From((g[6] ?? 0) ^ 0xffff, (g[7] ?? 0) ^ 0xffff), via: 'Teredo' };
  return null;
}

function classifyV6(g: readonly number[]): SpecialRange | null {
  if (g.every((x) => x === 0)) return { range: '::/128', what: 'unspecified' };
  if (hasPrefix(g, [0, 0, 0, 0, 0, 0, 0, 1], 128)) return { range: '::1/128', what: 'loopback' };
  const carried = embeddedV4(g);
  if (carried !== null) {
    const inner = classifyV4(carried.v4);
    return inner === null ? null : { range: inner.range, what: `${inner.what}, ${carried.via}` };
  }
  if (hasPrefix(g, [0, 0, 0, 0, 0, 0], 96)) return { range: '::/96', what: 'IPv4-compatible (deprecated)' };
  for (const r of V6_REFUSED) if (hasPrefix(g, r.prefix, r.bits)) return { range: r.range, what: r.what };
  return null;
}

/**
 * The special-purpose range `ip` falls in, or null for an ordinary public
 * address. Text that is no IP address yields `{ range: 'invalid', … }`.
 */
export function classifyAddress(ip: string): SpecialRange | null {
  const v4 = parseIpv4(ip);
  if (v4 !== null) return classifyV4(v4);
  if (ip.includes(':')) {
    const v6 = parseIpv6(ip);
    if (v6 !== null) return classifyV6(v6);
  }
  return { range: 'invalid', what: 'not an IP address' };
}

/** True when the gateway must not dial `ip` for a user unless the operator allows private addresses. */
export function isPrivateAddress(ip: string): boolean {
  return classifyAddress(ip) !== null;
}
