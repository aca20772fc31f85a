import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CTCP_ACTION_OVERHEAD_BYTES,
  IRC_MAX_LINE_BYTES,
  IrcLineRefusedError,
  buildLine,
  buildMessageLines,
  ctcpAction,
  messagePayloadBudget,
  parseCtcp,
  splitMessageText,
  tryBuildLine,
  utf8ByteLength,
  type IrcLineRefusal,
} from '../../../src/core/irc-writer.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('tryBuildLine', () => {
  it.each<[string, string[], string]>([
    ['PRIVMSG', ['#chan', 'hello world'], 'PRIVMSG #chan :hello world'],
    ['PRIVMSG', ['#chan', 'hello'], 'PRIVMSG #chan hello'],
    ['PRIVMSG', ['#chan', ':)'], 'PRIVMSG #chan ::)'],
    ['TOPIC', ['#chan', ''], 'TOPIC #chan :'],
    ['JOIN', ['#chan'], 'JOIN #chan'],
    ['JOIN', ['#chan', 'key'], 'JOIN #chan key'],
    ['KICK', ['#chan', 'bob', 'go away'], 'KICK #chan bob :go away'],
    ['MODE', ['#chan', '+o', 'bob'], 'MODE #chan +o bob'],
    ['QUIT', [], 'QUIT'],
    ['001', ['me', 'Welcome'], '001 me Welcome'],
    ['privmsg', ['#c', 'x'], 'privmsg #c x'],
    ['PRIVMSG', ['#c', 'tab\there'], 'PRIVMSG #c tab\there'],
  ])('%s %j → %j', (command, params, line) => {
    expect(tryBuildLine(command, params)).toEqual({ kind: 'line', line });
  });

  it.each<[string, string[], IrcLineRefusal]>([
    ['', [], { kind: 'bad-command', command: '' }],
    ['PRIV MSG', [], { kind: 'bad-command', command: 'PRIV MSG' }],
    ['12', [], { kind: 'bad-command', command: '12' }],
    ['1234', [], { kind: 'bad-command', command: '1234' }],
    ['PR1VMSG', [], { kind: 'bad-command', command: 'PR1VMSG' }],
    ['QUIT\r\n', [], { kind: 'forbidden-char', where: 'command' }],
    ['KICK', ['#c', '', 'x'], { kind: 'bad-middle-param', paramIndex: 1, reason: 'empty' }],
    ['KICK', ['#c', 'a b', 'x'], { kind: 'bad-middle-param', paramIndex: 1, reason: 'space' }],
    ['KICK', [':#c', 'b', 'x'], { kind: 'bad-middle-param', paramIndex: 0, reason: 'leading-colon' }],
    ['X', Array.from({ length: 16 }, () => 'p'), { kind: 'too-many-params', count: 16 }],
  ])('refuses %j %j', (command, params, refusal) => {
    expect(tryBuildLine(command, params)).toEqual({ kind: 'refused', refusal });
  });

  describe('refuses CR, LF and NUL anywhere, never strips them', () => {
    const evil: Array<[string, 'CR' | 'LF' | 'NUL']> = [
      ['a\rb', 'CR'],
      ['a\nb', 'LF'],
      ['a\0b', 'NUL'],
      ['a\r\nQUIT :x', 'CR'],
      ['\n', 'LF'],
    ];
    const shapes: Array<[string, (v: string) => [string, string[]], number]> = [
      ['nick', (v) => ['NICK', [v]], 0],
      ['channel', (v) => ['JOIN', [v]], 0],
      ['topic', (v) => ['TOPIC', ['#c', v]], 1],
      ['kick reason', (v) => ['KICK', ['#c', 'bob', v]], 2],
      ['kicked nick', (v) => ['KICK', ['#c', v, 'bye']], 1],
      ['message target', (v) => ['PRIVMSG', [v, 'hi']], 0],
      ['message text', (v) => ['PRIVMSG', ['#c', v]], 1],
    ];
    for (const [what, shape, paramIndex] of shapes) {
      for (const [value, char] of evil) {
        it(`${what} ${JSON.stringify(value)}`, () => {
          const [command, params] = shape(value);
          expect(tryBuildLine(command, params)).toEqual({
            kind: 'refused',
            refusal: { kind: 'forbidden-char', where: 'param', paramIndex, char },
          });
          expect(() => buildLine(command, params)).toThrow(IrcLineRefusedError);
        });
      }
    }
  });

  it('accepts exactly 512 bytes with CRLF and refuses 513', () => {
    const head = 'PRIVMSG #c :';
    const fits = ` a${'é'.repeat((IRC_MAX_LINE_BYTES - 2 - head.length - 2) / 2)}`;
    expect(buildLine('PRIVMSG', ['#c', fits])).toBe(head + fits);
    expect(tryBuildLine('PRIVMSG', ['#c', `${fits}x`])).toEqual({
      kind: 'refused',
      refusal: { kind: 'too-long', bytes: 513 },
    });
  });

  it('buildLine throws an error that carries the refusal but not the text', () => {
    try {
      buildLine('PRIVMSG', ['#c', 'secret\nQUIT']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IrcLineRefusedError);
      const refusal = (err as IrcLineRefusedError).refusal;
      expect(refusal).toEqual({ kind: 'forbidden-char', where: 'param', paramIndex: 1, char: 'LF' });
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['👩‍👩‍👧', 18],
    ['\uD800', 3],
    ['\uDC00x', 4],
  ])('%j is %i bytes', (s, n) => {
    expect(utf8ByteLength(s)).toBe(n);
    expect(utf8ByteLength(s)).toBe(bytes(s));
  });
});

