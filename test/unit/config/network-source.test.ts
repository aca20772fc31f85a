import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { sourceAddressForNetwork } from '../../../src/config/network-source.js';
import { sourceAddressFor } from '../../../src/adapters/source-address.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s"\n';

describe('sourceAddressForNetwork', () => {
  const irc = parseConfig(`${MIN}[irc.networks."v6.example"]\nipv6_prefix = "2001:db8:1:2::/64"\n[irc.networks."v4.example"]\n`, 'f').irc;

  it('derives the address from the network’s prefix, and none without one', () => {
    expect(sourceAddressForNetwork(irc, 'v6.example', 'a@b.c')).toBe(sourceAddressFor('2001:db8:1:2::/64', 'a@b.c'));
    expect(sourceAddressForNetwork(irc, 'v4.example', 'a@b.c')).toBeUndefined();
    expect(sourceAddressForNetwork(irc, 'unlisted.example', 'a@b.c')).toBeUndefined();
  });

  it.each(['192.0.2.0/24', '2001:db8::/121', '2001:db8::'])('refuses ipv6_prefix = %j naming the key', (p) => {
    expect(() => parseConfig(`${MIN}[irc.networks."n.example"]\nipv6_prefix = "${p}"\n`, 'f')).toThrow('"irc.networks."n.example".ipv6_prefix": must be an IPv6 prefix');
  });
});
