import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseIpv6Prefix, sourceAddressFor } from '../../../src/adapters/source-address.js';

const inPrefix = (address: string, prefix: string): boolean => ipaddr.IPv6.parse(address).match(ipaddr.IPv6.parseCIDR(prefix));

describe('sourceAddressFor', () => {
  it.each(['2001:db8:1:2::/64', '2001:db8::/48', 'fd00:6a62::/96', '2001:db8:1:2:3:4:5:0/112'])(
    'gives each user a stable address of their own inside %s',
    (prefix) => {
      const users = Array.from({ length: 50 }, (_, i) => `user${i}@example.org`);
      const addresses = users.map((u) => sourceAddressFor(prefix, u));
      for (const a of addresses) expect(inPrefix(a, prefix)).toBe(true);
      expect(new Set(addresses).size).toBe(users.length);
      expect(users.map((u) => sourceAddressFor(prefix, u))).toEqual(addresses);
      expect(sourceAddressFor(prefix, 'USER0@Example.org')).toBe(addresses[0]);
    },
  );

  it('stays inside even the longest prefix, where users may share an address (a hash in 256 places)', () => {
    for (let i = 0; i < 50; i++) expect(inPrefix(sourceAddressFor('2001:db8::ff00/120', `u${i}@example.org`), '2001:db8::ff00/120')).toBe(true);
  });

  it('keeps the prefix bits as given, even when the prefix has host bits set', () => {
    const a = sourceAddressFor('2001:db8:1:2:ffff::/64', 'alice@example.org');
    expect(a.startsWith('2001:db8:1:2:')).toBe(true);
  });

  it('gives a user unrelated addresses in two prefixes', () => {
    const a = sourceAddressFor('2001:db8:1::/64', 'alice@example.org').split(':').slice(4).join(':');
    const b = sourceAddressFor('2001:db8:2::/64', 'alice@example.org').split(':').slice(4).join(':');
    expect(a).not.toBe(b);
  });

  it.each(['2001:db8::/121', '2001:db8::/128', '2001:db8::/0', '192.0.2.0/24', '2001:db8::', 'nope'])('refuses %s as a prefix', (p) => {
    expect(parseIpv6Prefix(p)).toBeUndefined();
    expect(() => sourceAddressFor(p, 'a@b.c')).toThrow(RangeError);
  });
});
