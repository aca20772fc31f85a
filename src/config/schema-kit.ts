/**
 * The few schema builders the configuration needs: strings, numbers, booleans, enums,
 * arrays, strict tables and tables of tables, with optional keys, defaults, checks and
 * descriptions; each yields its TypeScript type, its validation and a JSON Schema.
 *
 * Why not zod: zod (all of it, with its locales) was ~4 MB of the gateway's resident
 * memory before any connection (issue 11 §3), for one validation at start and at each
 * reload. This kit does only what `schema.ts` uses.
 *
 * Rules kept from zod 4, so messages and `config-docs` did not change:
 * - every key of a table is checked, in schema order, then unknown keys, named all at once;
 * - a wrong type or a value outside an enum stops that value's other checks, a failed
 *   range or pattern does not (`too small` and `pattern` issues of one string add up);
 *   a table's own checks (`refine` on the root) run only when no value under it had a
 *   wrong type;
 * - a key left out takes its default without checking it; an optional key left out stays
 *   out of the result;
 * - the JSON Schema is that of the input: keys with a default or optional are not
 *   `required`, and defaults are given.
 */

export type IssuePath = Array<string | number>;

export interface Issue {
  code: 'invalid_type' | 'unrecognized_keys' | 'too_small' | 'too_big' | 'invalid_value' | 'invalid_key' | 'custom';
  path: IssuePath;
  message: string;
  /** invalid_type: the type wanted and the one given (`undefined` when the key is missing). */
  expected?: string;
  received?: string;
  /** unrecognized_keys: the unknown keys of the table at `path`. */
  keys?: string[];
  /** The value had the wrong shape: checks above it that need its type are skipped. */
  fatal?: boolean;
}

/** The JSON Schema subset the walkers read (config/env.ts, config/docs.ts). */
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

type Check<T> = (value: T, path: IssuePath, issues: Issue[]) => void;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'Date';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // NaN, Infinity
  return typeof value;
}

function wrongType(path: IssuePath, expected: string, value: unknown, issues: Issue[]): void {
  const received = typeOf(value);
  issues.push({ code: 'invalid_type', path, expected, received, message: `Invalid input: expected ${expected}, received ${received}`, fatal: true });
}

export abstract class Schema<T> {
  /** Only for `Infer`. */
  declare readonly _type: T;
  description: string | undefined;
  protected checks: Array<Check<T>> = [];

  /** The value checked and converted; issues are added, and the result is only meaningful when none were. */
  abstract read(value: unknown, path: IssuePath, issues: Issue[]): T;
  protected abstract jsonOwn(): JsonSchema;

  protected runChecks(value: T, path: IssuePath, issues: Issue[]): T {
    for (const check of this.checks) check(value, path, issues);
    return value;
  }

  protected clone(): this {
    const copy = Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this);
    copy.checks = [...this.checks];
    return copy;
  }

  describe(text: string): this {
    const copy = this.clone();
    copy.description = text;
    return copy;
  }

  /** A check with a fixed message (zod's `refine`); it does not stop the others. */
  refine(ok: (value: T) => boolean, message: string): this {
    return this.check((value, path, issues) => {
      if (!ok(value)) issues.push({ code: 'custom', path, message });
    });
  }

  protected check(fn: Check<T>): this {
    const copy = this.clone();
    copy.checks.push(fn);
    return copy;
  }

  optional(): OptionalSchema<T> {
    return new OptionalSchema(this);
  }

  default(value: T | (() => T)): DefaultSchema<T> {
    return new DefaultSchema(this, value);
  }

  json(): JsonSchema {
    const own = this.jsonOwn();
    return this.description === undefined ? own : { ...own, description: this.description };
  }

  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: Issue[] } } {
    const issues: Issue[] = [];
    const data = this.read(value, [], issues);
    return issues.length === 0 ? { success: true, data } : { success: false, error: { issues } };
  }

  /** The value, or an Error naming the first issue (for defaults built from a schema). */
  parse(value: unknown): T {
    const r = this.safeParse(value);
    if (!r.success) throw new Error(r.error.issues[0]?.message);
    return r.data;
  }
}

