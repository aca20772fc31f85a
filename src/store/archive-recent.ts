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
 * - `claim` and `add` cost the same whatever the number of lines in the window: one map
 *   read by body, then the few lines with that body are compared on nick, kind, status
 *   prefix, time and readers.
 * - Lines leave in the order they were added (`expire`), as the list did before; a line
 *   that has left is matched by nothing, found by its body or by its parsed line.
 * - Who recorded a line is one bit per reader (a user who recorded in the window): memory
 *   per line does not grow by a hash table per line (see #readers).
 * - In memory only: lost on restart, which matters only for lines recorded in the seconds
 *   around it.
 */

export interface RecentLine {
  readonly nick: string;
  readonly kind: number;
  /** STATUSMSG prefix, '' for none. */
  readonly prefix: string;
  readonly body: string;
  readonly at: number;
  readonly id: string;
  /** Its place among the channel's lines of the same `at` (archive_lines.seq). */
  readonly seq: number;
  /** The line's number in its window (see RecentLines). */
  readonly n: number;
  /** The window it is in: a copy found by its parsed line is claimed there (`claimCopy`). */
  readonly window: RecentLines;
  /**
   * The connections that recorded this line, one bit per reader slot (RecentLines#readers):
   * a second copy on one connection is a second line.
   */
  readonly receivers: number[];
}

/** A user who recorded lines in one window. */
interface Reader {
  /** Their bit in each line's `receivers`. */
  readonly slot: number;
  /**
   * The number of the line after the last one their connection matched or added: the line
   * their next copy most likely is, as every connection receives a channel's lines in the
   * order the server relays them. Only a hint: a miss looks the body up.
   */
  next: number;
  /** The highest line number they recorded: once it has left the window, their slot is free. */
  last: number;
}

/** Compact the expiry order once this many lines have left it (and they are half of it). */
const COMPACT_AFTER = 1024;
/** Readers kept before the first sweep for readers whose lines have all left (see #reader). */
const FIRST_SWEEP = 64;

export class RecentLines {
  /** Body → the line with it, or the lines when several (most bodies are one line's). */
  readonly #byBody = new Map<string, RecentLine | RecentLine[]>();
  /** The lines in the order added; `#order[i]` is line number `#base + i`. */
  #order: Array<RecentLine> = [];
  #head = 0;
  #base = 0;
  /**
   * user → their slot and hints. Why slots and bits rather than a Set of users per line: in
   * a channel of 50 a Set per line is ~1.3 kB that lives the whole window (2 ×
   * DEDUP_WINDOW_MS, ~30,000 lines at gwbench's fan-out rate): ~40 MB kept through every
   * scavenge and major GC, whose pauses stalled the event loop for 100–600 ms (issue 10 §7).
   * Bits cost 4 bytes per 32 readers.
   */
  readonly #readers = new Map<string, Reader>();
  /** Slots of readers dropped by a sweep or `forget`, free for new readers. */
  readonly #freeSlots: number[] = [];
  #slots = 0;
  #sweepAt = FIRST_SWEEP;

  /**
   * A line that is the same (nick, kind, prefix, body) within `windowMs` of `at` and not
   * yet recorded by `user`; it is marked as recorded by `user` now.
   */
  claim(user: string, nick: string, kind: number, prefix: string, body: string, at: number, windowMs: number): RecentLine | undefined {
    const reader = this.#reader(user);
    const r = this.#order[reader.next - this.#base];
    if (r !== undefined && reader.next - this.#base >= this.#head && this.#same(r, nick, kind, prefix, body, at, windowMs) && this.#mark(r, reader)) {
      return r;
    }
    const same = this.#byBody.get(body);
    if (same === undefined) return undefined;
    if (!Array.isArray(same)) return this.#same(same, nick, kind, prefix, body, at, windowMs) && this.#mark(same, reader) ? same : undefined;
    for (const line of same) if (this.#same(line, nick, kind, prefix, body, at, windowMs) && this.#mark(line, reader)) return line;
    return undefined;
  }

  /**
   * Another connection's copy of `line`, known by the parsed IRC line they share: true when
   * `user` had not recorded it (now they have); false when they had, or when it has left
   * the window (then it is matched by nothing, as in `claim`).
   */
  claimCopy(user: string, line: RecentLine): boolean {
    return line.n >= this.#base + this.#head && this.#mark(line, this.#reader(user));
  }

  /** Adds a line `user`'s connection recorded first; returns it. */
  add(user: string, nick: string, kind: number, prefix: string, body: string, at: number, id: string, seq: number): RecentLine {
    const reader = this.#reader(user);
    const n = this.#base + this.#order.length;
    // Sized for the slots in use, so the common line never grows its array.
    const receivers = new Array<number>((this.#slots + 31) >>> 5).fill(0);
    const line: RecentLine = { nick, kind, prefix, body, at, id, seq, n, window: this, receivers };
    this.#mark(line, reader);
    const same = this.#byBody.get(body);
    if (same === undefined) this.#byBody.set(body, line);
    else if (Array.isArray(same)) same.push(line);
    else this.#byBody.set(body, [same, line]);
    this.#order.push(line);
    return line;
  }

  /** Drops the lines, from the oldest added, while they are older than `before`. */
  expire(before: number): void {
    const order = this.#order;
    while (this.#head < order.length && order[this.#head]!.at < before) {
      const old = order[this.#head++]!;
      const same = this.#byBody.get(old.body)!;
      if (!Array.isArray(same)) this.#byBody.delete(old.body);
      else {
        same.splice(same.indexOf(old), 1);
        if (same.length === 1) this.#byBody.set(old.body, same[0]!);
      }
    }
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= order.length) {
      this.#order = order.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }

  /** The user's connection recorded none of these lines (unregistration). */
  forget(user: string): void {
    const reader = this.#readers.get(user);
    if (reader === undefined) return;
    const w = reader.slot >>> 5;
    const keep = ~(1 << (reader.slot & 31));
    for (let i = this.#head; i < this.#order.length; i++) {
      const bits = this.#order[i]!.receivers;
      if (w < bits.length) bits[w]! &= keep;
    }
    this.#readers.delete(user);
    this.#freeSlots.push(reader.slot);
  }

  #same(r: RecentLine, nick: string, kind: number, prefix: string, body: string, at: number, windowMs: number): boolean {
    return r.body === body && r.nick === nick && r.kind === kind && r.prefix === prefix && Math.abs(r.at - at) <= windowMs;
  }

  /** Marks `line` as recorded by `reader`; false when it was already. */
  #mark(line: RecentLine, reader: Reader): boolean {
    const bits = line.receivers;
    const w = reader.slot >>> 5;
    const bit = 1 << (reader.slot & 31);
    while (bits.length <= w) bits.push(0);
    const had = bits[w]!;
    if ((had & bit) !== 0) return false;
    bits[w] = had | bit;
    reader.next = line.n + 1;
    if (line.n > reader.last) reader.last = line.n;
    return true;
  }

  /**
   * The user's reader, made on first use. Before the readers outgrow twice what the last
   * sweep left, readers whose every line has left the window are dropped and their slots
   * reused: none of the lines still reachable carries their bit (claimCopy and claim match
   * only lines in the window), so memory stays bounded by the users active within it.
   */
  #reader(user: string): Reader {
    const known = this.#readers.get(user);
    if (known !== undefined) return known;
    if (this.#readers.size >= this.#sweepAt) {
      const gone = this.#base + this.#head;
      for (const [u, r] of this.#readers) {
        if (r.last < gone) {
          this.#readers.delete(u);
          this.#freeSlots.push(r.slot);
        }
      }
      this.#sweepAt = Math.max(FIRST_SWEEP, 2 * this.#readers.size);
    }
    const slot = this.#freeSlots.pop() ?? this.#slots++;
    const reader: Reader = { slot, next: -1, last: -1 };
    this.#readers.set(user, reader);
    return reader;
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
