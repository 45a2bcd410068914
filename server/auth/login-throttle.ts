/**
 * Failed-login limits per email and per client address (rate-limiter-flexible,
 * fixed 15-minute windows). Entries expire on their own; nothing is ever
 * cleared wholesale, so flooding the table with other emails cannot lift a
 * victim's limit. The table stays small: every attempt that is not refused
 * first costs one scrypt, and scrypt runs under a global concurrency limit.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AccessError } from '../errors.ts';

export const LOGIN_FAILURES_PER_EMAIL = 10;
export const LOGIN_FAILURES_PER_ADDRESS = 100;
const WINDOW_SECONDS = 15 * 60;

export interface LoginThrottle {
  /** Throws RATE_LIMITED when the email or the address has failed too often in the window. */
  check(email: string, address: string): Promise<void>;
  recordFailure(email: string, address: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

export function createLoginThrottle(): LoginThrottle {
  const byEmail = new RateLimiterMemory({
    keyPrefix: 'login-email',
    points: LOGIN_FAILURES_PER_EMAIL,
    duration: WINDOW_SECONDS,
  });
  const byAddress = new RateLimiterMemory({
    keyPrefix: 'login-address',
    points: LOGIN_FAILURES_PER_ADDRESS,
    duration: WINDOW_SECONDS,
  });
  return {
    async check(email, address) {
      const [emailState, addressState] = await Promise.all([byEmail.get(email), byAddress.get(address)]);
      if (
        (emailState?.consumedPoints ?? 0) >= LOGIN_FAILURES_PER_EMAIL ||
        (addressState?.consumedPoints ?? 0) >= LOGIN_FAILURES_PER_ADDRESS
      ) {
        throw new AccessError('RATE_LIMITED', 'too many failed login attempts; try again later');
      }
    },
    async recordFailure(email, address) {
      await Promise.all([byEmail.penalty(email, 1), byAddress.penalty(address, 1)]);
    },
    async recordSuccess(email) {
      await byEmail.delete(email);
    },
  };
}