/** A key that may be left out (`T | undefined`). */
export class OptionalSchema<T> extends Schema<T | undefined> {
  readonly isOptional = true as const;
  constructor(readonly inner: Schema<T>) {
    super();
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): T | undefined {
    return value === undefined ? undefined : this.inner.read(value, path, issues);
  }
  protected jsonOwn(): JsonSchema {
    return this.inner.json();
  }
}

/** A key that takes `value` when left out (not checked, as in zod). */
export class DefaultSchema<T> extends Schema<T> {
  constructor(
    readonly inner: Schema<T>,
    private readonly fallback: T | (() => T),
  ) {
    super();
  }
  private value(): T {
    return typeof this.fallback === 'function' ? (this.fallback as () => T)() : structuredClone(this.fallback);
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): T {
    return value === undefined ? this.value() : this.inner.read(value, path, issues);
  }
  protected jsonOwn(): JsonSchema {
    return { ...this.inner.json(), default: this.value() };
  }
}

class StringSchema extends Schema<string> {
  read(value: unknown, path: IssuePath, issues: Issue[]): string {
    if (typeof value !== 'string') {
      wrongType(path, 'string', value, issues);
      return '';
    }
    return this.runChecks(value, path, issues);
  }
  min(n: number): this {
    return this.check((s, path, issues) => {
      if (s.length < n) issues.push({ code: 'too_small', path, message: `Too small: expected string to have >=${n} characters` });
    });
  }
  max(n: number): this {
    return this.check((s, path, issues) => {
      if (s.length > n) issues.push({ code: 'too_big', path, message: `Too big: expected string to have <=${n} characters` });
    });
  }
  regex(re: RegExp, message: string): this {
    return this.refine((s) => re.test(s), message);
  }
  protected jsonOwn(): JsonSchema {
    return { type: 'string' };
  }
}

class NumberSchema extends Schema<number> {
  private integer = false;
  read(value: unknown, path: IssuePath, issues: Issue[]): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      wrongType(path, 'number', value, issues);
      return 0;
    }
    if (this.integer && !Number.isSafeInteger(value)) {
      wrongType(path, 'int', value, issues);
      return value;
    }
    return this.runChecks(value, path, issues);
  }
  int(): this {
    const copy = this.clone();
    copy.integer = true;
    return copy;
  }
  min(n: number): this {
    return this.check((v, path, issues) => {
      if (v < n) issues.push({ code: 'too_small', path, message: `Too small: expected number to be >=${n}` });
    });
  }
  max(n: number): this {
    return this.check((v, path, issues) => {
      if (v > n) issues.push({ code: 'too_big', path, message: `Too big: expected number to be <=${n}` });
    });
  }
  protected jsonOwn(): JsonSchema {
    return { type: this.integer ? 'integer' : 'number' };
  }
}

class BooleanSchema extends Schema<boolean> {
  read(value: unknown, path: IssuePath, issues: Issue[]): boolean {
    if (typeof value !== 'boolean') {
      wrongType(path, 'boolean', value, issues);
      return false;
    }
    return this.runChecks(value, path, issues);
  }
  protected jsonOwn(): JsonSchema {
    return { type: 'boolean' };
  }
}

class EnumSchema<E extends string> extends Schema<E> {
  constructor(private readonly options: readonly E[]) {
    super();
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): E {
    if (!this.options.includes(value as E)) {
      const list = this.options.map((o) => JSON.stringify(o)).join('|');
      issues.push({ code: 'invalid_value', path, message: `Invalid option: expected one of ${list}`, fatal: true });
      return this.options[0]!;
    }
    return this.runChecks(value as E, path, issues);
  }
  protected jsonOwn(): JsonSchema {
    return { type: 'string', enum: [...this.options] };
  }
}

