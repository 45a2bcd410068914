/**
 * When to try a failed attempt again: exponential backoff with full jitter,
 * the upstream's Retry-After when it gave one, and never past the deadline.
 */
import type { ExecutionFailure } from '../executors/types.ts';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** A retry is pointless without at least this much time left for the attempt itself. */
  minAttemptMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 2_000, minAttemptMs: 50 };

/** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. `attempt` is the attempt that failed (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The delay before the next attempt, or null when there should be none:
 * not retryable, attempts used up, or the wait (plus a minimal attempt) would not fit before the deadline.
 */
export function nextRetryDelay(
  failure: ExecutionFailure,
  attempt: number,
  maxRetries: number,
  deadline: number,
  now: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random,
): number | null {
  if (!failure.retryable || attempt > maxRetries) return null;
  const delay = failure.retryAfterMs !== undefined ? failure.retryAfterMs : backoffDelay(attempt, options, random);
  return now + delay + options.minAttemptMs <= deadline ? delay : null;
}

/** Resolves after `ms`, or early (false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
