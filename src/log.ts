/**
 * The logger: pino JSON lines on standard output.
 *
 * Why here: one place decides what can never be logged. Secrets are redacted at the
 * source, so no user can change what the operator sees (issue 8 §2):
 * 1. `redact` removes fields named like secrets (`secret`, `password`, `key`,
 *    `handshake`, the identity's password fields…, at any of the first three levels)
 *    from every log object;
 * 2. wire traffic is redacted by the code that logs it, before it becomes a field:
 *    adapters/xmpp-link.ts `redactWire` (handshake, XEP-0077 password, secret form
 *    fields) and adapters/irc-pool.ts (PASS, AUTHENTICATE, OPER, NickServ commands,
 *    and the connection's own passwords and after-connect commands);
 * 3. a last-chance scrub replaces the operator's own secrets (the component secret,
 *    the database key) wherever they appear in a serialised line. `addSecret` takes
 *    at most `MAX_OPERATOR_SECRETS` strings, registered at start-up by the composition
 *    root and the key store; user data (passwords, after-connect commands) never goes
 *    there, and a call beyond the bound is refused and logged. A scrub that would leave
 *    the line invalid JSON (a secret that overlaps the line's own syntax, such as `"`)
 *    withholds the line instead, saying so: every output line stays one JSON object.
 *
 * Levels (../shared/STYLE.md): trace = wire traffic, debug = state changes, info =
 * lifecycle, warn = peer misbehaviour tolerated, error = our bugs.
 *
 * The level changes live (`setLevel`, a reload, issue 12 §5) for every logger at once:
 * a pino child made without options is `Object.create(parent)` and owns no level, so it
 * reads the root's through the prototype chain, grandchildren too. Rule: never give a
 * child its own level (`child(bindings, { level })`): it would stop following. Code
 * that decides once whether to log at a level (a hook attached only when trace is on)
 * follows from its next decision, not at once.
 */
import type { DestinationStream, Logger } from 'pino';
import { cjsRequire } from './cjs-require.js';
import type { LogLevel } from './config/schema.js';

export type { Logger } from 'pino';

const { pino } = cjsRequire<typeof import('pino')>('pino');

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A logger's level methods and level check, without `child`: what `lazyChild` offers. */
export interface LevelLog {
  trace(obj: object, msg: string): void;
  trace(msg: string): void;
  debug(obj: object, msg: string): void;
  debug(msg: string): void;
  info(obj: object, msg: string): void;
  info(msg: string): void;
  warn(obj: object, msg: string): void;
  warn(msg: string): void;
  error(obj: object, msg: string): void;
  error(msg: string): void;
  isLevelEnabled(level: string): boolean;
}

/**
 * A child of `parent` with `bindings`, made by pino at its first line at an enabled level.
 * pino's `child()` runs each binding through the redactor, and with the wildcard paths
 * below that is ~20-50 µs a binding: a child per IRC connection was 2 % of the CPU of a
 * join (issue 11: joins), for connections that mostly never log. The level is the root's
 * whenever asked (the rule above), so a reload applies to it at once.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): LevelLog {
  return new LazyChild(parent, bindings);
}

class LazyChild implements LevelLog {
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  isLevelEnabled(level: string): boolean {
    return this.#parent.isLevelEnabled(level);
  }

  trace(...args: [object, string] | [string]): void {
    this.#log('trace', args);
  }

  debug(...args: [object, string] | [string]): void {
    this.#log('debug', args);
  }

  info(...args: [object, string] | [string]): void {
    this.#log('info', args);
  }

  warn(...args: [object, string] | [string]): void {
    this.#log('warn', args);
  }

  error(...args: [object, string] | [string]): void {
    this.#log('error', args);
  }

  #log(level: Level, args: [object, string] | [string]): void {
    if (!this.#parent.isLevelEnabled(level)) return;
    const child = (this.#child ??= this.#parent.child(this.#bindings));
    (child[level] as (...a: unknown[]) => void).apply(child, args);
  }
}

const SECRET_FIELDS = [
  'secret',
  'password',
  'passwd',
  'key',
  'handshake',
  'credentials',
  'token',
  'secret_key',
  'serverPassword',
  'saslPassword',
  'nickservPassword',
  'afterConnect',
  'server_password',
  'sasl_password',
  'nickserv_password',
  'after_connect',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

/** The component secret and the database key, with a little room; never user data. */
export const MAX_OPERATOR_SECRETS = 4;