describe('messagePayloadBudget', () => {
  it('assumes a 10-byte user and a 63-byte host when unknown', () => {
    const budget = messagePayloadBudget({ command: 'PRIVMSG', target: '#chan', sender: { nick: 'alice' } });
    const relayed = `:alice!${'u'.repeat(10)}@${'h'.repeat(63)} PRIVMSG #chan :`;
    expect(budget).toBe(512 - relayed.length - 2);
    expect(budget).toBe(413);
  });

  it('uses the real user and host when known, counting bytes', () => {
    const sender = { nick: 'zoé', user: '~z', host: 'gateway/jabirc' };
    const budget = messagePayloadBudget({ command: 'NOTICE', target: '#ça', sender });
    expect(budget).toBe(512 - bytes(':zoé!~z@gateway/jabirc NOTICE #ça :') - 2);
  });

  it('takes the CTCP ACTION framing off for a /me', () => {
    const input = { command: 'PRIVMSG', target: '#c', sender: { nick: 'a' } } as const;
    expect(CTCP_ACTION_OVERHEAD_BYTES).toBe(9);
    expect(messagePayloadBudget({ ...input, action: true })).toBe(messagePayloadBudget(input) - 9);
  });

  it('counts the relayed line by bytes, whatever the target holds (lone surrogates too)', () => {
    // The budget counts ` COMMAND target :` part by part; it must equal the count of the
    // relayed text as one string, as the server sends it.
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom('PRIVMSG' as const, 'NOTICE' as const), text, text, (command, target, nick) => {
        const relayed = `:${nick}!${'u'.repeat(10)}@${'h'.repeat(63)} ${command} ${target} :`;
        expect(messagePayloadBudget({ command, target, sender: { nick } })).toBe(512 - utf8ByteLength(relayed) - 2);
      }),
      { seed: 11, numRuns: 2000 },
    );
  });
});

