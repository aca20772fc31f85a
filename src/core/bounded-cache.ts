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
