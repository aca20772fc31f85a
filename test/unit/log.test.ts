import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChild, MAX_OPERATOR_SECRETS } from '../../src/log.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger', () => {
  it('never writes a registered secret or a secret-named field, even at trace', () => {
    const out = capture();
    const { log, addSecret } = createLogger('trace', out.stream);
    const secret = 'hunter2-"quoted"\\x';
    addSecret(secret);
    log.trace({ xml: `<handshake>${secret}</handshake>` }, 'xmpp out');
    log.info({ component: { secret, host: 'h' } }, 'config');
    log.debug({ password: 'pw-123', user: { password: 'pw-456' } }, 'registration');
    log.error({ err: new Error(`failed with ${secret}`) }, 'oops');
    log.warn(`message text carrying ${secret}`);
    const text = out.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('pw-123');
    expect(text).not.toContain('pw-456');
    expect(text.split('\n').filter(Boolean)).toHaveLength(5);
    expect(text).toContain('[Redacted]');
    // The rest of each line survives.
    expect(text).toContain('"host":"h"');
  });

  it('emits JSON lines at the configured level only', () => {
    const out = capture();
    const { log } = createLogger('warn', out.stream);
    log.info('hidden');
    log.warn({ n: 1 }, 'shown');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'shown', n: 1, level: 40 });
  });

  it('setLevel applies to the children and grandchildren made before and after it (a reload)', () => {
    const out = capture();
    const { log, setLevel } = createLogger('info', out.stream);
    const module = log.child({ module: 'bridge' });
    const perUser = module.child({ user: 'alice@example.org' });
    module.debug('hidden at info');
    setLevel('debug');
    const later = log.child({ module: 'irc' });
    module.debug('module debug');
    perUser.debug('user debug');
    later.debug('later debug');
    expect(perUser.isLevelEnabled('debug')).toBe(true);
    setLevel('warn');
    perUser.info('hidden at warn');
    later.warn('later warn');
    const msgs = out.text().trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['module debug', 'user debug', 'later debug', 'later warn']);
    expect([log.level, module.level, perUser.level, later.level]).toEqual(['warn', 'warn', 'warn', 'warn']);
  });

  it('serialises every kind of value as pino with the same redaction does, secrets at depth 1-3 redacted', () => {
    const values: Record<string, unknown> = {
      s: 'plain "quoted" \\ back\nslash \u0000 \u2028 é 𝄞 \ud800 lone',
      n: 42.5,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      neg: -0,
      t: true,
      f: false,
      nil: null,
      big: 12n,
      arr: [1, 'two', { password: 'pw-a' }],
      nested: { a: { password: 'pw-b', keep: 'k' }, password: 'pw-c' },
      password: 'pw-d',
    };
    const ours = capture();
    createLogger('info', ours.stream).log.info(values, 'values');
    const plain = capture();
    pino({ base: { name: 'jabirc' }, redact: { paths: ['password', '*.password', '*.*.password'], censor: '[Redacted]' } }, plain.stream).info(values, 'values');
    const untimed = (line: string): string => line.replace(/"time":\d+,/, '');
    expect(untimed(ours.text())).toBe(untimed(plain.text()));
    expect(ours.text()).not.toMatch(/pw-[bcd]/);
    expect(ours.text()).toContain('"keep":"k"');
  });

  it('a lazy child logs with its bindings, at the level the root has when it logs, redacted like the others', () => {
    const out = capture();
    const { log, setLevel } = createLogger('info', out.stream);
    const conn = lazyChild(log.child({ module: 'irc' }), { network: 'irc.example.org', user: 'alice@example.org' });
    conn.debug({ n: 1 }, 'hidden at info');
    expect(conn.isLevelEnabled('debug')).toBe(false);
    setLevel('debug');
    expect(conn.isLevelEnabled('debug')).toBe(true);
    conn.debug({ n: 2, password: 'pw-789' }, 'shown at debug');
    setLevel('warn');
    conn.info('hidden at warn');
    conn.error('shown at warn');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ module: 'irc', network: 'irc.example.org', user: 'alice@example.org', n: 2, password: '[Redacted]', msg: 'shown at debug', level: 20 });
    expect(lines[1]).toMatchObject({ network: 'irc.example.org', msg: 'shown at warn', level: 50 });
  });
});

