import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
} from '../../server/executions/rate-limiter.ts';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

describe.each([
  ['memory', () => createMemoryRateLimiter()],
  [
    'redis',
    () => createRedisRateLimiter(TEST_REDIS_URL, { keyPrefix: `switchboard:test:${process.pid}:${Date.now()}:` }),
  ],
] as const)('rate limiting (%s)', (kind, makeLimiter: () => RateLimiter) => {
  let h: EngineHarness;

  // Without Redis the Redis rows would quietly test the local insurance limiter instead.
  beforeEach(async (context) => {
    if (kind === 'redis') await requireRedis(context);
  });

  beforeAll(async () => {
    h = await startEngineHarness({
      rateLimiter: makeLimiter(),
      engine: { rateLimits: { perCall: 5, test: { capacity: 3, refillPerSecond: 0.01 } } },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('stops a runaway loop in one call with RATE_LIMITED, without calling upstream', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/echo?loop=1`, method: 'GET' } });
    const context = { triggerContext: 'call' as const, callSid: 'CA-loop' };
    const rows = [];
    for (let i = 0; i < 8; i += 1) rows.push(await h.run({ toolId, context }));
    expect(rows.slice(0, 5).every((row) => row.status === 'SUCCESS')).toBe(true);
    expect(rows.slice(5).map((row) => row.status)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(rows[5]).toMatchObject({ errorCode: 'RATE_LIMITED' });
    expect(rows[5]!.errorMessage).toContain('call limit');
    expect(h.upstream.hits('/echo?loop=1')).toHaveLength(5);
    // Another call is unaffected.
    expect((await h.run({ toolId, context: { triggerContext: 'call', callSid: 'CA-other' } })).status).toBe('SUCCESS');
  });

  it('the per-tool limit comes from configuration.rate_limit', async () => {
    const toolId = await h.createTool({
      configuration: {
        url: `${h.upstream.base}/echo?tool=1`,
        method: 'GET',
        rate_limit: { burst: 2, per_second: 0.01 },
      },
    });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await h.run({ toolId })).status);
    expect(statuses).toEqual(['SUCCESS', 'SUCCESS', 'RATE_LIMITED']);
  });

  it('test runs never count against live-call limits (and have their own budget)', async () => {
    const toolId = await h.createTool({
      configuration: {
        url: `${h.upstream.base}/echo?test=1`,
        method: 'GET',
        rate_limit: { burst: 2, per_second: 0.01 },
      },
    });
    const test = { triggerContext: 'test' as const };
    const tests = [];
    for (let i = 0; i < 4; i += 1) tests.push((await h.run({ toolId, context: test })).status);
    expect(tests).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'RATE_LIMITED']);
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
    expect((await h.run({ toolId })).status).toBe('RATE_LIMITED');
  });

  it('a refusal by one bucket costs nothing in the others', async () => {
    const limiter = makeLimiter();
    const key = `atomic-${Date.now()}`;
    const wide = { key: `${key}:wide`, capacity: 3, refillPerSecond: 0.001 };
    const narrow = { key: `${key}:narrow`, capacity: 1, refillPerSecond: 0.001 };
    expect(await limiter.take([wide, narrow])).toEqual({ allowed: true });
    expect(await limiter.take([wide, narrow])).toMatchObject({ allowed: false, key: narrow.key });
    expect(await limiter.take([wide])).toEqual({ allowed: true });
    expect(await limiter.take([wide])).toEqual({ allowed: true });
    const refused = await limiter.take([wide]);
    expect(refused).toMatchObject({ allowed: false, key: wide.key });
    expect(refused.allowed === false && refused.retryAfterMs).toBeGreaterThan(0);
    await limiter.close();
  });

  it('buckets refill over time', async () => {
    const limiter = makeLimiter();
    const bucket = { key: `refill-${Date.now()}`, capacity: 1, refillPerSecond: 20 };
    expect((await limiter.take([bucket])).allowed).toBe(true);
    expect((await limiter.take([bucket])).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await limiter.take([bucket])).allowed).toBe(true);
    await limiter.close();
  });
});

describe('redis rate limiter', () => {
  it('two instances share one budget', async (context) => {
    await requireRedis(context);
    const prefix = `switchboard:test:shared:${process.pid}:${Date.now()}:`;
    const a = createRedisRateLimiter(TEST_REDIS_URL, { keyPrefix: prefix });
    const b = createRedisRateLimiter(TEST_REDIS_URL, { keyPrefix: prefix });
    const bucket = { key: 'tool:x', capacity: 4, refillPerSecond: 0.001 };
    const results = await Promise.all([a, b, a, b, a, b].map((limiter) => limiter.take([bucket])));
    expect(results.filter((result) => result.allowed)).toHaveLength(4);
    await a.close();
    await b.close();
  });

  it('answers from its local insurance limiter, without waiting, when Redis is unreachable', async () => {
    const limiter = createRedisRateLimiter('redis://127.0.0.1:1');
    const bucket = { key: 'x', capacity: 2, refillPerSecond: 0.001 };
    const started = Date.now();
    expect(await limiter.take([bucket])).toEqual({ allowed: true });
    expect(await limiter.take([bucket])).toEqual({ allowed: true });
    expect(await limiter.take([bucket])).toMatchObject({ allowed: false, key: 'x' });
    expect(Date.now() - started).toBeLessThan(100);
    expect(limiter.connected()).toBe(false);
    await limiter.close();
  });
});
