import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

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
