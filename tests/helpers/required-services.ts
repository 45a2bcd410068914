/**
 * Tests that need PostgreSQL, Redis or Chromium ask for it here. Under
 * CI=true a missing service fails the test (nothing is skipped, nothing drops
 * out of the count); elsewhere the test is skipped with its reason written in
 * the report (`meta.skipReason`), which script/summarize-tests.ts requires of
 * every skip under CI.
 */
import { Redis } from 'ioredis';
import type { TestContext } from 'vitest';
import { postgresReachable } from './database.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped; a skip without one fails the run under CI. */
    skipReason?: string;
  }
}

export const UNDER_CI = process.env.CI === 'true';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Service = 'PostgreSQL' | 'Redis' | 'Chromium' | 'promtool';

/** Skips the running test, with the reason recorded where the summary can read it. */
export function skipBecause(context: TestContext, reason: string): never {
  context.task.meta.skipReason = reason;
  context.skip(reason);
  throw new Error('unreachable: context.skip() throws');
}

/** Returns when `service` is available; else fails under CI, or skips with the reason. */
export async function requireService(
  context: TestContext,
  service: Service,
  available: boolean | Promise<boolean>,
): Promise<void> {
  if (await available) return;
  if (service === 'PostgreSQL' && process.env.SWITCHBOARD_TEST_DB === 'pglite')
    skipBecause(context, 'SWITCHBOARD_TEST_DB=pglite chose the embedded database');
  if (UNDER_CI) throw new Error(`${service} is required under CI=true, and it is not reachable`);
  skipBecause(context, `${service} is not reachable`);
}

export function requirePostgres(context: TestContext): Promise<void> {
  return requireService(context, 'PostgreSQL', postgresReachable());
}

let redisProbe: Promise<boolean> | null = null;
export function redisReachable(): Promise<boolean> {
  redisProbe ??= (async () => {
    const probe = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      return true;
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  })();
  return redisProbe;
}

export function requireRedis(context: TestContext): Promise<void> {
  return requireService(context, 'Redis', redisReachable());
}
