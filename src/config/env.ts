/**
 * Configuration keys from the environment: `JABIRC_<SECTION>_<KEY>` overrides a key.
 *
 * Why: a container or a systemd unit is often configured without a file (or with a
 * shared file and a few per-host values); every key can then come from the
 * environment, validated by the same schema as the file.
 *
 * The rule, which the generated reference repeats for every key:
 * - the variable is `JABIRC_` then the key's dotted path with dots as `_`, upper-cased:
 *   `irc.port` is `JABIRC_IRC_PORT`, `irc.flood.interval_ms` `JABIRC_IRC_FLOOD_INTERVAL_MS`;
 * - the text is read as the key's type: a string as is; an integer or number in decimal;
 *   a boolean as `true` or `false`; an array as a TOML array (`["a.org", "b.org"]`) or,
 *   for an array of strings, as a comma-separated list (`a.org,b.org`); a table of
 *   tables (`irc.networks`) as a TOML inline table, which replaces the file's whole
 *   table: `{ "irc.libera.chat" = {}, localhost = { port = 6667, tls = false } }`.
 *   Keys inside such a table (a network's `port`) have no variable of their own, since
 *   network names do not fit in variable names;
 * - a variable wins over the file; an empty variable counts as unset;
 * - an unknown `JABIRC_…` variable is an error that names it, like an unknown key in the
 *   file, except `JABIRC_CONFIG` (the file's path), `JABIRC_SECRET_KEY` (the stored
 *   secrets' key, read by the loader itself) and `JABIRC_DIR` (a checkout, for tools that
 *   start Jabirc from one, such as the gwbench profile).
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { z } from 'zod';
import { configSchemas } from './schema.js';

export const ENV_PREFIX = 'JABIRC_';

/** The JSON Schema subset the walkers read (zod's `toJSONSchema` of the config schema). */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
}

export function configJsonSchema(schema: z.ZodType = configSchemas().config): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

interface EnvKey {
  /** Dotted TOML path, e.g. `irc.flood.burst`. */
  path: string[];
  schema: JsonSchema;
}

/** The variable name for a key path. */
export function envVariable(path: readonly string[]): string {
  return ENV_PREFIX + path.join('_').toUpperCase();
}

function collect(schema: JsonSchema, path: string[], out: Map<string, EnvKey>): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const p = [...path, key];
    if (child.type === 'object' && child.properties) {
      collect(child, p, out);
      continue;
    }
    const name = envVariable(p);
    const clash = out.get(name);
    if (clash) throw new Error(`config keys ${clash.path.join('.')} and ${p.join('.')} share the variable ${name}`);
    out.set(name, { path: p, schema: child });
  }
}

/** Built per use, not kept: a running gateway needs the table only while it loads its configuration. */
function envKeys(schema?: z.ZodType): Map<string, EnvKey> {
  const keys = new Map<string, EnvKey>();
  collect(configJsonSchema(schema), [], keys);
  return keys;
}

/** Every variable with its key path, in schema order (for docs and tests). */
export function environmentVariables(): Array<{ variable: string; path: string }> {
  return [...envKeys()].map(([variable, k]) => ({ variable, path: k.path.join('.') }));
}

/** Variables with the prefix that are not key overrides. */
// JABIRC_DIR is not ours: gwbench's profile (../shared/gwbench/profiles/jabirc.sh) takes the
// checkout to run from it and hands its environment on to the gateway it starts.
const NOT_KEYS = new Set(['JABIRC_CONFIG', 'JABIRC_SECRET_KEY', 'JABIRC_DIR']);

export class EnvError extends Error {
  override name = 'EnvError';
}

function tomlValue(variable: string, text: string): unknown {
  try {
    return (parseToml(`v = ${text}`) as { v: unknown }).v;
  } catch (err) {
    const why = err instanceof TomlError ? (err.message.split('\n')[0] ?? err.message) : String(err);
    throw new EnvError(`environment variable ${variable}: not a TOML value: ${why}`);
  }
}

/** The text of a variable read as its key's type; text that does not fit is left for the schema to refuse. */
function valueOf(variable: string, text: string, schema: JsonSchema): unknown {
  switch (schema.type) {
    case 'integer':
    case 'number':
      return /^[+-]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'array':
      if (text.trimStart().startsWith('[')) return tomlValue(variable, text);
      return schema.items?.type === 'string'
        ? text
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : text;
    case 'object':
      return tomlValue(variable, text);
    default:
      return text;
  }
}

/**
 * The parsed file with the environment's overrides written in; `sources` maps each
 * overridden dotted path to its variable, for error messages. `schema` is the config
 * schema the caller validates with (built here when not given).
 */
export function applyEnvironment(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
  schema?: z.ZodType,
): { raw: Record<string, unknown>; sources: Map<string, string> } {
  let keys: Map<string, EnvKey> | undefined;
  const sources = new Map<string, string>();
  const out: Record<string, unknown> = structuredClone(raw);
  const unknown: string[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || NOT_KEYS.has(variable) || text === undefined || text === '') continue;
    // The table (the schema as JSON Schema, walked) is built at the first variable that
    // needs it: a gateway configured by its file alone never builds it (issue 11 §3).
    const key = (keys ??= envKeys(schema)).get(variable);
    if (key === undefined) {
      unknown.push(variable);
      continue;
    }
    let node = out;
    for (const part of key.path.slice(0, -1)) {
      const next = node[part];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[key.path.at(-1)!] = valueOf(variable, text, key.schema);
    sources.set(key.path.join('.'), variable);
  }
  if (unknown.length > 0) {
    throw new EnvError(
      unknown
        .sort()
        .map((v) => `unknown environment variable ${v} (not a configuration key)`)
        .join('; '),
    );
  }
  return { raw: out, sources };
}
