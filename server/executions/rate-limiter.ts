/**
 * Token buckets that stop runaway tool loops. All buckets of one request are
 * taken together: a request refused by one bucket costs nothing in the others.
 * In memory for one instance; in Redis (one Lua script, Redis' clock) when
 * several instances must share the budget. While Redis is unreachable the
 * Redis limiter answers from a local in-memory one (the insurance), so a
 * runaway loop is still stopped, per instance, and no caller waits on Redis.
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Logger } from 'pino';
import { closeRedisClient, createRedisClient, isReady } from '../realtime/redis-client.ts';

export interface BucketSpec {
  key: string;
  /** Burst size: how many requests a full bucket allows at once. */
  capacity: number;
  refillPerSecond: number;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; key: string; retryAfterMs: number };

export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  take(buckets: BucketSpec[]): Promise<RateLimitDecision>;
  /** False while a shared limiter cannot reach its store (the local insurance decides meanwhile). */
  connected(): boolean;
  close(): Promise<void>;
}

/** Idle buckets are dropped beyond this many, or this much memory (keys hold call ids); a dropped bucket starts full again. */
export const DEFAULT_MAX_BUCKETS = 100_000;
export const DEFAULT_MAX_BUCKET_BYTES = 16 * 1024 * 1024;

interface BucketState {
  tokens: number;
  updatedAt: number;
}

function refilled(state: BucketState | undefined, spec: BucketSpec, now: number): number {
  if (!state) return spec.capacity;
  return Math.min(spec.capacity, state.tokens + ((now - state.updatedAt) / 1000) * spec.refillPerSecond);
}

function waitFor(tokens: number, spec: BucketSpec): number {
  return spec.refillPerSecond > 0 ? Math.ceil(((1 - tokens) / spec.refillPerSecond) * 1000) : 60_000;
}

export function createMemoryRateLimiter(options: { clock?: () => number; maxBuckets?: number } = {}): RateLimiter {
  const clock = options.clock ?? Date.now;
  const buckets = new LRUCache<string, BucketState>({
    max: options.maxBuckets ?? DEFAULT_MAX_BUCKETS,
    maxSize: DEFAULT_MAX_BUCKET_BYTES,
    sizeCalculation: (_, key) => approximateBytes(null, key),
  });
  return {
    kind: 'memory',
    async take(specs) {
      const now = clock();
      const levels = specs.map((spec) => refilled(buckets.get(spec.key), spec, now));
      for (const [index, spec] of specs.entries()) {
        const tokens = levels[index] ?? spec.capacity;
        if (tokens < 1) return { allowed: false, key: spec.key, retryAfterMs: waitFor(tokens, spec) };
      }
      for (const [index, spec] of specs.entries()) {
        buckets.set(spec.key, { tokens: (levels[index] ?? spec.capacity) - 1, updatedAt: now });
      }
      return { allowed: true };
    },
    connected: () => true,
    async close() {
      buckets.clear();
    },
  };
}

/**
 * KEYS: bucket keys. ARGV: capacity, refill per millisecond, for each key.
 * Returns {0, 0} when allowed, else {index of the refusing key (1-based), wait ms}.
 */
const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local levels = {}
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    tokens = capacity
  else
    tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
  end
  if tokens < 1 then
    local wait = 60000
    if rate > 0 then wait = math.ceil((1 - tokens) / rate) end
    return {i, wait}
  end
  levels[i] = tokens
end
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 't', tostring(levels[i] - 1), 'ts', tostring(now))
  local ttl = 60000
  if rate > 0 then ttl = math.ceil(capacity / rate) + 1000 end
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return {0, 0}
`;

export const REDIS_KEY_PREFIX = 'switchboard:rate:';
/** A rate limiter must never be why a caller waits: slow or absent Redis is replaced by the insurance. */
const REDIS_COMMAND_TIMEOUT_MS = 250;

type RedisWithTake = Redis & {
  switchboardTake(...args: Array<string | number>): Promise<[number, number]>;
};

export function createRedisRateLimiter(
  url: string,
  options: { logger?: Logger; keyPrefix?: string; insurance?: RateLimiter } = {},
): RateLimiter {
  const prefix = options.keyPrefix ?? REDIS_KEY_PREFIX;
  const insurance = options.insurance ?? createMemoryRateLimiter();
  const redis = createRedisClient(url, {
    name: 'rate-limiter',
    logger: options.logger,
    redis: {
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      // Concurrent executions' scripts leave in one write: a socket write per execution was a tenth of an
      // instance's CPU under load.
      enableAutoPipelining: true,
    },
  }) as RedisWithTake;
  redis.defineCommand('switchboardTake', { lua: TAKE_SCRIPT });
  let failing = false;
  // Requests in the first moments after start wait (briefly) for the first connection rather than
  // bypass the shared budget; after that, a Redis that is not ready is an outage.
  let firstConnection: Promise<void> | null = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_COMMAND_TIMEOUT_MS);
    const settle = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', settle);
    // A refused connection is an outage at start: no point waiting out the timer.
    redis.once('close', settle);
  }).then(() => {
    firstConnection = null;
  });
  return {
    kind: 'redis',
    async take(specs) {
      if (specs.length === 0) return { allowed: true };
      if (firstConnection) await firstConnection;
      if (!isReady(redis)) return insurance.take(specs);
      const args: Array<string | number> = [specs.length, ...specs.map((spec) => prefix + spec.key)];
      for (const spec of specs) args.push(spec.capacity, spec.refillPerSecond / 1000);
      try {
        const [index, waitMs] = await redis.switchboardTake(...args);
        failing = false;
        const refused = index > 0 ? specs[index - 1] : undefined;
        return refused ? { allowed: false, key: refused.key, retryAfterMs: waitMs } : { allowed: true };
      } catch (error) {
        if (!failing) {
          failing = true;
          options.logger?.warn(
            { err: (error as Error).message },
            'rate limiter: redis failed; the local limiter decides',
          );
        }
        return insurance.take(specs);
      }
    },
    connected: () => isReady(redis),
    async close() {
      await closeRedisClient(redis);
      await insurance.close();
    },
  };
}
