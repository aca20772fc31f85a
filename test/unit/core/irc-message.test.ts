import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_SUPPORT, type MemberPrefix, parseIsupportTokens } from '../../../src/core/casemap.js';
import {
  DEFAULT_CHANMODES,
  type IrcMessage,
  IRC_MAX_BODY_BYTES,
  IRC_MAX_TAG_BYTES,
  type MalformedReason,
  type ModeChange,
  type NamesEntry,
  account,
  msgid,
  parseChanmodes,
  parseIrcLine,
  parseModeChanges,
  parseNamesEntry,
  parseSource,
  serverTime,
  unescapeTagValue,
} from '../../../src/core/irc-message.js';

type Expected = Omit<IrcMessage, 'kind' | 'tags'> & { tags?: Record<string, string> };

function parsed(line: string): IrcMessage {
  const result = parseIrcLine(line);
  if (result.kind !== 'message') throw new Error(`expected a message, got ${result.reason}`);
  return result;
}

describe('parseIrcLine: well-formed lines', () => {
  it.each<[string, Expected]>([
    [
      ':nick!user@host PRIVMSG #chan :hello world',
      {
        source: { nick: 'nick', user: 'user', host: 'host', isServer: false },
        command: 'PRIVMSG',
        params: ['#chan', 'hello world'],
      },
    ],
    ['PING :x', { command: 'PING', params: ['x'] }],
    ['PING irc.example.net', { command: 'PING', params: ['irc.example.net'] }],
    [
      ':irc.example.net 331 me #c :',
      { source: { nick: 'irc.example.net', isServer: true }, command: '331', params: ['me', '#c', ''] },
    ],
    [
      ':irc.example.net 001 alice :Welcome to the Example IRC Network alice',
      {
        source: { nick: 'irc.example.net', isServer: true },
        command: '001',
        params: ['alice', 'Welcome to the Example IRC Network alice'],
      },
    ],
    [
      ':alice!a@host MODE #chan +o-v bob carol',
      {
        source: { nick: 'alice', user: 'a', host: 'host', isServer: false },
        command: 'MODE',
        params: ['#chan', '+o-v', 'bob', 'carol'],
      },
    ],
    [':bob!b@h PRIVMSG #c ::', { source: { nick: 'bob', user: 'b', host: 'h', isServer: false }, command: 'PRIVMSG', params: ['#c', ':'] }],
    [':bob!b@h PRIVMSG #c :: x ', { source: { nick: 'bob', user: 'b', host: 'h', isServer: false }, command: 'PRIVMSG', params: ['#c', ': x '] }],
    [':bob!b@h PRIVMSG #c :a:b', { source: { nick: 'bob', user: 'b', host: 'h', isServer: false }, command: 'PRIVMSG', params: ['#c', 'a:b'] }],
    [
      ':bob!b@h PRIVMSG #c :\x01ACTION waves\x01',
      { source: { nick: 'bob', user: 'b', host: 'h', isServer: false }, command: 'PRIVMSG', params: ['#c', '\x01ACTION waves\x01'] },
    ],
    [':bob@h JOIN #c', { source: { nick: 'bob', host: 'h', isServer: false }, command: 'JOIN', params: ['#c'] }],
    [':NickServ NOTICE me :hi', { source: { nick: 'NickServ', isServer: false }, command: 'NOTICE', params: ['me', 'hi'] }],
    ['privmsg #c hi', { command: 'PRIVMSG', params: ['#c', 'hi'] }],
    // Runs of spaces separate like one; leading and trailing spaces are ignored.
    [':s.example   MODE   #c    +k   key  ', { source: { nick: 's.example', isServer: true }, command: 'MODE', params: ['#c', '+k', 'key'] }],
    ['  PING   :a  b  ', { command: 'PING', params: ['a  b  '] }],
    ['QUIT', { command: 'QUIT', params: [] }],
    ['PRIVMSG #c \ttab', { command: 'PRIVMSG', params: ['#c', '\ttab'] }],
    // More than 15 parameters are kept, none merged (see the module header).
    [
      'CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 :17 x',
      { command: 'CMD', params: [...Array.from({ length: 16 }, (_, i) => String(i + 1)), '17 x'] },
    ],
    [
      '@time=2024-01-02T03:04:05.678Z;msgid=abc;account=alice :alice!a@h PRIVMSG #c :hi',
      {
        tags: { time: '2024-01-02T03:04:05.678Z', msgid: 'abc', account: 'alice' },
        source: { nick: 'alice', user: 'a', host: 'h', isServer: false },
        command: 'PRIVMSG',
        params: ['#c', 'hi'],
      },
    ],
    [
      '@+draft/reply=x;+example.com/typing=active;example.org/foo;bare;empty= TAGMSG #c',
      {
        tags: { '+draft/reply': 'x', '+example.com/typing': 'active', 'example.org/foo': '', bare: '', empty: '' },
        command: 'TAGMSG',
        params: ['#c'],
      },
    ],
    ['@ PING x', { tags: {}, command: 'PING', params: ['x'] }],
    ['@a=1;;a=2;bad_key=3;=4 PING x', { tags: { a: '2' }, command: 'PING', params: ['x'] }],
    ['@__proto__=x;constructor=y PING x', { tags: { constructor: 'y' }, command: 'PING', params: ['x'] }],
  ])('%j', (line, expected) => {
    expect(parseIrcLine(line)).toEqual({ kind: 'message', tags: {}, ...expected });
  });

  it('leaves out source when the line has none', () => {
    expect('source' in parsed('PING :x')).toBe(false);
  });

  it('gives tags with no prototype, so absent keys read as undefined', () => {
    const { tags } = parsed('PING x');
    expect(tags['constructor']).toBeUndefined();
    expect(tags['toString']).toBeUndefined();
  });

  it('reads a real 005 line into tokens for parseIsupportTokens', () => {
    const msg = parsed(
      ':irc.example.net 005 alice CHANTYPES=# PREFIX=(qaohv)~&@%+ CASEMAPPING=ascii CHANMODES=beI,k,l,imnpst :are supported by this server',
    );
    expect(msg.command).toBe('005');
    const tokens = msg.params.slice(1, -1);
    expect(tokens).toEqual(['CHANTYPES=#', 'PREFIX=(qaohv)~&@%+', 'CASEMAPPING=ascii', 'CHANMODES=beI,k,l,imnpst']);
    const support = parseIsupportTokens(tokens);
    expect(support.casemapping).toBe('ascii');
    expect(support.prefixes.map((p) => p.symbol).join('')).toBe('~&@%+');
    const chanmodes = tokens.find((t) => t.startsWith('CHANMODES='))?.slice('CHANMODES='.length) ?? '';
    expect(parseChanmodes(chanmodes)).toEqual(DEFAULT_CHANMODES);
  });
});

