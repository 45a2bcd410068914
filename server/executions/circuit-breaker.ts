/**
 * Circuit breakers, one per effective configuration (breakerKey()): after
 * `failureThreshold` consecutive executions that failed upstream it opens and
 * executions fail fast (CIRCUIT_OPEN) for `cooldownMs`; then one probe
 * execution is let through (half-open) and its outcome closes or re-opens it.
 * It counts executions, not attempts: an execution's retries are one verdict,
 * given after its last attempt, so the execution that opens it reports its own error.
 *
 * In memory per instance, or in Redis (keys with a TTL, one Lua script per
 * step) so every instance sees the same state; when Redis does not answer,
 * the instance's in-memory breaker decides. Hand-written rather than
 * cockatiel: cockatiel's breaker keeps its state in one process.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { approximateBytes } from '../cache/approximate-bytes.ts';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  clock?: () => number;
  /** Bounds memory; only keys with recent failures have an entry at all. */
  maxEntries?: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failureThreshold: 5, cooldownMs: 30_000 };

export type CircuitState = 'closed' | 'open' | 'half_open';

export type CircuitPermit = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

export interface CircuitBreaker {
  acquire(key: string): Promise<CircuitPermit>;
  /** An execution's verdict: `failed` false (success, or a failure that says nothing about the upstream) closes it. */
  record(key: string, failed: boolean, probe: boolean): Promise<void>;
  /** Releases a probe that ended without a verdict (e.g. cancelled). */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The breaker an execution belongs to: its tool version's configuration as
 * merged with its assignment's override, live calls apart from test runs. One
 * assistant's broken override, or a broken draft under test, opens only its own.
 */
export function breakerKey(
  tool: { id: string; version: number; configuration: unknown },
  triggerContext: string,
): string {
  const scope = triggerContext === 'test' ? 'test' : 'live';
  return `${tool.id}:${scope}:${tool.version}:${configurationHash(tool.configuration)}`;
}

/** Cached lookups share frozen configurations (deep-merge.ts): each is hashed once, not per execution. */
const hashes = new WeakMap<object, string>();

function configurationHash(configuration: unknown): string {
  const frozen = typeof configuration === 'object' && configuration !== null && Object.isFrozen(configuration);
  const known = frozen ? hashes.get(configuration) : undefined;
  if (known) return known;
  const hash = createHash('sha256')
    .update(JSON.stringify(configuration) ?? 'null')
    .digest('base64url')
    .slice(0, 22);
  if (frozen) hashes.set(configuration, hash);
  return hash;
}

/** Memory the in-memory breakers may take; only keys with recent failures have an entry at all. */
const LOCAL_BREAKER_BYTES = 4 * 1024 * 1024;

interface Entry {
  failures: number;
  openedAt: number | null;
  probing: boolean;
}

export function createCircuitBreaker(options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER): CircuitBreaker & {
  state(key: string): CircuitState;
} {
  const clock = options.clock ?? Date.now;
  const entries = new LRUCache<string, Entry>({
    max: options.maxEntries ?? 10_000,
    maxSize: LOCAL_BREAKER_BYTES,
    sizeCalculation: (_, key) => approximateBytes(null, key),
  });

  const stateOf = (entry: Entry | undefined): CircuitState => {
    if (!entry || entry.openedAt === null) return 'closed';
    return clock() - entry.openedAt >= options.cooldownMs ? 'half_open' : 'open';
  };

  return {
    async acquire(key) {
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
    async record(key, failed, probe) {
      if (!failed) {
        entries.delete(key);
        return;
      }
      const entry = entries.get(key) ?? { failures: 0, openedAt: null, probing: false };
      entry.failures += 1;
      if (probe || entry.failures >= options.failureThreshold) entry.openedAt = clock();
      if (probe) entry.probing = false;
      entries.set(key, entry);
    },
    async release(key) {
      const entry = entries.get(key);
      if (entry) entry.probing = false;
    },
    async close() {},
    state: (key) => stateOf(entries.get(key)),
  };
}

/** KEYS: open, failures, probe. ARGV: threshold, cooldown ms. → {0, retry after ms} | {1} allowed | {2} probe. */
const ACQUIRE_SCRIPT = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then return {0, ttl} end
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures < tonumber(ARGV[1]) then return {1, 0} end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return {2, 0} end
return {0, tonumber(ARGV[2])}
`;

/** KEYS: open, failures, probe. ARGV: failed (0/1), threshold, cooldown ms, failures ttl ms, probe (0/1). */
const RECORD_SCRIPT = `
if ARGV[1] == '0' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 0
end
local failures = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[5] == '1' or failures >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
end
if ARGV[5] == '1' then redis.call('DEL', KEYS[3]) end
return failures
`;

export const CIRCUIT_KEY_PREFIX = 'switchboard:circuit:';
/** A breaker must not be why a caller waits: past this, the local breaker decides. */
const REDIS_COMMAND_TIMEOUT_MS = 250;
/** A failure streak with no new failure for this long (beyond the cooldown) is forgotten. */
const FAILURE_STREAK_TTL_MS = 3_600_000;
/** At most one "Redis unavailable" warning per this long. */
const WARN_EVERY_MS = 10_000;

type RedisWithScripts = Redis & {
  circuitAcquire(...args: Array<string | number>): Promise<[number, number]>;
  circuitRecord(...args: Array<string | number>): Promise<number>;
};

export function createRedisCircuitBreaker(
  url: string,
  options: CircuitBreakerOptions & { logger?: Logger; keyPrefix?: string },
): CircuitBreaker {
  const prefix = options.keyPrefix ?? CIRCUIT_KEY_PREFIX;
  const local = createCircuitBreaker(options);
  const redis = new Redis(url, {
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    // While disconnected, commands fail at once (and the local breaker decides) instead of queueing.
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  }) as RedisWithScripts;
  redis.defineCommand('circuitAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
  redis.defineCommand('circuitRecord', { numberOfKeys: 3, lua: RECORD_SCRIPT });
  let warnedAt = -Infinity;
  const warn = (error: unknown): void => {
    if (Date.now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = Date.now();
    options.logger?.warn({ err: (error as Error).message }, 'circuit breaker: redis unavailable; deciding locally');
  };
  redis.on('error', warn);
  // One hash slot per breaker (cluster-safe): the tag is the key itself.
  const keys = (key: string): string[] => ['open', 'failures', 'probe'].map((part) => `${prefix}{${key}}:${part}`);

  return {
    async acquire(key) {
      try {
        const [verdict, retryAfterMs] = await redis.circuitAcquire(
          ...keys(key),
          options.failureThreshold,
          options.cooldownMs,
        );
        if (verdict === 0) return { allowed: false, retryAfterMs };
        return { allowed: true, probe: verdict === 2 };
      } catch (error) {
        warn(error);
        return local.acquire(key);
      }
    },
    async record(key, failed, probe) {
      try {
        await redis.circuitRecord(
          ...keys(key),
          failed ? 1 : 0,
          options.failureThreshold,
          options.cooldownMs,
          options.cooldownMs + FAILURE_STREAK_TTL_MS,
          probe ? 1 : 0,
        );
      } catch (error) {
        warn(error);
        await local.record(key, failed, probe);
      }
    },
    async release(key) {
      await redis.del(keys(key)[2] as string).catch(async (error: unknown) => {
        warn(error);
        await local.release(key);
      });
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
