/**
 * A small promise cache: identical metrics queries within `ttlMs` share one
 * database round trip (dashboards poll, and every live subscriber asks at once).
 * Bounded by bytes: an entry is re-measured once its result arrives.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';

/** Memory the results may take; a pending load counts as its key until it resolves. */
export const TTL_CACHE_BYTES = 32 * 1024 * 1024;

export interface TtlCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  clear(): void;
}

export function createTtlCache<T>(
  ttlMs: number,
  maxEntries = 1_000,
  clock: () => number = Date.now,
  maxBytes = TTL_CACHE_BYTES,
): TtlCache<T> {
  type Entry = { expires: number; value: Promise<T> };
  const entries = new LRUCache<string, Entry>({ max: maxEntries, maxSize: maxBytes });
  return {
    get(key, load) {
      const now = clock();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.value;
      if (hit) entries.delete(key);
      const value = load();
      if (ttlMs <= 0) return value;
      const entry: Entry = { expires: now + ttlMs, value };
      entries.set(key, entry, { size: approximateBytes(null, key) });
      value.then(
        (result) => {
          if (entries.peek(key) === entry) entries.set(key, entry, { size: approximateBytes(result, key) });
        },
        // A failed load is not worth remembering.
        () => entries.peek(key) === entry && entries.delete(key),
      );
      return value;
    },
    clear: () => entries.clear(),
  };
}
