import { describe, expect, it } from 'vitest';
import {
  type Address,
  type AddressError,
  type AddressOptions,
  buildJid,
  isValidChannelName,
  isValidNetworkName,
  isValidNick,
  parseAddress,
  sameAddress,
} from '../../../src/core/address.js';

const GW = 'irc.example.org';
const MULTI: AddressOptions = { gatewayDomain: GW };
const FIXED: AddressOptions = { gatewayDomain: GW, fixedNetwork: 'irc.libera.chat' };
const NET = 'irc.libera.chat';

const jid = (local: string, resource = '', domain = GW) => ({ local, domain, resource });

describe('parseAddress, multi-network mode', () => {
  it.each<[string, string, Address | AddressError]>([
    ['', '', { kind: 'gateway' }],
    ['', 'laptop', { kind: 'gateway' }],
    [NET, '', { kind: 'network', network: NET }],
    [NET, 'laptop', { kind: 'network', network: NET }],
    ['IRC.Libera.Chat', '', { kind: 'network', network: NET }],
    ['localhost', '', { kind: 'network', network: 'localhost' }],
    ['127.0.0.1', '', { kind: 'network', network: '127.0.0.1' }],
    [`#jabirc%${NET}`, '', { kind: 'channel', network: NET, channel: '#jabirc' }],
    [`#jabirc%${NET}`, 'alice', { kind: 'occupant', network: NET, channel: '#jabirc', nick: 'alice' }],
    [`alice%${NET}`, '', { kind: 'user', network: NET, nick: 'alice' }],
    [`alice%${NET}`, 'phone', { kind: 'user', network: NET, nick: 'alice' }],
    [`\\26ops%${NET}`, '', { kind: 'channel', network: NET, channel: '&ops' }],
    [`#100%%${NET}`, '', { kind: 'channel', network: NET, channel: '#100%' }],
    [`#a%b%${NET}`, '', { kind: 'channel', network: NET, channel: '#a%b' }],
    [`a%b%${NET}`, '', { kind: 'user', network: NET, nick: 'a%b' }],
    [`#a\\2fb%${NET}`, '', { kind: 'channel', network: NET, channel: '#a/b' }],
    [`#a\\40b%${NET}`, '', { kind: 'channel', network: NET, channel: '#a@b' }],
    [`#a\\2Fb%${NET}`, '', { kind: 'channel', network: NET, channel: '#a\\2Fb' }],
    [`#c:\\net%${NET}`, '', { kind: 'channel', network: NET, channel: '#c:\\net' }],
    [`#jabirc%${NET}`, '[tom]', { kind: 'occupant', network: NET, channel: '#jabirc', nick: '[tom]' }],
    [`#jabirc%${NET}`, 'a b/c', { kind: 'error', condition: 'jid-malformed', text: '"a b/c" is not a valid IRC nick' }],
    [`#Café%IRC.Libera.Chat`, '', { kind: 'channel', network: NET, channel: '#Café' }],
  ])('%j / %j', (local, resource, expected) => {
    expect(parseAddress(jid(local, resource), MULTI)).toEqual(expected);
  });

  it('accepts the gateway domain in any case', () => {
    expect(parseAddress(jid('', '', 'IRC.Example.ORG'), MULTI)).toEqual({ kind: 'gateway' });
  });

  it('answers item-not-found for another domain', () => {
    expect(parseAddress(jid(`#a%${NET}`, '', 'example.org'), MULTI)).toMatchObject({
      kind: 'error',
      condition: 'item-not-found',
    });
  });

  it('honours the network CHANTYPES', () => {
    expect(parseAddress(jid(`!chan%${NET}`), { ...MULTI, chantypes: '#!' })).toEqual({
      kind: 'channel',
      network: NET,
      channel: '!chan',
    });
    expect(parseAddress(jid(`\\26ops%${NET}`), { ...MULTI, chantypes: '#' })).toMatchObject({
      condition: 'jid-malformed',
    });
  });

  it.each<[string, string, string]>([
    ['#jabirc', '', 'room without network'],
    [`#jabirc%`, '', 'empty network'],
    [`%${NET}`, '', 'empty nick'],
    ['alice%', '', 'user with empty network'],
    [`#%`, '', 'channel and network empty'],
    ['#jabirc%irc.libera.chat:6697', '', 'port in network'],
    ['#jabirc%irc_libera.chat', '', 'underscore in network'],
    ['#jabirc%-irc.libera.chat', '', 'label starting with -'],
    ['#jabirc%irc..libera.chat', '', 'empty label'],
    ['#jabirc%irc.libera.chat.', '', 'trailing dot'],
    [`#jabirc%${'a'.repeat(64)}`, '', 'label over 63'],
    ['#jabirc%irc\\2flibera', '', 'escaped / in network'],
    [`#a\\20b%${NET}`, '', 'space in channel'],
    [`#a,b%${NET}`, '', 'comma in channel'],
    [`#a\x07b%${NET}`, '', 'BEL in channel'],
    [`#a\rb%${NET}`, '', 'CR in channel'],
    [`#a\nb%${NET}`, '', 'LF in channel'],
    [`#a\0b%${NET}`, '', 'NUL in channel'],
    [`#jabirc%${NET}`, 'a\nb', 'LF in resource'],
    [`\\20alice%${NET}`, '', 'leading escaped space'],
    [`al ice%${NET}`, '', 'space in nick'],
    [`a,b%${NET}`, '', 'comma in nick'],
    [`a*b%${NET}`, '', '* in nick'],
    [`a?b%${NET}`, '', '? in nick'],
    [`a!b%${NET}`, '', '! in nick'],
    [`a\\40b%${NET}`, '', '@ in nick'],
    [`$alice%${NET}`, '', 'leading $'],
    [`\\3aalice%${NET}`, '', 'leading :'],
    [`~alice%${NET}`, '', 'leading ~'],
    [`%alice%${NET}`, '', 'leading %'],
    [`+alice%${NET}`, '', 'leading +'],
    [`#jabirc%${NET}`, '#alice', 'occupant nick with leading #'],
    [`#jabirc%${NET}`, '&alice', 'occupant nick with leading &'],
    [`#jabirc%${NET}`, 'a!b', 'occupant nick with !'],
  ])('jid-malformed: %j / %j (%s)', (local, resource) => {
    expect(parseAddress(jid(local, resource), MULTI)).toMatchObject({ kind: 'error', condition: 'jid-malformed' });
  });

  it('reads a bare label as a network, since localhost must work', () => {
    expect(parseAddress(jid('alice'), MULTI)).toEqual({ kind: 'network', network: 'alice' });
  });

  it('explains what a room address looks like', () => {
    expect(parseAddress(jid('#jabirc'), MULTI)).toEqual({
      kind: 'error',
      condition: 'jid-malformed',
      text: '"#jabirc" names no network: a room is #channel%network@irc.example.org',
    });
  });
});