class ArraySchema<T> extends Schema<T[]> {
  constructor(private readonly items: Schema<T>) {
    super();
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): T[] {
    if (!Array.isArray(value)) {
      wrongType(path, 'array', value, issues);
      return [];
    }
    const out = value.map((item: unknown, i) => this.items.read(item, [...path, i], issues));
    return this.runChecks(out, path, issues);
  }
  max(n: number): this {
    return this.check((a, path, issues) => {
      if (a.length > n) issues.push({ code: 'too_big', path, message: `Too big: expected array to have <=${n} items` });
    });
  }
  protected jsonOwn(): JsonSchema {
    return { type: 'array', items: this.items.json() };
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

// `any`: a table's keys are schemas of any type (Schema is invariant in its checks).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Shape = Record<string, Schema<any>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly isOptional: true } ? K : never }[keyof S];
type ShapeType<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/** A table whose keys are all known: any other key is an error that names it. */
class StrictObjectSchema<S extends Shape> extends Schema<ShapeType<S>> {
  constructor(readonly shape: S) {
    super();
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): ShapeType<S> {
    if (!isTable(value)) {
      wrongType(path, 'object', value, issues);
      return {} as ShapeType<S>;
    }
    const start = issues.length;
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(this.shape)) {
      const v = schema.read(value[key], [...path, key], issues);
      if (v !== undefined) out[key] = v;
    }
    const unknown = Object.keys(value).filter((k) => !Object.hasOwn(this.shape, k));
    if (unknown.length > 0) {
      issues.push({ code: 'unrecognized_keys', path, keys: unknown, message: `Unrecognized keys: ${unknown.join(', ')}` });
    }
    if (issues.slice(start).some((i) => i.fatal)) return out as ShapeType<S>;
    return this.runChecks(out as ShapeType<S>, path, issues);
  }
  /** A check over the whole table that adds its own issues (zod's `superRefine`). */
  superRefine(fn: (value: ShapeType<S>, addIssue: (issue: { path: IssuePath; message: string }) => void) => void): this {
    return this.check((value, _path, issues) => fn(value, (i) => issues.push({ code: 'custom', ...i })));
  }
  protected jsonOwn(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [key, schema] of Object.entries(this.shape)) {
      properties[key] = schema.json();
      if (!(schema instanceof OptionalSchema || schema instanceof DefaultSchema)) required.push(key);
    }
    return { type: 'object', properties, required, additionalProperties: false };
  }
}

/** A table of tables: any key the key schema accepts, each value checked by `values`. */
class RecordSchema<V> extends Schema<Record<string, V>> {
  constructor(
    private readonly keys: Schema<string>,
    private readonly values: Schema<V>,
  ) {
    super();
  }
  read(value: unknown, path: IssuePath, issues: Issue[]): Record<string, V> {
    if (!isTable(value)) {
      wrongType(path, 'record', value, issues);
      return {};
    }
    const out: Record<string, V> = {};
    for (const [key, v] of Object.entries(value)) {
      const keyIssues: Issue[] = [];
      this.keys.read(key, [], keyIssues);
      if (keyIssues.length > 0) {
        issues.push({ code: 'invalid_key', path: [...path, key], message: 'Invalid key in record', fatal: true });
        continue;
      }
      out[key] = this.values.read(v, [...path, key], issues);
    }
    return this.runChecks(out, path, issues);
  }
  protected jsonOwn(): JsonSchema {
    return { type: 'object', additionalProperties: this.values.json() };
  }
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** The builders, named as in zod so the schema reads the same. */
export const s = {
  string: (): StringSchema => new StringSchema(),
  number: (): NumberSchema => new NumberSchema(),
  boolean: (): BooleanSchema => new BooleanSchema(),
  enum: <const E extends string>(options: readonly E[]): EnumSchema<E> => new EnumSchema(options),
  array: <T>(items: Schema<T>): ArraySchema<T> => new ArraySchema(items),
  strictObject: <S extends Shape>(shape: S): StrictObjectSchema<S> => new StrictObjectSchema(shape),
  record: <V>(keys: Schema<string>, values: Schema<V>): RecordSchema<V> => new RecordSchema(keys, values),
};
