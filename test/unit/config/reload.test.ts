import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { applyLive, diffConfig, LIVE_KEYS } from '../../../src/config/reload.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s"\n';
const cfg = (toml: string) => parseConfig(MIN + toml, 'f.toml');

describe('diffConfig and applyLive', () => {
  it('finds no change in the same file', () => {
    expect(diffConfig(cfg('[irc.networks."a.example"]\n'), cfg('[irc.networks."a.example"]\n'))).toEqual({ live: [], restart: [] });
  });

  it.each<[string, string, string, { live: string[]; restart: string[] }]>([
    ['a network added', '', '[irc.networks."a.example"]\n', { live: ['irc.networks', 'irc.networks.a.example'], restart: [] }],
    ['a network port', '[irc.networks."a.example"]\nport = 1\n', '[irc.networks."a.example"]\nport = 2\n', { live: ['irc.networks.a.example.port'], restart: [] }],
    ['flood', '', '[irc.flood]\nburst = 9\n', { live: ['irc.flood.burst'], restart: [] }],
    ['admins', '', '[access]\nadmins = ["a@b.c"]\n', { live: ['access.admins'], restart: [] }],
    ['domains (handed to the core on reload)', '', '[access]\ndomains = ["b.c"]\n', { live: ['access.domains'], restart: [] }],
    ['limits (read through the running configuration)', '', '[irc]\nmax_channels_per_user = 3\nreconnect_per_second = 2\n', { live: ['irc.max_channels_per_user', 'irc.reconnect_per_second'], restart: [] }],
    ['the log level (handed to the logger on reload)', '', '[log]\nlevel = "debug"\n', { live: ['log.level'], restart: [] }],
    // Listeners move live (main.ts restarts their sockets); a database elsewhere needs a restart.
    ['listeners and the database', '[metrics]\nlisten = "9107"\n', '[metrics]\nlisten = "9108"\n[identd]\nlisten = "1113"\n[database]\npath = "/tmp/other.db"\n', { live: ['identd.listen', 'metrics.listen'], restart: ['database.path'] }],
  ])('%s', (_what, before, after, expected) => {
    expect(diffConfig(cfg(before), cfg(after))).toEqual(expected);
  });

  it('applies exactly the live keys, in place', () => {
    const running = cfg('[access]\ndomains = ["old.example"]\n');
    const irc = running.irc;
    const next = cfg('[access]\ndomains = ["new.example"]\nadmins = ["a@b.c"]\n[irc]\nallow_unlisted = true\nmax_channels_per_user = 7\n[irc.flood]\nenabled = false\n[irc.networks."a.example"]\n[log]\nlevel = "debug"\n[database]\npath = "/tmp/other.db"\n');
    applyLive(running, next);
    expect(running.irc).toBe(irc);
    expect(running.log.level).toBe('debug');
    expect(diffConfig(running, next)).toEqual({ live: [], restart: ['database.path'] });
    expect(LIVE_KEYS).toContain('access.domains');
  });
});