describe('parseAddress, fixed-network mode', () => {
  it.each<[string, string, Address]>([
    ['', '', { kind: 'gateway' }],
    ['#jabirc', '', { kind: 'channel', network: NET, channel: '#jabirc' }],
    ['#jabirc', 'alice', { kind: 'occupant', network: NET, channel: '#jabirc', nick: 'alice' }],
    ['alice', '', { kind: 'user', network: NET, nick: 'alice' }],
    ['alice', 'phone', { kind: 'user', network: NET, nick: 'alice' }],
    ['\\26ops', '', { kind: 'channel', network: NET, channel: '&ops' }],
    ['#100%', '', { kind: 'channel', network: NET, channel: '#100%' }],
    ['#jabirc%irc.oftc.net', '', { kind: 'channel', network: NET, channel: '#jabirc%irc.oftc.net' }],
    ['a%b', '', { kind: 'user', network: NET, nick: 'a%b' }],
    ['irc.oftc.net', '', { kind: 'user', network: NET, nick: 'irc.oftc.net' }],
  ])('%j / %j', (local, resource, expected) => {
    expect(parseAddress(jid(local, resource), FIXED)).toEqual(expected);
  });

  it.each([
    ['#a\\20b', ''],
    ['#a,b', ''],
    ['al ice', ''],
    ['+alice', ''],
    ['#jabirc', 'a@b'],
  ])('jid-malformed: %j / %j', (local, resource) => {
    expect(parseAddress(jid(local, resource), FIXED)).toMatchObject({ kind: 'error', condition: 'jid-malformed' });
  });

  it('answers item-not-found for another domain', () => {
    expect(parseAddress(jid('#a', '', 'other.example'), FIXED)).toMatchObject({ condition: 'item-not-found' });
  });
});

