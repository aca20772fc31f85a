import { describe, expect, it } from 'vitest';
import {
  CaseMappedMap,
  DEFAULT_SERVER_SUPPORT,
  type CaseMapping,
  caseMappingFromToken,
  foldCase,
  ircEquals,
  isChannelName,
  parseIsupportTokens,
} from '../../../src/core/casemap.js';

describe('foldCase', () => {
  it.each<[CaseMapping, string, string]>([
    ['ascii', 'NickServ', 'nickserv'],
    ['ascii', '[Tom]\\~', '[tom]\\~'],
    ['ascii', '#CAFÉ', '#cafÉ'],
    ['rfc1459', 'NickServ', 'nickserv'],
    ['rfc1459', '[Tom]\\~', '{tom}|^'],
    ['rfc1459', '{a}|b^', '{a}|b^'],
    ['rfc1459', '#CAFÉ', '#cafÉ'],
    ['strict-rfc1459', '[Tom]\\~', '{tom}|~'],
    ['strict-rfc1459', 'A^B', 'a^b'],
    ['rfc1459', '', ''],
  ])('%s: %j → %j', (mapping, input, folded) => {
    expect(foldCase(mapping, input)).toBe(folded);
  });
});

describe('ircEquals', () => {
  it.each<[CaseMapping, string, string, boolean]>([
    ['ascii', '#Foo', '#foo', true],
    ['ascii', '[a]', '{a}', false],
    ['rfc1459', '[a]', '{A}', true],
    ['rfc1459', 'a~', 'a^', true],
    ['strict-rfc1459', 'a\\', 'A|', true],
    ['strict-rfc1459', 'a~', 'a^', false],
    ['rfc1459', 'café', 'CAFÉ', false],
    ['rfc1459', 'alice', 'bob', false],
  ])('%s: %j vs %j → %s', (mapping, a, b, equal) => {
    expect(ircEquals(mapping, a, b)).toBe(equal);
  });
});

describe('caseMappingFromToken', () => {
  it.each([
    ['ascii', 'ascii'],
    ['ASCII', 'ascii'],
    ['rfc1459', 'rfc1459'],
    ['strict-rfc1459', 'strict-rfc1459'],
    ['rfc7613', 'rfc1459'],
    ['rfc8265', 'rfc1459'],
    ['something-else', 'rfc1459'],
  ])('%j → %j', (token, mapping) => {
    expect(caseMappingFromToken(token)).toBe(mapping);
  });
});

describe('parseIsupportTokens', () => {
  it('starts from the defaults: rfc1459, #&, (ov)@+', () => {
    expect(parseIsupportTokens([])).toEqual({
      casemapping: 'rfc1459',
      advertisedCasemapping: null,
      chantypes: '#&',
      prefixes: [
        { mode: 'o', symbol: '@' },
        { mode: 'v', symbol: '+' },
      ],
    });
  });

  it('reads a typical Libera-like 005 line', () => {
    const support = parseIsupportTokens([
      'CALLERID=g',
      'CASEMAPPING=rfc1459',
      'CHANTYPES=#',
      'EXCEPTS',
      'PREFIX=(ov)@+',
      'NETWORK=Libera.Chat',
    ]);
    expect(support.chantypes).toBe('#');
    expect(support.casemapping).toBe('rfc1459');
    expect(support.advertisedCasemapping).toBe('rfc1459');
  });

  it('reads a five-rank PREFIX in order', () => {
    const support = parseIsupportTokens(['PREFIX=(qaohv)~&@%+']);
    expect(support.prefixes.map((p) => `${p.mode}${p.symbol}`)).toEqual(['q~', 'a&', 'o@', 'h%', 'v+']);
  });

  it('keeps an unknown CASEMAPPING as advertised but folds with rfc1459', () => {
    const support = parseIsupportTokens(['CASEMAPPING=rfc7613']);
    expect(support.casemapping).toBe('rfc1459');
    expect(support.advertisedCasemapping).toBe('rfc7613');
  });

  it('accumulates over several 005 lines', () => {
    const first = parseIsupportTokens(['CASEMAPPING=ascii']);
    const second = parseIsupportTokens(['CHANTYPES=#!'], first);
    expect(second.casemapping).toBe('ascii');
    expect(second.chantypes).toBe('#!');
  });

  it('restores defaults on -PARAM', () => {
    const set = parseIsupportTokens(['CASEMAPPING=ascii', 'CHANTYPES=#', 'PREFIX=(qo)~@']);
    const negated = parseIsupportTokens(['-CASEMAPPING', '-CHANTYPES', '-PREFIX'], set);
    expect(negated).toEqual(DEFAULT_SERVER_SUPPORT);
  });

  it('reads CHANTYPES and PREFIX without a value as "none"', () => {
    const support = parseIsupportTokens(['CHANTYPES', 'PREFIX=']);
    expect(support.chantypes).toBe('');
    expect(support.prefixes).toEqual([]);
  });

  it('ignores a malformed PREFIX and keeps the previous one', () => {
    const prev = parseIsupportTokens(['PREFIX=(qo)~@']);
    expect(parseIsupportTokens(['PREFIX=(ov)@'], prev).prefixes).toEqual(prev.prefixes);
    expect(parseIsupportTokens(['PREFIX=ov@+'], prev).prefixes).toEqual(prev.prefixes);
  });

  it('does not change the support object it was given', () => {
    const prev = parseIsupportTokens([]);
    parseIsupportTokens(['CHANTYPES=#'], prev);
    expect(prev.chantypes).toBe('#&');
  });
});

