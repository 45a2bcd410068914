/**
 * "At most once per window per key", for events a flood could repeat on every
 * request (throttled logins, a revoked key retried in a loop): the first is
 * recorded, the repeats cost neither a lookup nor a row. Bounded: past
 * `maxKeys` the oldest entries are forgotten.
 */
export function createEventGate(windowMs: number, maxKeys = 10_000): (key: string, now?: number) => boolean {
  const last = new Map<string, number>();
  return (key, now = Date.now()) => {
    const previous = last.get(key);
    if (previous !== undefined && now - previous < windowMs) return false;
    last.delete(key);
    last.set(key, now);
    if (last.size > maxKeys) last.delete(last.keys().next().value!);
    return true;
  };
}
