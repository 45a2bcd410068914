/**
 * Fixed-window limits on unauthenticated account requests (sign-up, password
 * reset requests, password changes): each attempt costs a point whatever its
 * outcome, so the limit reveals nothing about which accounts exist.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AccessError } from '../errors.ts';

export interface AttemptLimit {
  /** Counts one attempt for each key; throws RATE_LIMITED when any key is over its limit. */
  consume(...keys: string[]): Promise<void>;
}

export function createAttemptLimit(name: string, points: number, windowSeconds: number, what: string): AttemptLimit {
  const limiter = new RateLimiterMemory({ keyPrefix: name, points, duration: windowSeconds });
  return {
    async consume(...keys) {
      try {
        await Promise.all(keys.map((key) => limiter.consume(key)));
      } catch (error) {
        if (error instanceof Error) throw error;
        throw new AccessError('RATE_LIMITED', `too many ${what}; try again later`);
      }
    },
  };
}
