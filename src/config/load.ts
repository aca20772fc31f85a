/**
 * Loads `config.toml` into a validated `Config`.
 *
 * Why: a misconfigured gateway must fail at once with one message that names the file
 * or the key at fault, not later with a stack trace or, worse, a silent retry loop.
 * Every failure here is a `ConfigError` whose message is meant to be printed as is.
 *
 * Rules: reads the file and the environment it is given (never `process.env` directly,
 * so tests stay pure); touches no network; never creates anything (check-config must be
 * free of side effects), it only checks that the database path could be created.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { applyEnvironment, EnvError } from './env.js';
import { configSchemas, type Config } from './schema.js';

export const SECRET_ENV = 'JABIRC_COMPONENT_SECRET';
/** Key of the stored secrets; wins over `database.secret_key`, like SECRET_ENV over `component.secret`. */
export const SECRET_KEY_ENV = 'JABIRC_SECRET_KEY';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Dotted key path as written in TOML: `irc.networks."irc.libera.chat".port`. */
function keyPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((p) => (typeof p === 'string' && /^[A-Za-z0-9_-]+$/.test(p) ? p : JSON.stringify(String(p))))
    .join('.');
}

/** Says which environment variable set the key at fault, when one did. */
function describeIssueFrom(issue: z.core.$ZodIssue, sources: ReadonlyMap<string, string>): string {
  const text = describeIssue(issue);
  const path = issue.path.map(String);
  for (let n = path.length; n > 0; n--) {
    const variable = sources.get(path.slice(0, n).join('.'));
    if (variable !== undefined) return `${text} (from the environment variable ${variable})`;
  }
  return text;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `unknown key "${keyPath([...issue.path, k])}"`).join('; ');
  }
  const where = issue.path.length > 0 ? `"${keyPath(issue.path)}"` : 'the file';
  if (issue.code === 'invalid_type') {
    // zod 4 does not keep the input in issues; its message ends with what it received.
    const received = /received (\w+)$/.exec(issue.message)?.[1];
    return received === 'undefined'
      ? `${where}: missing (expected ${issue.expected})`
      : `${where}: expected ${issue.expected}, got ${received ?? 'another type'}`;
  }
  return `${where}: ${issue.message}`;
}

/**
 * Parse and validate config text, with `JABIRC_<SECTION>_<KEY>` variables of `env`
 * overriding keys (config/env.ts); `source` names the file in messages.
 */
export function parseConfig(text: string, source: string, env: Record<string, string | undefined> = {}): Config {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      throw new ConfigError(`${source}:${err.line}:${err.column}: TOML syntax error: ${first}`);
    }
    throw err;
  }
  const schemas = configSchemas();
  let merged;
  try {
    merged = applyEnvironment(raw as Record<string, unknown>, env, schemas.config);
  } catch (err) {
    if (err instanceof EnvError) throw new ConfigError(err.message);
    throw err;
  }
  const result = schemas.config.safeParse(merged.raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssueFrom(issue, merged.sources));
    throw new ConfigError(`${source}: invalid configuration: ${lines.join('; ')}`);
  }
  const cfg = result.data;
  const secret = env[SECRET_ENV] ?? cfg.component.secret;
  if (secret === undefined || secret === '') {
    throw new ConfigError(
      `${source}: "component.secret": missing (set it in the file or in the environment variable ${SECRET_ENV})`,
    );
  }
  const envKey = env[SECRET_KEY_ENV];
  let secretKey = cfg.database.secret_key;
  if (envKey !== undefined && envKey !== '') {
    const checked = schemas.secretKey.safeParse(envKey);
    if (!checked.success) {
      throw new ConfigError(`environment variable ${SECRET_KEY_ENV}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    }
    secretKey = checked.data;
  }
  return {
    ...cfg,
    component: { ...cfg.component, secret },
    database: secretKey === undefined ? cfg.database : { ...cfg.database, secret_key: secretKey },
  };
}

/** Checks, without creating anything, that the database file could be opened for writing. */
export function checkDatabasePath(path: string, source: string): void {
  const abs = resolve(path);
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new ConfigError(`${source}: "database.path": ${abs} exists and is not a file`);
    accessSync(abs, constants.R_OK | constants.W_OK);
    return;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new ConfigError(`${source}: "database.path": a parent of ${abs} is not a directory`);
    if (code !== 'ENOENT') {
      throw new ConfigError(`${source}: "database.path": ${abs} is not readable and writable`);
    }
  }
  // The file does not exist yet: the nearest existing ancestor must be a writable directory.
  let dir = dirname(abs);
  for (;;) {
    try {
      const st = statSync(dir);
      if (!st.isDirectory()) throw new ConfigError(`${source}: "database.path": ${dir} is not a directory`);
      accessSync(dir, constants.W_OK | constants.X_OK);
      return;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError(`${source}: "database.path": cannot create ${abs}: ${dir} is not writable`);
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new ConfigError(`${source}: "database.path": cannot create ${abs}`);
    dir = up;
  }
}

/**
 * Read, parse and validate a config file. Throws `ConfigError` with a printable message.
 * `missingIsEmpty`: a file that does not exist reads as empty (the default path, when the
 * environment alone configures the gateway).
 */
export function loadConfig(
  file: string,
  env: Record<string, string | undefined> = {},
  opts: { missingIsEmpty?: boolean } = {},
): Config {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === 'ENOENT' && opts.missingIsEmpty)) {
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
      throw new ConfigError(`cannot read config file ${file}: ${why}`);
    }
  }
  const cfg = parseConfig(text, file, env);
  checkDatabasePath(cfg.database.path, file);
  return cfg;
}