describe('isChannelName', () => {
  it.each([
    ['#&', '#jabirc', true],
    ['#&', '&local', true],
    ['#&', 'alice', false],
    ['#', '&local', false],
    ['#', '', false],
    ['', '#jabirc', false],
  ])('CHANTYPES=%j: %j → %s', (chantypes, name, expected) => {
    expect(isChannelName({ chantypes }, name)).toBe(expected);
  });
});

describe('CaseMappedMap', () => {
  it('finds entries through the fold and keeps the spelling', () => {
    const map = new CaseMappedMap<number>('rfc1459');
    map.set('#Foo[1]', 1);
    expect(map.get('#FOO{1}')).toBe(1);
    expect(map.has('#foo[1]')).toBe(true);
    expect(map.nameOf('#foo{1}')).toBe('#Foo[1]');
    expect(map.size).toBe(1);
    expect([...map]).toEqual([['#Foo[1]', 1]]);
  });

  it('keys by the mapping it was given', () => {
    const map = new CaseMappedMap<string>('ascii', [['[a]', 'square']]);
    expect(map.get('{a}')).toBeUndefined();
    expect(map.get('[A]')).toBe('square');
  });

  it('takes the latest spelling on set', () => {
    const map = new CaseMappedMap<number>('rfc1459');
    map.set('alice', 1).set('ALICE', 2);
    expect(map.size).toBe(1);
    expect([...map.entries()]).toEqual([['ALICE', 2]]);
  });

  it('renames for a NICK change, including a case-only change', () => {
    const map = new CaseMappedMap<string>('rfc1459', [['alice', 'state']]);
    expect(map.rename('ALICE', 'bob')).toBe(true);
    expect(map.get('alice')).toBeUndefined();
    expect(map.get('BOB')).toBe('state');
    expect(map.rename('bob', 'Bob')).toBe(true);
    expect([...map.names()]).toEqual(['Bob']);
    expect(map.rename('nobody', 'someone')).toBe(false);
    expect(map.size).toBe(1);
  });

  it('deletes through the fold', () => {
    const map = new CaseMappedMap<number>('strict-rfc1459', [['a\\', 1]]);
    expect(map.delete('A|')).toBe(true);
    expect(map.size).toBe(0);
  });

  it('re-keys on remap, merging names that now fold together', () => {
    const map = new CaseMappedMap<number>('ascii', [
      ['[a]', 1],
      ['{a}', 2],
    ]);
    expect(map.size).toBe(2);
    map.remap('rfc1459');
    expect(map.mapping).toBe('rfc1459');
    expect(map.size).toBe(1);
    expect(map.get('[A]')).toBe(2);
    expect([...map.values()]).toEqual([2]);
  });
});