describe('parseIrcLine: tag escapes', () => {
  it.each<[string, string]>([
    ['a\\:b', 'a;b'],
    ['a\\sb', 'a b'],
    ['a\\\\b', 'a\\b'],
    ['a\\r\\nb', 'a\r\nb'],
    ['a\\bc', 'abc'],
    ['abc\\', 'abc'],
    ['\\\\\\', '\\'],
    ['\\\\s', '\\s'],
    ['plain', 'plain'],
    ['', ''],
  ])('%j → %j', (raw, value) => {
    expect(unescapeTagValue(raw)).toBe(value);
    expect(parsed(`@k=${raw} PING x`).tags['k']).toBe(value);
  });

  it('unescapes \\r\\n to CR LF as data; the command and params stay those of the line', () => {
    const msg = parsed('@+evil=x\\r\\nQUIT\\s:bye;msgid=1 :m!u@h PRIVMSG #c :hi');
    expect(msg.tags['+evil']).toBe('x\r\nQUIT :bye');
    expect(msg.command).toBe('PRIVMSG');
    expect(msg.params).toEqual(['#c', 'hi']);
  });
});

describe('parseIrcLine: refusals', () => {
  it.each<[string, MalformedReason]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['@a=b', 'no-command'],
    ['@a=b ', 'no-command'],
    ['@a=b :nick!u@h', 'no-command'],
    [':nick!u@h', 'no-command'],
    [':nick!u@h   ', 'no-command'],
    [': PING x', 'bad-source'],
    [':!u@h PRIVMSG #c x', 'bad-source'],
    ['PRIV-MSG #c x', 'bad-command'],
    ['12 x', 'bad-command'],
    ['1234 x', 'bad-command'],
    ['00A x', 'bad-command'],
    ['PRÍVMSG #c x', 'bad-command'],
    ['PRIVMSG #c :a\0b', 'forbidden-char'],
    ['PRIVMSG #c :a\rb', 'forbidden-char'],
    ['PRIVMSG #c :a\nQUIT', 'forbidden-char'],
    ['@k=a\nQUIT PING x', 'forbidden-char'],
  ])('%j → %s', (line, reason) => {
    expect(parseIrcLine(line)).toEqual({ kind: 'malformed', reason });
  });

  it('holds the tags section to 8191 bytes including @ and the space', () => {
    const tagsOf = (bytes: number): string => `@k=${'a'.repeat(bytes - 4)} `;
    expect(parseIrcLine(`${tagsOf(IRC_MAX_TAG_BYTES)}PING x`).kind).toBe('message');
    expect(parseIrcLine(`${tagsOf(IRC_MAX_TAG_BYTES + 1)}PING x`)).toEqual({ kind: 'malformed', reason: 'tags-too-long' });
  });

  it('holds the rest of the line to 512 bytes, counted in UTF-8', () => {
    const head = ':n!u@h PRIVMSG #ch :';
    const fill = (bytes: number): string => 'é'.repeat((bytes - head.length) / 2);
    expect(parseIrcLine(`@k=v ${head}${fill(IRC_MAX_BODY_BYTES)}`).kind).toBe('message');
    expect(parseIrcLine(`${head}${fill(IRC_MAX_BODY_BYTES)}x`)).toEqual({ kind: 'malformed', reason: 'body-too-long' });
  });

  it('counts the bytes of a rest that three-byte characters or surrogate pairs take past 512', () => {
    const head = 'PRIVMSG #c :';
    // 12 + 166 × 3 + 2 = 512 bytes.
    const three = `${head}${'€'.repeat(166)}ab`;
    expect(parseIrcLine(three).kind).toBe('message');
    expect(parseIrcLine(`${three}x`)).toEqual({ kind: 'malformed', reason: 'body-too-long' });
    // 😀 is two UTF-16 units and four bytes: 12 + 125 × 4 = 512.
    const four = `${head}${'😀'.repeat(125)}`;
    expect(parseIrcLine(four).kind).toBe('message');
    expect(parseIrcLine(`${four}x`)).toEqual({ kind: 'malformed', reason: 'body-too-long' });
    expect(parseIrcLine('PRIVMSG #c :€€', { maxBodyBytes: 17 })).toEqual({ kind: 'malformed', reason: 'body-too-long' });
    expect(parseIrcLine('PRIVMSG #c :€€', { maxBodyBytes: 18 }).kind).toBe('message');
  });

  it('reads a command in any case, known to the gateway or not, as upper case', () => {
    for (const [line, command] of [
      ['PRIVMSG #c :x', 'PRIVMSG'],
      ['Privmsg #c :x', 'PRIVMSG'],
      ['tagmsg #c', 'TAGMSG'],
      ['WALLOPS :x', 'WALLOPS'],
      ['wallops :x', 'WALLOPS'],
      ['353 me = #c :a', '353'],
    ] as const) {
      const m = parseIrcLine(line);
      expect(m.kind === 'message' && m.command).toBe(command);
    }
    expect(parseIrcLine('PRIV_MSG #c :x')).toEqual({ kind: 'malformed', reason: 'bad-command' });
  });

  it('takes raised limits from the caller', () => {
    const long = `PRIVMSG #c :${'a'.repeat(1000)}`;
    expect(parseIrcLine(long).kind).toBe('malformed');
    expect(parseIrcLine(long, { maxBodyBytes: 4096 }).kind).toBe('message');
  });
});

