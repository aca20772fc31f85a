import { describe, expect, it } from 'vitest';
import { classifyAddress, isPrivateAddress } from '../../../src/core/ip-policy.js';

describe('isPrivateAddress', () => {
  it.each<[string, string | null]>([
    // IPv4: the special ranges, at their edges, and the public addresses just outside them.
    ['0.0.0.0', '0.0.0.0/8'],
    ['0.255.255.255', '0.0.0.0/8'],
    ['1.0.0.0', null],
    ['10.0.0.1', '10.0.0.0/8'],
    ['10.255.255.255', '10.0.0.0/8'],
    ['11.0.0.0', null],
    ['100.63.255.255', null],
    ['100.64.0.0', '100.64.0.0/10'],
    ['100.127.255.255', '100.64.0.0/10'],
    ['100.128.0.0', null],
    ['127.0.0.1', '127.0.0.0/8'],
    ['127.255.255.254', '127.0.0.0/8'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['169.255.0.1', null],
    ['172.15.255.255', null],
    ['172.16.0.1', '172.16.0.0/12'],
    ['172.31.255.255', '172.16.0.0/12'],
    ['172.32.0.0', null],
    ['192.0.0.8', '192.0.0.0/24'],
    ['192.0.2.1', '192.0.2.0/24'],
    ['192.167.255.255', null],
    ['192.168.1.1', '192.168.0.0/16'],
    ['198.18.0.1', '198.18.0.0/15'],
    ['198.19.255.255', '198.18.0.0/15'],
    ['198.20.0.0', null],
    ['198.51.100.7', '198.51.100.0/24'],
    ['203.0.113.9', '203.0.113.0/24'],
    ['224.0.0.1', '224.0.0.0/4'],
    ['239.255.255.250', '224.0.0.0/4'],
    ['240.0.0.1', '240.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
    ['8.8.8.8', null],
    ['130.239.18.119', null],
    ['223.255.255.255', null],
    // IPv6 basics.
    ['::', '::/128'],
    ['0:0:0:0:0:0:0:0', '::/128'],
    ['::1', '::1/128'],
    ['0:0:0:0:0:0:0:1', '::1/128'],
    ['2001:4860:4860::8888', null],
    ['2a01:4f8:c17:33e::1', null],
    ['2606:4700::6810:84e5', null],
    // IPv4-mapped, dotted and hex forms: judged by the IPv4 address.
    ['::ffff:127.0.0.1', '127.0.0.0/8'],
    ['::ffff:7f00:1', '127.0.0.0/8'],
    ['::FFFF:7F00:0001', '127.0.0.0/8'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.0.0.0/8'],
    ['::ffff:a9fe:a9fe', '169.254.0.0/16'],
    ['::ffff:8.8.8.8', null],
    ['::ffff:808:808', null],
    // IPv4-compatible (deprecated) ::/96.
    ['::8.8.8.8', '::/96'],
    ['::7f00:1', '::/96'],
    // NAT64: the well-known prefix carries the IPv4 address; the local-use prefix is private.
    ['64:ff9b::127.0.0.1', '127.0.0.0/8'],
    ['64:ff9b::a00:1', '10.0.0.0/8'],
    ['64:ff9b::192.168.0.1', '192.168.0.0/16'],
    ['64:ff9b::8.8.8.8', null],
    ['64:ff9b::808:808', null],
    ['64:ff9b:1::a00:1', '64:ff9b:1::/48'],
    // 6to4 and Teredo carry an IPv4 address too.
    ['2002:7f00:1::1', '127.0.0.0/8'],
    ['2002:c000:204::1', '192.0.2.0/24'],
    ['2002:808:808::1', null],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.0/8'], // client 127.0.0.1 inverted
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', null], // client 8.8.8.8 inverted
    // Other special IPv6 ranges.
    ['100::1', '100::/64'],
    ['2001:db8::1', '2001:db8::/32'],
    ['fc00::1', 'fc00::/7'],
    ['fd12:3456:789a::1', 'fc00::/7'],
    ['fe80::1', 'fe80::/10'],
    ['fe80::1%eth0', 'fe80::/10'],
    ['febf:ffff::1', 'fe80::/10'],
    ['fec0::1', 'fec0::/10'],
    ['ff02::1', 'ff00::/8'],
    ['fbff::1', null],
    // Not an address: fail closed.
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['irc.libera.chat', 'invalid'],
    ['256.0.0.1', 'invalid'],
    ['1.2.3', 'invalid'],
    ['0177.0.0.1', 'invalid'],
    ['2130706433', 'invalid'],
    ['1::2::3', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
    ['1:2:3:4:5:6:7::8', 'invalid'],
    ['12345::1', 'invalid'],
    ['::ffff:1.2.3.256', 'invalid'],
    [':1:2:3:4:5:6:7', 'invalid'],
  ])('%s → %s', (ip, range) => {
    expect(classifyAddress(ip)?.range ?? null).toBe(range);
    expect(isPrivateAddress(ip)).toBe(range !== null);
  });

  it('names what the range is, and how an IPv4 address was carried', () => {
    expect(classifyAddress('169.254.169.254')).toEqual({ range: '169.254.0.0/16', what: 'link-local' });
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ range: '127.0.0.0/8', what: 'loopback, IPv4-mapped' });
    expect(classifyAddress('64:ff9b::10.0.0.1')).toEqual({ range: '10.0.0.0/8', what: 'private, NAT64' });
  });
});
