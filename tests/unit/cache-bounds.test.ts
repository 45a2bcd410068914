/**
 * Caches are bounded by the memory their entries take, not only by their
 * count: a few entries of 256 KB of code must push older ones out.
 */
import { describe, expect, it } from 'vitest';
import { createToolLookups } from '../../server/executions/lookup-cache.ts';
import type { HotSql } from '../../server/executions/hot-sql.ts';
import { createMemoryRateLimiter } from '../../server/executions/rate-limiter.ts';
import { createTtlCache } from '../../server/metrics/ttl-cache.ts';

const CODE = 'x'.repeat(256 * 1024);

/** A driver answering every tool lookup with a tool carrying 256 KB of code, counting the statements. */
function bigTools(): HotSql & { statements: number } {
  const driver = {
    kind: 'pglite' as const,
    statements: 0,
    async query<Row extends object>(_text: string, params: unknown[]): Promise<Row[]> {
      driver.statements += 1;
      const row = {
        id: params[1],
        name: 'big',
        type: 'CODE',
        version: 1,
        configuration: { code: CODE, runtime: 'javascript' },
        functionDefinition: {},
        isActive: true,
        requireConfirmation: false,
        allowedContexts: ['call'],
        timeoutSeconds: 10,
        retryAttempts: 0,
        assignmentId: null,
        assignmentEnabled: null,
        customConfiguration: null,
        featureFlags: {},
        configVersion: 1,
      };
      return [row as unknown as Row];
    },
  };
  return driver;
}

describe('memory bounds', () => {
  it('the lookup cache keeps only what fits in its byte budget', async () => {
    const sql = bigTools();
    const lookups = createToolLookups(sql, 2 * 1024 * 1024);
    const ids = Array.from({ length: 20 }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);
    for (const id of ids) await lookups.byId('org', id, null, false);
    expect(sql.statements).toBe(20);
    // Each entry is about 512 KB (two bytes per character): at most 4 of them fit in 2 MiB.
    // Newest first: the most recent entries are the ones kept.
    for (const id of [...ids].reverse()) await lookups.byId('org', id, null, false);
    const cachedHits = 40 - sql.statements;
    expect(cachedHits).toBeGreaterThan(0);
    expect(cachedHits).toBeLessThanOrEqual(4);
  });

  it('the metrics result cache measures a result once it arrives', async () => {
    const cache = createTtlCache<string>(60_000, 1_000, Date.now, 1024 * 1024);
    let loads = 0;
    const load = async () => {
      loads += 1;
      return 'y'.repeat(300 * 1024);
    };
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, load);
    expect(loads).toBe(4);
    for (const key of ['d', 'c', 'b', 'a']) await cache.get(key, load);
    // 600 KB each: only the most recent fits in 1 MiB, so the three before it are loaded again.
    expect(loads).toBe(7);
  });

  it('the rate limiter forgets idle buckets once their keys outgrow its memory', async () => {
    const limiter = createMemoryRateLimiter();
    const spec = (key: string) => ({ key, capacity: 1, refillPerSecond: 0 });
    const huge = (index: number) => `call:${index}:${'z'.repeat(1024 * 1024)}`;
    expect(await limiter.take([spec(huge(0))])).toEqual({ allowed: true });
    expect((await limiter.take([spec(huge(0))])).allowed).toBe(false);
    for (let index = 1; index <= 16; index += 1) await limiter.take([spec(huge(index))]);
    // The first bucket (2 MB of key) was dropped to stay within 16 MiB: it starts full again.
    expect(await limiter.take([spec(huge(0))])).toEqual({ allowed: true });
  });
});