describe('buildJid', () => {
  it.each<[Address, string, string]>([
    [{ kind: 'gateway' }, '', ''],
    [{ kind: 'network', network: NET }, NET, ''],
    [{ kind: 'channel', network: NET, channel: '#jabirc' }, `#jabirc%${NET}`, ''],
    [{ kind: 'occupant', network: NET, channel: '#jabirc', nick: '[tom]' }, `#jabirc%${NET}`, '[tom]'],
    [{ kind: 'user', network: NET, nick: 'alice' }, `alice%${NET}`, ''],
    [{ kind: 'channel', network: NET, channel: '&ops' }, `\\26ops%${NET}`, ''],
    [{ kind: 'channel', network: NET, channel: '#a/b' }, `#a\\2fb%${NET}`, ''],
    [{ kind: 'channel', network: NET, channel: '#"quoted"' }, `#\\22quoted\\22%${NET}`, ''],
    [{ kind: 'channel', network: NET, channel: '#100%' }, `#100%%${NET}`, ''],
    [{ kind: 'user', network: NET, nick: 'nick\\' }, `nick\\%${NET}`, ''],
  ])('%j → %j / %j', (address, local, resource) => {
    expect(buildJid(address, MULTI)).toEqual({ local, domain: GW, resource });
  });

  it.each<[Address, string, string]>([
    [{ kind: 'gateway' }, '', ''],
    [{ kind: 'network', network: NET }, '', ''],
    [{ kind: 'channel', network: NET, channel: '#jabirc' }, '#jabirc', ''],
    [{ kind: 'occupant', network: NET, channel: '&ops', nick: 'alice' }, '\\26ops', 'alice'],
    [{ kind: 'user', network: NET, nick: 'a%b' }, 'a%b', ''],
  ])('fixed: %j → %j / %j', (address, local, resource) => {
    expect(buildJid(address, FIXED)).toEqual({ local, domain: GW, resource });
  });
});

