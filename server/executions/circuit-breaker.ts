/**
 * One breaker per tool: after `failureThreshold` consecutive upstream failures
 * it opens and calls fail fast (CIRCUIT_OPEN) for `cooldownMs`; then one probe
 * is let through (half-open) and its outcome closes or re-opens the breaker.
 * Per instance on purpose: each instance protects its own callers.
 */

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  clock?: () => number;
  /** Bounds memory; only tools with recent failures have an entry at all. */
  maxEntries?: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failureThreshold: 5, cooldownMs: 30_000 };

export type CircuitState = 'closed' | 'open' | 'half_open';

export type CircuitPermit = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

interface Entry {
  failures: number;
  openedAt: number | null;
  probing: boolean;
}

export interface CircuitBreaker {
  acquire(key: string): CircuitPermit;
  /** `countsAsFailure` false (success, or a failure that says nothing about the upstream's health) closes the streak. */
  record(key: string, countsAsFailure: boolean): void;
  /** Releases a probe that ended without a verdict (e.g. cancelled). */
  release(key: string): void;
  state(key: string): CircuitState;
}

export function createCircuitBreaker(options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER): CircuitBreaker {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();

  const stateOf = (entry: Entry | undefined): CircuitState => {
    if (!entry || entry.openedAt === null) return 'closed';
    return clock() - entry.openedAt >= options.cooldownMs ? 'half_open' : 'open';
  };

  return {
    acquire(key) {
      const entry = entries.get(key);
      const state = stateOf(entry);
      if (state === 'closed' || !entry) return { allowed: true, probe: false };
      if (state === 'open') {
        return { allowed: false, retryAfterMs: Math.max(0, (entry.openedAt ?? 0) + options.cooldownMs - clock()) };
      }
      if (entry.probing) return { allowed: false, retryAfterMs: options.cooldownMs };
      entry.probing = true;
      return { allowed: true, probe: true };
    },
    record(key, countsAsFailure) {
      if (!countsAsFailure) {
        entries.delete(key);
        return;
      }
      const entry = entries.get(key) ?? { failures: 0, openedAt: null, probing: false };
      entry.failures += 1;
      if (entry.probing || entry.failures >= options.failureThreshold) entry.openedAt = clock();
      entry.probing = false;
      entries.delete(key);
      entries.set(key, entry);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    release(key) {
      const entry = entries.get(key);
      if (entry) entry.probing = false;
    },
    state: (key) => stateOf(entries.get(key)),
  };
}
