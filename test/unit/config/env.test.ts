import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environmentVariables } from '../../../src/config/env.js';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { errorOf } from './config-error.js';
import { renderConfigReference } from '../../../src/config/docs.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s"\n';

describe('configuration from the environment (JABIRC_<SECTION>_<KEY>)', () => {
  it('names one variable per key, including nested tables, and none for keys inside a table of tables', () => {
    const vars = new Map(environmentVariables().map((v) => [v.variable, v.path]));
    expect(vars.get('JABIRC_COMPONENT_JID')).toBe('component.jid');
    expect(vars.get('JABIRC_COMPONENT_CONNECT_TIMEOUT_MS')).toBe('component.connect_timeout_ms');
    expect(vars.get('JABIRC_IRC_FLOOD_INTERVAL_MS')).toBe('irc.flood.interval_ms');
    expect(vars.get('JABIRC_IRC_NETWORKS')).toBe('irc.networks');
    expect([...vars.values()].filter((p) => p.startsWith('irc.networks.'))).toEqual([]);
  });

  it.each<[string, Record<string, string>, (c: ReturnType<typeof parseConfig>) => unknown, unknown]>([
    ['a string', { JABIRC_COMPONENT_HOST: '192.0.2.1' }, (c) => c.component.host, '192.0.2.1'],
    ['an integer', { JABIRC_IRC_PORT: '6667' }, (c) => c.irc.port, 6667],
    ['a boolean', { JABIRC_IRC_TLS: 'false' }, (c) => c.irc.tls, false],
    ['an enum', { JABIRC_LOG_LEVEL: 'debug' }, (c) => c.log.level, 'debug'],
    ['a nested key', { JABIRC_IRC_FLOOD_ENABLED: 'false' }, (c) => c.irc.flood, { enabled: false, burst: 5, interval_ms: 500 }],
    ['a comma list', { JABIRC_ACCESS_DOMAINS: 'a.example, b.example' }, (c) => c.access.domains, ['a.example', 'b.example']],
    ['a TOML array', { JABIRC_ACCESS_DOMAINS: '["a.example"]' }, (c) => c.access.domains, ['a.example']],
    [
      'a table of tables',
      { JABIRC_IRC_NETWORKS: '{ "irc.libera.chat" = {}, localhost = { port = 6667, tls = false } }' },
      (c) => c.irc.networks,
      { 'irc.libera.chat': {}, localhost: { port: 6667, tls: false } },
    ],
    ['the secret', { JABIRC_COMPONENT_SECRET: 'env' }, (c) => c.component.secret, 'env'],
    ['an empty variable as unset (the file stays)', { JABIRC_IRC_PORT: '' }, (c) => c.irc.port, 7000],
  ])('reads %s, winning over the file', (_what, env, pick, expected) => {
    const file = `${MIN}[irc]\nport = 7000\ntls = true\n[irc.networks."other.example"]\n[access]\ndomains = ["file.example"]\n`;
    const base = parseConfig(file, 'f.toml');
    const cfg = parseConfig(file, 'f.toml', env);
    expect(pick(cfg)).toEqual(expected);
    if (!('JABIRC_IRC_PORT' in env)) expect(cfg.irc.port).toBe(base.irc.port);
  });

  it('leaves a checkout directory for tools (JABIRC_DIR, as gwbench\'s profile sets) alone', () => {
    expect(parseConfig(MIN, 'f.toml', { JABIRC_DIR: '/srv/jabirc' }).irc.port).toBe(parseConfig(MIN, 'f.toml').irc.port);
  });

  it('configures a gateway with no file at all', () => {
    const cfg = parseConfig('', 'none', { JABIRC_COMPONENT_JID: 'irc.example.org', JABIRC_COMPONENT_SECRET: 's' });
    expect(cfg.component.jid).toBe('irc.example.org');
  });

  it.each([
    [{ JABIRC_IRC_PORT: 'six' }, '"irc.port": expected number, got string (from the environment variable JABIRC_IRC_PORT)'],
    [{ JABIRC_IRC_TLS: 'yes' }, '(from the environment variable JABIRC_IRC_TLS)'],
    [{ JABIRC_IRC_NETWORKS: '{ x = {' }, 'environment variable JABIRC_IRC_NETWORKS: not a TOML value'],
    [{ JABIRC_IRC_NETWORKS: '{ "n.example" = { prot = 1 } }' }, 'unknown key "irc.networks."n.example".prot" (from the environment variable JABIRC_IRC_NETWORKS)'],
    [{ JABIRC_IRC_PROT: '1', JABIRC_LOGS_LEVEL: 'x' }, 'unknown environment variable JABIRC_IRC_PROT (not a configuration key); unknown environment variable JABIRC_LOGS_LEVEL'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(errorOf(() => parseConfig(MIN, 'f.toml', env))).toContain(message);
  });

  it('leaves JABIRC_CONFIG and JABIRC_SECRET_KEY alone', () => {
    expect(() => parseConfig(MIN, 'f.toml', { JABIRC_CONFIG: '/x.toml', JABIRC_SECRET_KEY: '' })).not.toThrow();
  });

  it('reads a missing file as empty only when asked (the default path)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-env-'));
    const file = join(dir, 'absent.toml');
    const env = { JABIRC_COMPONENT_JID: 'irc.example.org', JABIRC_COMPONENT_SECRET: 's', JABIRC_DATABASE_PATH: join(dir, 'db.sqlite') };
    expect(errorOf(() => loadConfig(file, env))).toContain('no such file');
    expect(loadConfig(file, env, { missingIsEmpty: true }).component.jid).toBe('irc.example.org');
  });

  it('documents every variable in the generated reference', () => {
    const ref = renderConfigReference();
    for (const { variable } of environmentVariables()) expect(ref).toContain(`\`${variable}\``);
  });
});
