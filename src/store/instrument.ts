/**
 * Statement timing for metrics: a view of the database whose prepared statements
 * report how long each call took.
 *
 * Why a wrapper: the repositories prepare their statements once and call them
 * synchronously; timing each call around the native method is the only place that
 * sees them all without touching each repository. Only built when metrics are on.
 *
 * Rules: the wrapped database and statements behave exactly as the real ones (same
 * results, same errors, `this` is always the real object); chaining calls that return
 * the statement (`pluck()`, `raw()`, `expand()`, `bind()`) return the timed view;
 * `run` counts as a write, `get`, `all` and `iterate` as reads (`iterate` times the call,
 * not the iteration).
 */
import type { Db } from './database.js';

export type StatementKind = 'read' | 'write';

const TIMED: Record<string, StatementKind> = { run: 'write', get: 'read', all: 'read', iterate: 'read' };

function timedStatement<S extends object>(stmt: S, observe: (kind: StatementKind, seconds: number) => void): S {
  const view: S = new Proxy(stmt, {
    get(target, prop, _receiver) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const kind = typeof prop === 'string' ? TIMED[prop] : undefined;
      if (kind !== undefined) {
        return (...args: unknown[]) => {
          const start = performance.now();
          try {
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          } finally {
            observe(kind, (performance.now() - start) / 1000);
          }
        };
      }
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result === target ? view : result;
      };
    },
  });
  return view;
}

/** `db` with every statement it prepares from now on timed by `observe`. */
export function instrumentStatements(db: Db, observe: (kind: StatementKind, seconds: number) => void): Db {
  return new Proxy(db, {
    get(target, prop, _receiver) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === 'prepare') {
        return (sql: string) => timedStatement(target.prepare(sql), observe);
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