describe('parseSource', () => {
  it.each<[string, ReturnType<typeof parseSource>]>([
    ['nick!user@host', { nick: 'nick', user: 'user', host: 'host', isServer: false }],
    ['nick!~user@2001:db8::1', { nick: 'nick', user: '~user', host: '2001:db8::1', isServer: false }],
    ['nick@host', { nick: 'nick', host: 'host', isServer: false }],
    ['nick!user', { nick: 'nick', user: 'user', isServer: false }],
    ['nick', { nick: 'nick', isServer: false }],
    ['irc.example.net', { nick: 'irc.example.net', isServer: true }],
    ['services.', { nick: 'services.', isServer: true }],
    ['nick!@host', { nick: 'nick', host: 'host', isServer: false }],
    ['', undefined],
    ['!u@h', undefined],
  ])('%j', (raw, source) => {
    expect(parseSource(raw)).toEqual(source);
  });
});

describe('serverTime, msgid, account', () => {
  it.each<[string | undefined, string | undefined]>([
    ['2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2023-02-29T00:00:00.000Z', undefined],
    ['2024-01-02T24:00:00.000Z', undefined],
    ['2024-01-02T03:04:05Z', undefined],
    ['2024-01-02T03:04:05.678+00:00', undefined],
    ['2024-01-02T03:04:05.6789Z', undefined],
    ['2024-01-02 03:04:05.678Z', undefined],
    ['1704164645', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('time=%j → %j', (time, expected) => {
    expect(serverTime(time === undefined ? {} : { time })).toBe(expected);
  });

  it.each<[Record<string, string>, string | undefined]>([
    [{ msgid: 'Ab-9_x' }, 'Ab-9_x'],
    [{ msgid: '' }, undefined],
    [{}, undefined],
  ])('msgid %j → %j', (tags, expected) => {
    expect(msgid(tags)).toBe(expected);
  });

  it.each<[Record<string, string>, string | undefined]>([
    [{ account: 'alice' }, 'alice'],
    [{ account: '*' }, undefined],
    [{ account: '' }, undefined],
    [{}, undefined],
  ])('account %j → %j', (tags, expected) => {
    expect(account(tags)).toBe(expected);
  });
});

const FIVE_PREFIXES: readonly MemberPrefix[] = [
  { mode: 'q', symbol: '~' },
  { mode: 'a', symbol: '&' },
  { mode: 'o', symbol: '@' },
  { mode: 'h', symbol: '%' },
  { mode: 'v', symbol: '+' },
];

describe('parseNamesEntry', () => {
  it.each<[string, readonly MemberPrefix[], NamesEntry | undefined]>([
    ['alice', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'alice', prefixes: '' }],
    ['@alice', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'alice', prefixes: '@' }],
    ['@+alice', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'alice', prefixes: '@+' }],
    ['+@alice', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'alice', prefixes: '@+' }],
    ['+%~alice', FIVE_PREFIXES, { nick: 'alice', prefixes: '~%+' }],
    ['@+alice!a@host.example', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'alice', user: 'a', host: 'host.example', prefixes: '@+' }],
    ['bob!~b@2001:db8::1', DEFAULT_SERVER_SUPPORT.prefixes, { nick: 'bob', user: '~b', host: '2001:db8::1', prefixes: '' }],
    // `%` is not a prefix on this server, so it stays in the nick.
    ['%alice', DEFAULT_SERVER_SUPPORT.prefixes, { nick: '%alice', prefixes: '' }],
    ['@', DEFAULT_SERVER_SUPPORT.prefixes, undefined],
    ['', DEFAULT_SERVER_SUPPORT.prefixes, undefined],
  ])('%j', (entry, prefixes, expected) => {
    expect(parseNamesEntry(entry, prefixes)).toEqual(expected);
  });
});