export interface LoggerHandle {
  log: Logger;
  /** Sets the level of this logger and of every child made from it, from now on. */
  setLevel(level: LogLevel): void;
  /**
   * Registers an operator secret (component secret, database key) that must never
   * appear in any log line from now on. Returns false, and logs an error, when the
   * bound is reached: user data does not belong here (redact it where it is logged).
   */
  addSecret(secret: string): boolean;
}

function escapeForJson(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** What is written instead of a line that a scrub would have broken. */
function withheldLine(original: string): string {
  let level = 50;
  let time = Date.now();
  try {
    const parsed = JSON.parse(original) as { level?: unknown; time?: unknown };
    if (typeof parsed.level === 'number') level = parsed.level;
    if (typeof parsed.time === 'number') time = parsed.time;
  } catch {
    // The original is pino's own JSON; keep the defaults if it is not.
  }
  return `${JSON.stringify({ level, time, name: 'jabirc', msg: 'a log line held an operator secret that could not be redacted cleanly; line withheld' })}\n`;
}

/**
 * pino hands every logged value whose key no literal path names (nearly all of them) to the
 * redactor of the paths that start with a wildcard (`*.f`, `*.*.f` above): strings and
 * numbers too, for which @pinojs/redact 0.4 still parses and walks all 32 paths, 20-40 µs a
 * field. A string, number or boolean holds nothing a path can name, and the redactor gives
 * it back as `JSON.stringify` does, so it is serialised so here; objects (and anything else)
 * still go through the redactor, whose rules are unchanged. The table is pino's own, under
 * its exported symbols, shared by every child; without them (another pino) nothing is
 * wrapped and logging is only slower. One info line and one child logger per IRC
 * connection were 7 % of the CPU of a join (issue 11: joins).
 */
function primitivesPastRedactor(log: Logger): void {
  const { stringifiersSym, wildcardFirstSym } = pino.symbols;
  const table = (log as unknown as Record<symbol, Record<symbol, unknown> | undefined>)[stringifiersSym];
  const redactor = table?.[wildcardFirstSym];
  if (table === undefined || typeof redactor !== 'function') return;
  table[wildcardFirstSym] = (value: unknown): unknown => {
    const type = typeof value;
    return type === 'string' || type === 'number' || type === 'boolean' ? JSON.stringify(value) : (redactor as (v: unknown) => unknown)(value);
  };
}

export function createLogger(level: LogLevel, destination?: DestinationStream): LoggerHandle {
  /** JSON-escaped forms: the serialised line holds a secret only as JSON string content. */
  const secrets: string[] = [];
  const log = pino(
    {
      level,
      base: { name: 'jabirc' },
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      hooks: {
        streamWrite(line: string): string {
          let out = line;
          for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[Redacted]');
          if (out === line) return line;
          // A secret that overlapped the line's syntax (`"`, a key name such as `level`)
          // must not cost the line its shape: one JSON object with its level, or nothing.
          try {
            const parsed = JSON.parse(out) as { level?: unknown } | null;
            if (parsed !== null && typeof parsed === 'object' && typeof parsed.level === 'number') return out;
          } catch {
            // withheld below
          }
          return withheldLine(line);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  primitivesPastRedactor(log);
  return {
    log,
    setLevel(next: LogLevel): void {
      log.level = next;
    },
    addSecret(secret: string): boolean {
      if (secret.length === 0) return true;
      const escaped = escapeForJson(secret);
      if (secrets.includes(escaped)) return true;
      if (secrets.length >= MAX_OPERATOR_SECRETS) {
        log.error({ registered: secrets.length, max: MAX_OPERATOR_SECRETS }, 'addSecret refused: it takes operator secrets only; redact user data where it is logged');
        return false;
      }
      secrets.push(escaped);
      return true;
    },
  };
}
