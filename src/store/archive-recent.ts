/**
 * The archive's dedup window for lines without a server msgid (archive-port.ts, "One copy
 * per line"): per channel, the lines recorded in the last 2 × DEDUP_WINDOW_MS, found by
 * their body.
 *
 * Why an index rather than a list: every connection in a channel records its own copy of
 * each line, so in a channel of 50 users the window is asked 49 times per line. A scan of
 * the window (thousands of lines at a few hundred lines a second) was 54 % of the
 * gateway's CPU in gwbench fan-out with history on (issue 10 §7).
 *
 * Rules:
 * - `match` and `add` cost the same whatever the number of lines in the window: one map
 *   read by body, then the few lines with that body are compared on nick, kind, status
 *   prefix, time and readers.
 * - Lines leave in the order they were added (`expire`), as the list did before.
 * - In memory only: lost on restart, which matters only for lines recorded in the seconds
 *   around it.
 */

export interface RecentLine<K> {
  readonly nick: string;
  readonly kind: number;
  /** STATUSMSG prefix, '' for none. */
  readonly prefix: string;
  readonly body: string;
  readonly at: number;
  readonly id: string;
  readonly key: K;
  /** The users whose connection recorded this line: a second copy on one connection is a second line. */
  readonly receivers: Set<string>;
}

/** Compact the expiry order once this many lines have left it (and they are half of it). */
const COMPACT_AFTER = 1024;
/** Hints kept per channel at most (one per user who recorded there); past it they start again. */
const MAX_HINTS = 10_000;

export class RecentLines<K> {
  readonly #byBody = new Map<string, Array<RecentLine<K>>>();
  /** The lines in the order added; `#order[i]` is line number `#base + i`. */
  #order: Array<RecentLine<K>> = [];
  #head = 0;
  #base = 0;
  /**
   * user → the number of the line after the last one their connection matched or added:
   * the line their next copy most likely is, as every connection receives a channel's
   * lines in the order the server relays them. Only a hint: a miss looks the body up.
   */
  #next = new Map<string, number>();

  /**
   * A line that is the same (nick, kind, prefix, body) within `windowMs` of `at` and not
   * yet recorded by `user`; it is marked as recorded by `user` now.
   */
  claim(user: string, nick: string, kind: number, prefix: string, body: string, at: number, windowMs: number): RecentLine<K> | undefined {
    const hinted = this.#next.get(user);
    if (hinted !== undefined) {
      const r = this.#order[hinted - this.#base];
      if (r !== undefined && hinted - this.#base >= this.#head && this.#claims(r, user, nick, kind, prefix, body, at, windowMs)) {
        this.#next.set(user, hinted + 1);
        return r;
      }
    }
    const same = this.#byBody.get(body);
    if (same === undefined) return undefined;
    for (const r of same) {
      if (this.#claims(r, user, nick, kind, prefix, body, at, windowMs)) {
        this.#hint(user, this.#order.indexOf(r, this.#head) + this.#base + 1);
        return r;
      }
    }
    return undefined;
  }

  /** Adds a line `user`'s connection recorded first. */
  add(user: string, line: RecentLine<K>): void {
    const same = this.#byBody.get(line.body);
    if (same === undefined) this.#byBody.set(line.body, [line]);
    else same.push(line);
    this.#order.push(line);
    this.#hint(user, this.#base + this.#order.length);
  }

  /** Drops the lines, from the oldest added, while they are older than `before`. */
  expire(before: number): void {
    const order = this.#order;
    while (this.#head < order.length && order[this.#head]!.at < before) {
      const old = order[this.#head++]!;
      const same = this.#byBody.get(old.body)!;
      if (same.length === 1) this.#byBody.delete(old.body);
      else same.splice(same.indexOf(old), 1);
    }
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= order.length) {
      this.#order = order.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** The user's connection recorded none of these lines (unregistration). */
  forget(user: string): void {
    for (let i = this.#head; i < this.#order.length; i++) this.#order[i]!.receivers.delete(user);
    this.#next.delete(user);
  }

  #claims(r: RecentLine<K>, user: string, nick: string, kind: number, prefix: string, body: string, at: number, windowMs: number): boolean {
    if (r.body !== body || r.nick !== nick || r.kind !== kind || r.prefix !== prefix || Math.abs(r.at - at) > windowMs) return false;
    const before = r.receivers.size;
    return r.receivers.add(user).size !== before; // one hash operation: unseen, and now seen
  }

  #hint(user: string, next: number): void {
    if (this.#next.size >= MAX_HINTS && !this.#next.has(user)) this.#next = new Map();
    this.#next.set(user, next);
  }
}

/** Parsed lines `RecentSources` remembers: the bridge keeps the last 64 parsed (bridge/index.ts). */
const SOURCES = 64;

/**
 * The last SOURCES lines recorded from a parsed IRC line (`ArchiveLine.source`), by that
 * object's identity and the network: every connection in a channel gets the same parsed
 * object for one line, so its other copies are found by comparing pointers, newest first.
 * On one network one parsed line names one channel (its target, folded by the network's
 * CASEMAPPING), so a copy needs no channel lookup either.
 *
 * Why a ring of 64 rather than a WeakMap from the parsed line: a WeakMap entry per line
 * cost ~5 µs to add (its table grows and is rehashed, and the collector treats every entry
 * as an ephemeron), more than the rest of the record. A miss only costs the text lookup.
 */
export class RecentSources<V> {
  readonly #sources: Array<object | undefined> = new Array<object | undefined>(SOURCES).fill(undefined);
  readonly #networks: string[] = new Array<string>(SOURCES).fill('');
  readonly #values: Array<V | undefined> = new Array<V | undefined>(SOURCES).fill(undefined);
  #next = 0;

  /** The value last added for this parsed line on this network. */
  find(source: object, network: string): V | undefined {
    // indexOf is a builtin: a miss (every new line) costs ~30 ns, a loop over the ring ~3×.
    const sources = this.#sources;
    const newest = this.#next === 0 ? SOURCES - 1 : this.#next - 1;
    if (sources[newest] === source && this.#networks[newest] === network) return this.#values[newest]; // the copies of the last line
    let found = -1;
    let age = SOURCES;
    for (let i = sources.indexOf(source); i >= 0; i = sources.indexOf(source, i + 1)) {
      if (this.#networks[i] !== network) continue;
      const a = (this.#next - 1 - i + SOURCES) % SOURCES; // 0: the newest entry
      if (a < age) [found, age] = [i, a];
    }
    return found < 0 ? undefined : this.#values[found];
  }

  add(source: object, network: string, value: V): void {
    const i = this.#next;
    this.#sources[i] = source;
    this.#networks[i] = network;
    this.#values[i] = value;
    this.#next = i + 1 === SOURCES ? 0 : i + 1;
  }

  /** Forgets every entry (channels refolded, or a channel id that may be reused). */
  clear(): void {
    this.#sources.fill(undefined);
    this.#values.fill(undefined);
  }
}
