/**
 * A cache of values the core can always compute again, that empties itself when full:
 * the per-message caches (parsed addresses, JIDs, parsed lines, occupant ids; issue 11).
 *
 * Why emptied rather than evicted one by one: a hit costs one map lookup and nothing
 * else, memory stays bounded, and a busy gateway refills its hot entries at once.
 *
 * Emptied by starting a new Map, not with `clear()`: V8 gives a cleared Map's new table
 * the generation of the old one, so a long-lived cache (in the old generation) would put
 * each new entry behind an old-to-young reference that keeps it alive through every
 * scavenge until the next full collection, even after the cache dropped it. A cache of
 * per-message entries (parsed lines) then made every line of a second survive and be
 * promoted: 1.8 MB copied per scavenge, 10 ms pauses (issue 11 §5, the PM latency tail).
 */
export class BoundedCache<K, V> {
  #map = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Keeps `value` under `key` (emptying the cache first when it is full) and returns it. */
  set(key: K, value: V): V {
    if (this.#map.size >= this.#max) this.#map = new Map();
    this.#map.set(key, value);
    return value;
  }
}

/**
 * `s` as a string of its own, for a key or value a long-lived cache keeps. A substring of 13
 * or more characters is, in V8, a view into the string it was cut from (a SlicedString): an
 * attribute value the XML parser cut from a socket read keeps that whole read alive for as
 * long as the cache keeps the value, and every substring cut from it later (the parts of a
 * JID) does too. Prepending a character makes a new string that the slice then copies flat,
 * so what is kept is the value's own characters. Only on a cache miss: a few hundred ns.
 */
export function detached(s: string): string {
  return (' ' + s).slice(1);
}
