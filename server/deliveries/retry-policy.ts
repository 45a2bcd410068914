/** When a delivery is tried again, and which answers mean "try again" at all. */

export interface RetryPolicy {
  /** Attempts in all, the first included; after the last failure the delivery is FAILED. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 2xx delivered; 408, 429 and 5xx are the receiver's "not now"; any other answer will not change on a retry. */
export function outcomeOfStatus(status: number): 'delivered' | 'retry' | 'failed' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'failed';
}

/**
 * Exponential backoff with "full jitter" on the upper half: after attempt n the wait is
 * between half and all of min(max, base·2^(n-1)), so receivers recovering from an outage
 * are not hit by every delivery at the same instant.
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