describe('splitMessageText', () => {
  it.each<[string, number, string[]]>([
    ['hello', 400, ['hello']],
    ['hi\r\nQUIT :x', 400, ['hi', 'QUIT :x']],
    ['a\nb\rc\r\nd', 400, ['a', 'b', 'c', 'd']],
    ['a\n\n\nb', 400, ['a', 'b']],
    ['a\n   \n\tb', 400, ['a', '\tb']],
    ['', 400, []],
    [' \n\t\r\n  ', 400, []],
    ['\r\n\r\n', 400, []],
    ['aaa bbb ccc', 8, ['aaa bbb ', 'ccc']],
    ['aaa bbb ccc', 7, ['aaa ', 'bbb ccc']],
    ['aaa bbb ccc', 6, ['aaa ', 'bbb ', 'ccc']],
    ['aaaaaaaaaa', 4, ['aaaa', 'aaaa', 'aa']],
    ['ab cdefghij', 5, ['ab ', 'cdefg', 'hij']],
    ['a     b', 4, ['a   ', '  b']],
    ['éééé', 5, ['éé', 'éé']],
    ['😀😀😀', 5, ['😀', '😀', '😀']],
    ['x😀', 4, ['x', '😀']],
    ['a\0b\x01c', 400, ['a\uFFFDb\uFFFDc']],
    ['lone \uD800 surrogate', 400, ['lone \uFFFD surrogate']],
    [' lead', 400, [' lead']],
  ])('%j within %i bytes → %j', (text, max, expected) => {
    expect(splitMessageText(text, max)).toEqual(expected);
  });

  it('keeps emoji ZWJ sequences and flags whole when they fit', () => {
    const family = '👩‍👩‍👧'; // 18 bytes, one grapheme cluster
    expect(splitMessageText(`${family}${family}`, 20)).toEqual([family, family]);
    const flag = '🇫🇷'; // 8 bytes
    expect(splitMessageText(`${flag}${flag}${flag}`, 10)).toEqual([flag, flag, flag]);
  });

  it('cuts an oversized cluster between code points, never inside one', () => {
    const zalgo = `a${'\u0301'.repeat(10)}`; // one cluster of 21 bytes
    const chunks = splitMessageText(zalgo, 4);
    expect(chunks.join('')).toBe(zalgo);
    for (const c of chunks) expect(bytes(c)).toBeLessThanOrEqual(4);
  });

  it('refuses a budget that cannot hold every code point', () => {
    expect(() => splitMessageText('x', 3)).toThrow(RangeError);
    expect(() => splitMessageText('x', 4.5)).toThrow(RangeError);
  });

  describe('property: pieces fit, keep whole code points and rebuild each line', () => {
    // A small deterministic PRNG (mulberry32) so failures are reproducible.
    function rng(seed: number): () => number {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    const alphabet = ['a', 'b', ' ', ' ', ' ', 'é', '€', '😀', '👍🏽', '👩‍💻', '\u0301', '中', '\t', '\x02', 'ß'];
    const shapes: Array<(r: () => number) => string> = [
      (r) => Array.from({ length: Math.floor(r() * 400) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''),
      (r) => 'x'.repeat(Math.floor(r() * 2000) + 1),
      (r) => '😀'.repeat(Math.floor(r() * 300) + 1),
      (r) => ' '.repeat(Math.floor(r() * 900) + 1) + 'end',
      (r) => `word ${'y'.repeat(Math.floor(r() * 900))} ${'z '.repeat(Math.floor(r() * 200))}`,
    ];
    for (let seed = 1; seed <= 60; seed++) {
      it(`seed ${seed}`, () => {
        const r = rng(seed);
        const shape = shapes[seed % shapes.length];
        if (shape === undefined) throw new Error('no shape');
        const line = shape(r);
        const max = 4 + Math.floor(r() * 120);
        const chunks = splitMessageText(line, max);
        if (line.trim() === '') {
          expect(chunks).toEqual([]);
          return;
        }
        expect(chunks.join('')).toBe(line);
        for (const c of chunks) {
          expect(c.length).toBeGreaterThan(0);
          expect(bytes(c)).toBeLessThanOrEqual(max);
          expect(c).not.toMatch(/[\r\n\0]/);
          expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
        }
        // Cuts fall after the last space that fits: a piece that holds a
        // space (not one a combining mark attaches to) ends with one.
        for (const c of chunks.slice(0, -1)) {
          if (/ (?!\u0301)/.test(c)) expect(c.endsWith(' ')).toBe(true);
        }
      });
    }
  });
});

describe('buildMessageLines', () => {
  it('refuses a target so long that under 4 bytes are left for the text, even a short one-line text', () => {
    const sender = { nick: 'alice', user: 'a', host: 'h' };
    for (const left of [1, 2, 3]) {
      let target = 'x'.repeat(400);
      target += 'x'.repeat(messagePayloadBudget({ command: 'PRIVMSG', target, sender }) - left);
      expect(messagePayloadBudget({ command: 'PRIVMSG', target, sender })).toBe(left);
      expect(() => buildMessageLines({ command: 'PRIVMSG', target, sender, text: 'hi' })).toThrow(RangeError);
    }
  });

  const sender = { nick: 'alice' };

  it('turns an injected line break into two PRIVMSGs and never a QUIT', () => {
    const lines = buildMessageLines({ command: 'PRIVMSG', target: '#chan', sender, text: 'hi\r\nQUIT :x' });
    expect(lines).toEqual(['PRIVMSG #chan hi', 'PRIVMSG #chan :QUIT :x']);
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\n\0]/);
      expect(line.split(' ')[0]).toBe('PRIVMSG');
    }
  });

  it.each(['hi\nQUIT', 'hi\rQUIT :bye', '\nQUIT', 'x\r\n\r\nPRIVMSG nickserv :identify', 'a\n\rKILL x'])(
    'no command other than PRIVMSG comes out of %j',
    (text) => {
      const lines = buildMessageLines({ command: 'PRIVMSG', target: '#c', sender, text });
      const wire = lines.map((l) => `${l}\r\n`).join('');
      const commands = wire.split('\r\n').filter((l) => l !== '').map((l) => l.split(' ')[0]);
      expect(commands.every((c) => c === 'PRIVMSG')).toBe(true);
      expect(commands.length).toBe(lines.length);
    },
  );

  it('splits a 3000-byte emoji body into lines that fit once relayed and rebuild it', () => {
    const unit = 'Zoé says 👩‍👩‍👧 and 😀, ok? ';
    let text = '';
    while (bytes(text) < 3000) text += unit;
    const target = '#a-rather-long-channel-name';
    const lines = buildMessageLines({ command: 'PRIVMSG', target, sender, text });
    expect(lines.length).toBeGreaterThan(6);
    const head = `PRIVMSG ${target} :`;
    const relayPrefix = `:alice!${'u'.repeat(10)}@${'h'.repeat(63)} `;
    let rebuilt = '';
    for (const line of lines) {
      expect(bytes(`${relayPrefix}${line}\r\n`)).toBeLessThanOrEqual(512);
      const payload = line.startsWith(head) ? line.slice(head.length) : line.slice(head.length - 1);
      rebuilt += payload;
    }
    expect(rebuilt).toBe(text);
  });

  it('wraps each piece of a /me in CTCP ACTION and keeps the relayed line within 512', () => {
    const text = 'dances '.repeat(150);
    const lines = buildMessageLines({ command: 'PRIVMSG', target: '#c', sender, text, action: true });
    let rebuilt = '';
    for (const line of lines) {
      expect(line.startsWith('PRIVMSG #c :\x01ACTION ')).toBe(true);
      expect(line.endsWith('\x01')).toBe(true);
      expect(bytes(`:alice!${'u'.repeat(10)}@${'h'.repeat(63)} ${line}\r\n`)).toBeLessThanOrEqual(512);
      const parsed = parseCtcp(line.slice('PRIVMSG #c :'.length));
      if (parsed.kind !== 'action') throw new Error('not an action');
      rebuilt += parsed.text;
    }
    expect(rebuilt).toBe(text);
  });

  it('yields nothing for a blank body, so the caller can report it', () => {
    expect(buildMessageLines({ command: 'NOTICE', target: 'bob', sender, text: ' \n \r\n' })).toEqual([]);
  });

  it('refuses an invalid target', () => {
    expect(() => buildMessageLines({ command: 'PRIVMSG', target: 'a b', sender, text: 'x' })).toThrow(
      IrcLineRefusedError,
    );
    expect(() => buildMessageLines({ command: 'PRIVMSG', target: '#c\r\nQUIT', sender, text: 'x' })).toThrow(
      IrcLineRefusedError,
    );
  });
});

