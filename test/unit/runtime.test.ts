/**
 * The runtime's observer (what metrics hang on): it sees every input and effect, in
 * order, and a failing observer stops nothing.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { connKey, type ConnKey, type Effect } from '../../src/core/effects.js';
import { createLogger } from '../../src/log.js';
import { Runtime, type CoreInputs, type RuntimeObserver } from '../../src/runtime.js';

const key = connKey('a@b.c', 'n.example');

function setup(observer: RuntimeObserver) {
  const sent: Element[] = [];
  const lines: string[][] = [];
  const reply = xml('message', { to: 'a@b.c' }, xml('body', {}, 'hi'));
  const core: CoreInputs = {
    onStanza: () => [{ kind: 'send-stanza', stanza: reply }, { kind: 'irc-send', key, lines: ['PRIVMSG #c :hi'] }],
    onIrcLine: () => [],
    onIrcEvent: () => [],
    onTimer: () => [],
  };
  const runtime = new Runtime(
    core,
    { send: (s) => void sent.push(s) },
    { connect: () => undefined, send: (_k: ConnKey, l: string[]) => void lines.push(l), quit: () => undefined },
    createLogger('silent').log,
    observer,
  );
  return { runtime, sent, lines, reply };
}

describe('Runtime observer', () => {
  it('sees every input and every effect, in order', () => {
    const seen: string[] = [];
    const { runtime } = setup({
      stanzaIn: (s) => void seen.push(`in ${s.name}`),
      ircLineIn: (k) => void seen.push(`line ${k}`),
      ircEvent: (_k, e) => void seen.push(`event ${e.kind}`),
      effect: (e: Effect) => void seen.push(`effect ${e.kind}`),
    });
    runtime.onStanza(xml('message'));
    runtime.onIrcLine(key, 'PING :x');
    runtime.onIrcEvent(key, { kind: 'registered', nick: 'n' });
    expect(seen).toEqual(['in message', 'effect send-stanza', 'effect irc-send', `line ${key}`, 'event registered']);
  });

  it('carries out every effect even when the observer throws', () => {
    const boom = (): never => {
      throw new Error('observer bug');
    };
    const { runtime, sent, lines, reply } = setup({ stanzaIn: boom, ircLineIn: boom, ircEvent: boom, effect: boom });
    runtime.onStanza(xml('message'));
    expect(sent).toEqual([reply]);
    expect(lines).toEqual([['PRIVMSG #c :hi']]);
  });
});
