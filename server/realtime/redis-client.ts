/**
 * ioredis clients for the parts that use Redis (shared rate limits, live
 * events across instances). Redis is optional at every moment: a command never
 * waits in a queue for a Redis that is down (it fails at once and the caller
 * falls back), the client reconnects on its own within a second of Redis
 * returning, and an outage is logged once when it starts and once when it ends.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** The longest pause between reconnection attempts, so Redis is back in use within about this long. */
export const REDIS_RECONNECT_MAX_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;

export function createRedisClient(
  url: string,
  options: { name: string; logger?: Logger; redis?: RedisOptions },
): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, REDIS_RECONNECT_MAX_MS),
    ...options.redis,
  });
  let down = false;
  client.on('error', (error: Error) => {
    // Every failed reconnection emits an error; one line per outage is enough.
    if (down) return;
    down = true;
    options.logger?.warn(
      { err: error.message, client: options.name },
      'redis unavailable; falling back until it returns',
    );
  });
  client.on('close', () => {
    if (down || client.status === 'end') return;
    down = true;
    options.logger?.warn({ client: options.name }, 'redis connection lost; falling back until it returns');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info({ client: options.name }, 'redis is back');
  });
  return client;
}

export function isReady(client: Redis): boolean {
  return client.status === 'ready';
}

/** Closes politely when connected, at once otherwise (QUIT would fail with the offline queue off). */
export async function closeRedisClient(client: Redis): Promise<void> {
  // A connection we close is not an outage to report.
  client.removeAllListeners('close');
  if (isReady(client)) await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
