/**
 * A small promise cache: identical metrics queries within `ttlMs` share one
 * database round trip (dashboards poll, and every live subscriber asks at once).
 */
export interface TtlCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  clear(): void;
}

export function createTtlCache<T>(ttlMs: number, maxEntries = 1_000, clock: () => number = Date.now): TtlCache<T> {
  const entries = new Map<string, { expires: number; value: Promise<T> }>();
  return {
    get(key, load) {
      const now = clock();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.value;
      if (hit) entries.delete(key);
      const value = load();
      if (ttlMs <= 0) return value;
      entries.set(key, { expires: now + ttlMs, value });
      // A failed load is not worth remembering.
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return value;
    },
    clear: () => entries.clear(),
  };
}
