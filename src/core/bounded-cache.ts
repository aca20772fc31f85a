/**
 * A cache of values the core can always compute again, that empties itself when full:
 * the per-message caches (parsed addresses, JIDs, parsed lines, occupant ids; issue 11).
 *
 * Why emptied rather than evicted one by one: a hit costs one map lookup and nothing
 * else, memory stays bounded, and a busy gateway refills its hot entries at once.
 */
export class BoundedCache<K, V> {
  readonly #map = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Keeps `value` under `key` (emptying the cache first when it is full) and returns it. */
  set(key: K, value: V): V {
    if (this.#map.size >= this.#max) this.#map.clear();
    this.#map.set(key, value);
    return value;
  }
}