describe('parseChanmodes', () => {
  it.each<[string, ReturnType<typeof parseChanmodes>]>([
    ['beI,k,l,imnpst', { A: 'beI', B: 'k', C: 'l', D: 'imnpst' }],
    ['IXbeg,k,FHJLdfjl,ACKMOPRSTcimnprstuz', { A: 'IXbeg', B: 'k', C: 'FHJLdfjl', D: 'ACKMOPRSTcimnprstuz' }],
    ['b,k,l,imnpst,XYZ', { A: 'b', B: 'k', C: 'l', D: 'imnpst' }],
    ['b,k', { A: 'b', B: 'k', C: '', D: '' }],
    ['', { A: '', B: '', C: '', D: '' }],
  ])('%j', (value, expected) => {
    expect(parseChanmodes(value)).toEqual(expected);
  });

  it('defaults to beI,k,l,imnpst', () => {
    expect(DEFAULT_CHANMODES).toEqual({ A: 'beI', B: 'k', C: 'l', D: 'imnpst' });
  });
});

describe('parseModeChanges', () => {
  const support = { prefixes: FIVE_PREFIXES, chanmodes: DEFAULT_CHANMODES };
  it.each<[string[], ModeChange[]]>([
    [['+o', 'alice'], [{ add: true, mode: 'o', param: 'alice' }]],
    [
      ['+o-v', 'alice', 'bob'],
      [
        { add: true, mode: 'o', param: 'alice' },
        { add: false, mode: 'v', param: 'bob' },
      ],
    ],
    [
      ['+ol-v', 'alice', '10', 'bob'],
      [
        { add: true, mode: 'o', param: 'alice' },
        { add: true, mode: 'l', param: '10' },
        { add: false, mode: 'v', param: 'bob' },
      ],
    ],
    // C takes a parameter only when set; A and B both ways; D never.
    [
      ['-l+k-k+b-b', 'key', '*', '*!*@x', '*!*@y'],
      [
        { add: false, mode: 'l' },
        { add: true, mode: 'k', param: 'key' },
        { add: false, mode: 'k', param: '*' },
        { add: true, mode: 'b', param: '*!*@x' },
        { add: false, mode: 'b', param: '*!*@y' },
      ],
    ],
    [
      ['+nt-m'],
      [
        { add: true, mode: 'n' },
        { add: true, mode: 't' },
        { add: false, mode: 'm' },
      ],
    ],
    // RPL_CHANNELMODEIS after nick and channel: `+ntlk 10 secret`.
    [
      ['+ntlk', '10', 'secret'],
      [
        { add: true, mode: 'n' },
        { add: true, mode: 't' },
        { add: true, mode: 'l', param: '10' },
        { add: true, mode: 'k', param: 'secret' },
      ],
    ],
    // Unknown modes are type D; no sign means +; a missing param is left out.
    [
      ['Zq', 'owner'],
      [
        { add: true, mode: 'Z' },
        { add: true, mode: 'q', param: 'owner' },
      ],
    ],
    [['+o'], [{ add: true, mode: 'o' }]],
    [[], []],
  ])('%j', (params, expected) => {
    expect(parseModeChanges(params, support)).toEqual(expected);
  });

  it('follows the server CHANMODES and PREFIX', () => {
    const custom = { prefixes: DEFAULT_SERVER_SUPPORT.prefixes, chanmodes: parseChanmodes('b,,,q') };
    expect(parseModeChanges(['+qkh', 'x'], custom)).toEqual([
      { add: true, mode: 'q' },
      { add: true, mode: 'k' },
      { add: true, mode: 'h' },
    ]);
  });
});
