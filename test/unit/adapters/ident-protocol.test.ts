import { describe, expect, it } from 'vitest';
import { identFor, identReply, invalidPortReply, parseIdentQuery } from '../../../src/adapters/ident-protocol.js';

describe('RFC 1413 queries and replies', () => {
  it.each<[string, ReturnType<typeof parseIdentQuery>]>([
    ['6193, 23', { kind: 'query', localPort: 6193, remotePort: 23 }],
    ['6193 , 23', { kind: 'query', localPort: 6193, remotePort: 23 }],
    ['  1,65535 ', { kind: 'query', localPort: 1, remotePort: 65535 }],
    ['\t6193\t,\t23', { kind: 'query', localPort: 6193, remotePort: 23 }],
    ['0, 23', { kind: 'invalid-port', localPort: '0', remotePort: '23' }],
    ['6193, 70000', { kind: 'invalid-port', localPort: '6193', remotePort: '70000' }],
    ['hello', undefined],
    ['6193', undefined],
    ['6193, 23, 1', undefined],
    ['-1, 23', undefined],
    ['61.93, 23', undefined],
    ['', undefined],
  ])('parses %j', (line, expected) => {
    expect(parseIdentQuery(line)).toEqual(expected);
  });

  it('builds the replies of RFC 1413 §6', () => {
    expect(identReply(6193, 23, 'stjohns')).toBe('6193 , 23 : USERID : UNIX : stjohns');
    expect(identReply(6195, 23, undefined)).toBe('6195 , 23 : ERROR : NO-USER');
    expect(invalidPortReply('0', '23')).toBe('0 , 23 : ERROR : INVALID-PORT');
  });
});

describe('identFor', () => {
  it('hashes the bare JID, case-insensitively, to 10 hex digits, distinct per user', () => {
    const a = identFor('alice@example.org', 'hash');
    expect(a).toMatch(/^[0-9a-f]{10}$/);
    expect(identFor('Alice@Example.org', 'hash')).toBe(a);
    expect(identFor('alice@example.net', 'hash')).not.toBe(a);
    expect(identFor('bob@example.org', 'hash')).not.toBe(a);
  });

  it.each([
    ['alice@example.org', 'alice'],
    ['Alice@example.org', 'alice'],
    ['j.doe-2_x@example.org', 'j.doe-2_x'],
    ['abcdefghij@example.org', 'abcdefghij'],
  ])('uses the localpart of %s when it is a valid ident', (jid, ident) => {
    expect(identFor(jid, 'localpart')).toBe(ident);
  });

  it.each(['abcdefghijk@example.org', 'al\\20ice@example.org', '.alice@example.org', 'ali~ce@example.org', 'élise@example.org'])(
    'falls back to the hash for %s',
    (jid) => {
      expect(identFor(jid, 'localpart')).toBe(identFor(jid, 'hash'));
    },
  );
});