describe('round trip: parseAddress(buildJid(a)) equals a', () => {
  const channels = [
    '#jabirc',
    '#c++',
    '#a/b',
    '#a@b',
    '#100%',
    '#%',
    '#',
    '#café',
    '#"quoted"',
    "#d'artagnan",
    '#<html>',
    '#a:b',
    '#c:\\net',
    '#\\5c',
    '#\\2F',
    '#trailing\\',
    '&local',
    '##double',
  ];
  const nicks = ['alice', 'nick\\', '[tom]', '{a}|b^', 'Zoë', 'a%b', 'a/b', 'q:x', 'x"y', '7of9', 'a.b', '\\27'];

  const addresses = (network: string): Address[] => [
    { kind: 'gateway' },
    ...channels.map((channel): Address => ({ kind: 'channel', network, channel })),
    ...channels.flatMap((channel) => nicks.map((nick): Address => ({ kind: 'occupant', network, channel, nick }))),
    ...nicks.map((nick): Address => ({ kind: 'user', network, nick })),
  ];

  it('in multi-network mode, on several networks', () => {
    for (const network of [NET, 'localhost', '10.0.0.1', 'a-b.example']) {
      for (const a of [...addresses(network), { kind: 'network', network } as const]) {
        expect(parseAddress(buildJid(a, MULTI), MULTI), JSON.stringify(a)).toEqual(a);
      }
    }
  });

  it('in fixed-network mode', () => {
    for (const a of addresses(NET)) {
      expect(parseAddress(buildJid(a, FIXED), FIXED), JSON.stringify(a)).toEqual(a);
    }
  });

  it('every built localpart is free of characters a localpart may not hold', () => {
    for (const a of addresses(NET)) expect(buildJid(a, MULTI).local).not.toMatch(/[ "&'/:<>@]/);
  });

  it('survives a server lower-casing the localpart, up to case', () => {
    for (const a of addresses(NET)) {
      const built = buildJid(a, MULTI);
      const lowered = parseAddress({ ...built, local: built.local.toLowerCase() }, MULTI);
      if (lowered.kind === 'error') throw new Error(`${JSON.stringify(a)}: ${lowered.text}`);
      expect(sameAddress('ascii', lowered, a), JSON.stringify(a)).toBe(true);
    }
  });
});

describe('sameAddress', () => {
  it.each<[string, Address, Address, boolean]>([
    ['rfc1459', { kind: 'channel', network: NET, channel: '#Foo[1]' }, { kind: 'channel', network: NET, channel: '#foo{1}' }, true],
    ['ascii', { kind: 'channel', network: NET, channel: '#Foo[1]' }, { kind: 'channel', network: NET, channel: '#foo{1}' }, false],
    ['ascii', { kind: 'network', network: 'IRC.libera.chat' }, { kind: 'network', network: NET }, true],
    ['rfc1459', { kind: 'user', network: NET, nick: 'Alice' }, { kind: 'user', network: 'irc.oftc.net', nick: 'alice' }, false],
    ['rfc1459', { kind: 'user', network: NET, nick: 'alice' }, { kind: 'occupant', network: NET, channel: '#a', nick: 'alice' }, false],
    ['rfc1459', { kind: 'occupant', network: NET, channel: '#A', nick: 'Bob~' }, { kind: 'occupant', network: NET, channel: '#a', nick: 'bob^' }, true],
    ['strict-rfc1459', { kind: 'occupant', network: NET, channel: '#a', nick: 'bob~' }, { kind: 'occupant', network: NET, channel: '#a', nick: 'bob^' }, false],
    ['ascii', { kind: 'gateway' }, { kind: 'gateway' }, true],
  ])('%s: %j vs %j → %s', (mapping, a, b, expected) => {
    expect(sameAddress(mapping as 'ascii' | 'rfc1459' | 'strict-rfc1459', a, b)).toBe(expected);
  });
});

describe('name validators', () => {
  it.each([
    ['irc.libera.chat', true],
    ['localhost', true],
    ['IRC.Libera.Chat', true],
    ['irc.libera.chat:6697', false],
    ['::1', false],
    ['', false],
    [`${'a.'.repeat(126)}ab`, false],
  ])('isValidNetworkName(%j) → %s', (name, expected) => {
    expect(isValidNetworkName(name)).toBe(expected);
  });

  it.each([
    ['#jabirc', true],
    ['&local', true],
    ['jabirc', false],
    ['#a b', false],
    ['#a,b', false],
    ['#a\x07', false],
    ['', false],
  ])('isValidChannelName(%j) → %s', (name, expected) => {
    expect(isValidChannelName(name)).toBe(expected);
  });

  it.each([
    ['alice', true],
    ['[tom]', true],
    ['{a}|b^', true],
    ['7of9', true],
    ['a-b', true],
    ['#alice', false],
    ['&alice', false],
    [':alice', false],
    ['a b', false],
    ['a@b', false],
    ['', false],
  ])('isValidNick(%j) → %s', (nick, expected) => {
    expect(isValidNick(nick)).toBe(expected);
  });
});
