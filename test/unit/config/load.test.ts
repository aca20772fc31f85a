import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, SECRET_ENV, SECRET_KEY_ENV } from '../../../src/config/load.js';
import { errorOf } from './config-error.js';

const MIN = '[component]\njid = "irc.localhost"\nsecret = "s3cret"\n';

describe('config loading', () => {
  it('loads config.example.toml through the schema', () => {
    const cfg = parseConfig(readFileSync('config.example.toml', 'utf8'), 'config.example.toml');
    expect(cfg.component.jid).toBe('irc.example.org');
    expect(cfg.component.port).toBe(5347);
    expect(cfg.irc.allow_private_addresses).toBe(false);
    expect(Object.keys(cfg.irc.networks)).toEqual(['irc.libera.chat', 'irc.oftc.net']);
  });

  it('fills defaults for a minimal file', () => {
    const cfg = parseConfig(MIN, 'f.toml');
    expect(cfg.database.path).toBe('data/jabirc.sqlite');
    expect(cfg.log.level).toBe('info');
    expect(cfg.access.domains).toEqual([]);
    expect(cfg.irc.allow_private_addresses).toBe(false);
    expect(cfg.component.host).toBe('127.0.0.1');
  });

  it('reads [history], with its defaults, and names an unknown or out-of-range key', () => {
    expect(parseConfig(MIN, 'f.toml').history).toEqual({ enabled: true, retention_days: 30, max_messages_per_channel: 100_000, on_join: 20 });
    const cfg = parseConfig(`${MIN}[history]\nenabled = false\nretention_days = 7\non_join = 0\n`, 'f.toml');
    expect(cfg.history).toEqual({ enabled: false, retention_days: 7, max_messages_per_channel: 100_000, on_join: 0 });
    expect(errorOf(() => parseConfig(`${MIN}[history]\nretention = 7\n`, 'f.toml'))).toMatch(/retention/);
    expect(errorOf(() => parseConfig(`${MIN}[history]\non_join = 251\n`, 'f.toml'))).toMatch(/history\.on_join/);
  });

  it('takes the secret from the environment, which wins over the file', () => {
    const noSecret = '[component]\njid = "irc.localhost"\n';
    expect(parseConfig(noSecret, 'f', { [SECRET_ENV]: 'from-env' }).component.secret).toBe('from-env');
    expect(parseConfig(MIN, 'f', { [SECRET_ENV]: 'from-env' }).component.secret).toBe('from-env');
    expect(errorOf(() => parseConfig(noSecret, 'f'))).toContain(`"component.secret": missing`);
  });

  it('takes the secret key from the file or the environment, which wins, and leaves it unset otherwise', () => {
    const fileKey = 'A'.repeat(43) + '=';
    const envKey = 'B'.repeat(42) + 'A=';
    const withKey = `${MIN}[database]\nsecret_key = "${fileKey}"\n`;
    expect(parseConfig(MIN, 'f').database.secret_key).toBeUndefined();
    expect(parseConfig(withKey, 'f').database.secret_key).toBe(fileKey);
    expect(parseConfig(MIN, 'f', { [SECRET_KEY_ENV]: envKey }).database.secret_key).toBe(envKey);
    expect(parseConfig(withKey, 'f', { [SECRET_KEY_ENV]: envKey }).database.secret_key).toBe(envKey);
    expect(parseConfig(withKey, 'f', { [SECRET_KEY_ENV]: '' }).database.secret_key).toBe(fileKey);
  });

  it.each([
    ['not base64', 'not a key!'],
    ['16 bytes', 'A'.repeat(22) + '=='],
    ['33 bytes', 'A'.repeat(44)],
    ['base64url', '-'.repeat(43) + '='],
    ['not canonical', 'A'.repeat(42) + 'B='],
  ])('refuses a secret key that is %s, naming the key or the variable without echoing it', (_name, bad) => {
    const fromFile = errorOf(() => parseConfig(`${MIN}[database]\nsecret_key = "${bad}"\n`, 'gw.toml'));
    expect(fromFile).toContain('"database.secret_key": must be 32 bytes in base64');
    expect(fromFile).not.toContain(bad);
    const fromEnv = errorOf(() => parseConfig(MIN, 'gw.toml', { [SECRET_KEY_ENV]: bad }));
    expect(fromEnv).toBe(
      `environment variable ${SECRET_KEY_ENV}: must be 32 bytes in base64 (44 characters), e.g. the output of \`openssl rand -base64 32\``,
    );
  });

  it.each([
    ['unknown key', `${MIN}colour = 1\n`, 'unknown key "component.colour"'],
    ['unknown table', `${MIN}[ircc]\n`, 'unknown key "ircc"'],
    ['unknown nested key', `${MIN}[irc.networks."irc.libera.chat"]\nhots = "x"\n`, 'unknown key "irc.networks."irc.libera.chat".hots"'],
    ['wrong type', `${MIN}port = "5347"\n`, '"component.port": expected number, got string'],
    ['malformed JID', '[component]\njid = "gw@irc.localhost"\nsecret = "s"\n', '"component.jid": must be a domain name'],
    ['missing jid', '[component]\nsecret = "s"\n', '"component.jid": missing'],
    ['missing component', '', '"component": missing'],
    ['bad log level', `${MIN}[log]\nlevel = "loud"\n`, '"log.level"'],
    ['fixed network not listed', `${MIN}[irc]\nfixed_network = "irc.libera.chat"\n`, '"irc.fixed_network"'],
  ])('names the key at fault: %s', (_name, text, expected) => {
    expect(errorOf(() => parseConfig(text, 'gw.toml'))).toContain(expected);
  });

  it('reports a TOML syntax error with file, line and column', () => {
    expect(errorOf(() => parseConfig(`${MIN}\nport = \n`, 'gw.toml'))).toMatch(/^gw\.toml:5:\d+: TOML syntax error/);
  });

  it('reports a missing file by name', () => {
    expect(errorOf(() => loadConfig('/nonexistent/jabirc.toml'))).toBe(
      'cannot read config file /nonexistent/jabirc.toml: no such file',
    );
  });

  it('checks that the database path could be created, without creating it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-cfg-'));
    const file = join(dir, 'c.toml');
    writeFileSync(file, `${MIN}[database]\npath = "${dir}/deep/er/db.sqlite"\n`);
    expect(loadConfig(file).database.path).toBe(`${dir}/deep/er/db.sqlite`);

    mkdirSync(join(dir, 'isdir.sqlite'));
    writeFileSync(file, `${MIN}[database]\npath = "${dir}/isdir.sqlite"\n`);
    expect(errorOf(() => loadConfig(file))).toContain('"database.path"');

    writeFileSync(join(dir, 'plain'), 'x');
    writeFileSync(file, `${MIN}[database]\npath = "${dir}/plain/db.sqlite"\n`);
    expect(errorOf(() => loadConfig(file))).toContain('is not a directory');
  });

  it('refuses a database directory it cannot write to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jabirc-cfg-'));
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o500);
    const file = join(dir, 'c.toml');
    writeFileSync(file, `${MIN}[database]\npath = "${dir}/ro/db.sqlite"\n`);
    // root may write anywhere, so as root the same path is accepted: assert what access(2) says.
    let writable = true;
    try {
      accessSync(join(dir, 'ro'), constants.W_OK);
    } catch {
      writable = false;
    }
    if (writable) expect(loadConfig(file).database.path).toBe(`${dir}/ro/db.sqlite`);
    else expect(errorOf(() => loadConfig(file))).toContain('is not writable');
  });
});
