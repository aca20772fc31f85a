/**
 * The logger: pino JSON lines on standard output.
 *
 * Why here: one place decides what can never be logged. Two layers keep secrets out:
 * 1. `redact` removes fields named like secrets (`secret`, `password`, `key`, `handshake`,
 *    at any of the first three levels) from every log object;
 * 2. a last-chance scrub on the serialized line replaces every known secret string (the
 *    component secret, and any added later with `addSecret`, such as a stored IRC
 *    password being sent) with `[Redacted]`, so a secret that slips into a message, a
 *    stack trace or wire traffic at trace level still never reaches the output.
 *
 * Levels (../shared/STYLE.md): trace = wire traffic, debug = state changes, info =
 * lifecycle, warn = peer misbehaviour tolerated, error = our bugs.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/schema.js';

export type { Logger } from 'pino';

const SECRET_FIELDS = ['secret', 'password', 'passwd', 'key', 'handshake', 'credentials', 'token'];
const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export interface LoggerHandle {
  log: Logger;
  /** Register a secret string that must never appear in any log line from now on. */
  addSecret(secret: string): void;
}

function escapeForJson(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export function createLogger(level: LogLevel, destination?: DestinationStream): LoggerHandle {
  const secrets = new Set<string>();
  const log = pino(
    {
      level,
      base: { name: 'jabirc' },
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      hooks: {
        streamWrite(line: string): string {
          let out = line;
          for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[Redacted]');
          return out;
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return {
    log,
    addSecret(secret: string) {
      // Short strings would redact ordinary words; the config requires a non-empty secret,
      // and a 1-3 character secret is scrubbed too, since leaking it is worse.
      if (secret.length === 0) return;
      secrets.add(secret);
      const escaped = escapeForJson(secret);
      if (escaped !== secret) secrets.add(escaped);
    },
  };
}