describe('XMPP wire redaction', () => {
  it('hides the handshake, legacy passwords and secret form fields', async () => {
    const { redactWire } = await import('../../src/adapters/xmpp-link.js');
    const wire =
      "<handshake>abc123</handshake><query xmlns='jabber:iq:register'><password>legacy-pw</password>" +
      "<x type='submit'><field var='nick'><value>alice</value></field><field var='sasl_password' type='text-private'><value>sasl-pw</value></field>" +
      '<field var="key"><value>chan-key</value></field><field var="nickserv_password"><value>ns-pw</value></field>' +
      "<field var='after_connect' type='text-multi'><value>PRIVMSG NickServ :IDENTIFY ac-pw</value><value>OPER alice oper-pw</value></field></x></query>";
    const out = redactWire(wire);
    for (const secret of ['abc123', 'legacy-pw', 'sasl-pw', 'chan-key', 'ns-pw', 'ac-pw', 'oper-pw']) expect(out).not.toContain(secret);
    expect(out).toContain('<value>alice</value>');
  });
});

describe('operator secrets only (issue 8 §2)', () => {
  it('takes a bounded number of secrets: a flood of user strings is refused and said so', () => {
    const out = capture();
    const { log, addSecret } = createLogger('info', out.stream);
    for (let i = 0; i < MAX_OPERATOR_SECRETS; i++) expect(addSecret(`operator-secret-${i}`)).toBe(true);
    expect(addSecret('user-nickserv-pw')).toBe(false);
    log.info({ a: 'operator-secret-0', b: 'user-nickserv-pw' }, 'values');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 50, msg: expect.stringContaining('addSecret refused') });
    // The operator's secret is scrubbed; the refused string is ordinary data again.
    expect(lines[1]).toMatchObject({ a: '[Redacted]', b: 'user-nickserv-pw' });
  });

  it.each(['"', '\\', 'level', '":', ',"', '}', 'n'])('a secret that overlaps JSON syntax (%j) never breaks a line', (secret) => {
    const out = capture();
    const { log, addSecret } = createLogger('trace', out.stream);
    addSecret(secret);
    log.info({ text: `a "quoted" \\ back\nslash ${secret}`, n: 1 }, 'message');
    log.warn({ nested: { level: 'x', list: ['}', '"'] } }, 'another');
    log.error({ err: new Error(`boom ${secret}`) }, 'oops');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { level?: unknown };
      expect(typeof parsed.level).toBe('number');
    }
  });

  it('redacts identity password fields by name, whoever logs them', () => {
    const out = capture();
    const { log } = createLogger('trace', out.stream);
    log.debug({ identity: { nickservPassword: 'ns-1', saslPassword: 'sasl-1', serverPassword: 'srv-1', afterConnect: ['OPER me op-1'] } }, 'identity');
    for (const s of ['ns-1', 'sasl-1', 'srv-1', 'op-1']) expect(out.text()).not.toContain(s);
  });
});

describe('IRC wire redaction', () => {
  it('scrubs a connection’s own passwords and after-connect commands from its trace lines only', async () => {
    const { redactLine, traceSecretsOf } = await import('../../src/adapters/irc-pool.js');
    const secrets = traceSecretsOf({
      serverPassword: 'srv-pw',
      sasl: { account: 'acct', password: 'sasl-pw' },
      traceSecrets: ['PRIVMSG Q@CServe.quakenet.org :AUTH alice q-pw', 'ns-pw'],
    });
    expect(redactLine('PRIVMSG Q@CServe.quakenet.org :AUTH alice q-pw', secrets)).toBe('[Redacted]');
    // An echo-message echo carries the command under the server's prefix, or its text alone.
    expect(redactLine(':alice!a@h PRIVMSG Q@CServe.quakenet.org :AUTH alice q-pw', secrets)).toBe(':alice!a@h [Redacted]');
    // Channel keys (issue 8 §5).
    expect(redactLine('JOIN #secret s3same')).toBe('JOIN #secret [Redacted]');
    expect(redactLine('JOIN #a,#b k1,k2')).toBe('JOIN #a,#b [Redacted]');
    expect(redactLine('JOIN #open')).toBe('JOIN #open');
    expect(redactLine(':op!o@h MODE #c +kl s3same 10')).toBe(':op!o@h MODE #c +kl [Redacted]');
    expect(redactLine('MODE #c +o bob')).toBe('MODE #c +o bob');
    expect(redactLine(':alice!a@h PRIVMSG Q :AUTH alice q-pw', secrets)).toBe(':alice!a@h PRIVMSG Q :[Redacted]');
    expect(redactLine('PRIVMSG #c :my password is sasl-pw', secrets)).toBe('PRIVMSG #c :my password is [Redacted]');
    expect(redactLine('PASS srv-pw', secrets)).toBe('PASS [Redacted]');
    expect(redactLine('PRIVMSG NickServ :IDENTIFY ns-pw', secrets)).toBe('PRIVMSG NickServ :IDENTIFY [Redacted]');
    // Another connection (no secrets) is untouched by this user's strings.
    expect(redactLine('PRIVMSG #c :sasl-pw q-pw', [])).toBe('PRIVMSG #c :sasl-pw q-pw');
  });
});
