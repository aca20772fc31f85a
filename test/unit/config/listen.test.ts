import { describe, expect, it } from 'vitest';
import { parseListen } from '../../../src/config/listen.js';
import { parseConfig } from '../../../src/config/load.js';

describe('parseListen', () => {
  it.each<[string, ReturnType<typeof parseListen>]>([
    ['9107', { host: undefined, port: 9107 }],
    ['127.0.0.1:9107', { host: '127.0.0.1', port: 9107 }],
    ['0.0.0.0:113', { host: '0.0.0.0', port: 113 }],
    ['[::1]:113', { host: '::1', port: 113 }],
    ['[::]:113', { host: '::', port: 113 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['70000', undefined],
    ['::1:113', undefined],
    ['[nope]:113', undefined],
    ['host:', undefined],
    ['', undefined],
  ])('%j', (text, expected) => {
    expect(parseListen(text)).toEqual(expected);
  });

  it('is what the schema checks for [metrics] and [identd]', () => {
    const min = '[component]\njid = "irc.localhost"\nsecret = "s"\n';
    const cfg = parseConfig(`${min}[metrics]\nlisten = "9107"\n[identd]\nlisten = "[::]:113"\n`, 'f');
    expect(cfg.metrics.listen).toBe('9107');
    expect(cfg.identd).toEqual({ listen: '[::]:113', ident: 'hash' });
    expect(parseConfig(min, 'f').metrics.listen).toBeUndefined();
    expect(() => parseConfig(`${min}[metrics]\nlisten = "nine"\n`, 'f')).toThrow('"metrics.listen": must be "host:port"');
  });
});
