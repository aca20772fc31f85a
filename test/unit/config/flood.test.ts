import { describe, expect, it } from 'vitest';
import { floodForNetwork } from '../../../src/config/flood.js';
import { parseConfig } from '../../../src/config/load.js';
import { DEFAULT_PACER_OPTIONS } from '../../../src/core/pacing.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s"\n';
const irc = (toml: string) => parseConfig(MIN + toml, 'f.toml').irc;

describe('floodForNetwork', () => {
  it('defaults to the pacing Jabirc always had: a burst of 5, then one line per 500 ms', () => {
    expect(DEFAULT_PACER_OPTIONS).toEqual({ burst: 5, intervalMs: 500 });
    expect(floodForNetwork(irc(''), 'irc.libera.chat')).toEqual({ burst: 5, intervalMs: 500 });
  });

  it.each<[string, string, string, ReturnType<typeof floodForNetwork>]>([
    ['global values', '[irc.flood]\nburst = 10\ninterval_ms = 200\n', 'any.example', { burst: 10, intervalMs: 200 }],
    ['globally off', '[irc.flood]\nenabled = false\n', 'any.example', null],
    ['a network key wins over the global one', '[irc.flood]\nburst = 10\n[irc.networks."n.example".flood]\nburst = 2\n', 'n.example', { burst: 2, intervalMs: 500 }],
    ['a network off while the global is on', '[irc.networks."n.example".flood]\nenabled = false\n', 'n.example', null],
    ['a network on while the global is off, with global values', '[irc.flood]\nenabled = false\nburst = 7\n[irc.networks."n.example".flood]\nenabled = true\n', 'n.example', { burst: 7, intervalMs: 500 }],
    ['another network keeps the global', '[irc.networks."n.example".flood]\nenabled = false\n', 'other.example', { burst: 5, intervalMs: 500 }],
    ['a listed network without a flood table', '[irc.networks."n.example"]\nport = 6667\n', 'n.example', { burst: 5, intervalMs: 500 }],
  ])('%s', (_what, toml, network, expected) => {
    expect(floodForNetwork(irc(toml), network)).toEqual(expected);
  });

  it.each([
    ['[irc.flood]\nburst = 0\n', '"irc.flood.burst"'],
    ['[irc.flood]\ninterval_ms = -1\n', '"irc.flood.interval_ms"'],
    ['[irc.flood]\nrate = 1\n', 'unknown key "irc.flood.rate"'],
    ['[irc.networks."n.example".flood]\nenabled = "no"\n', '"irc.networks."n.example".flood.enabled"'],
  ])('refuses %j naming the key', (toml, key) => {
    expect(() => irc(toml)).toThrow(key);
  });
});