describe('CTCP', () => {
  it('frames an action', () => {
    expect(ctcpAction('waves')).toBe('\x01ACTION waves\x01');
    expect(ctcpAction('')).toBe('\x01ACTION \x01');
    expect(() => ctcpAction('a\x01VERSION')).toThrow(RangeError);
  });

  it.each([
    ['\x01ACTION waves\x01', { kind: 'action', text: 'waves' }],
    ['\x01ACTION waves', { kind: 'action', text: 'waves' }],
    ['\x01ACTION \x01', { kind: 'action', text: '' }],
    ['\x01ACTION\x01', { kind: 'action', text: '' }],
    ['\x01action waves at  you\x01', { kind: 'action', text: 'waves at  you' }],
    ['\x01VERSION\x01', { kind: 'ctcp', command: 'VERSION', args: '' }],
    ['\x01PING 1473523796 918320\x01', { kind: 'ctcp', command: 'PING', args: '1473523796 918320' }],
    ['\x01DCC SEND f 1 2 3', { kind: 'ctcp', command: 'DCC', args: 'SEND f 1 2 3' }],
    ['hello', { kind: 'plain', text: 'hello' }],
    ['', { kind: 'plain', text: '' }],
    ['\x01', { kind: 'plain', text: '\x01' }],
    ['\x01\x01', { kind: 'plain', text: '\x01\x01' }],
    ['\x01 x\x01', { kind: 'plain', text: '\x01 x\x01' }],
    ['say \x01ACTION x\x01', { kind: 'plain', text: 'say \x01ACTION x\x01' }],
  ])('parses %j', (text, expected) => {
    expect(parseCtcp(text)).toEqual(expected);
  });
});
