import { describe, expect, test } from 'vitest';
import { outcomeOfStatus, retryDelayMs } from '../../server/deliveries/retry-policy.ts';
import { signWebhook, verifyWebhookSignature } from '../../server/deliveries/webhook-signature.ts';

const POLICY = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 30_000 };

describe('delivery retry policy', () => {
  test('2xx is delivered; 408, 429 and 5xx are retried; every other answer fails at once', () => {
    expect([200, 201, 204, 299].map(outcomeOfStatus)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect([408, 429, 500, 502, 503, 504].map(outcomeOfStatus)).toEqual(Array(6).fill('retry'));
    expect([301, 302, 400, 401, 403, 404, 410, 422].map(outcomeOfStatus)).toEqual(Array(8).fill('failed'));
  });

  test('the wait doubles per attempt between half and all of its ceiling, and never passes the maximum', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(POLICY, attempt, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(POLICY, attempt, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelayMs(POLICY, 40, () => 1)).toBe(30_000);
    expect(retryDelayMs(POLICY, 40, () => 0)).toBe(15_000);
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"d1","event":"execution.result"}';

  test('a signature verifies within the tolerance, and not for another body, secret or a stale time', () => {
    const now = 1_764_900_000;
    const header = signWebhook(secret, body, now);
    expect(header).toMatch(/^t=1764900000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, body, header, now + 60)).toBe(true);
    expect(verifyWebhookSignature(secret, body.replace('d1', 'd2'), header, now)).toBe(false);
    expect(verifyWebhookSignature('whsec_other', body, header, now)).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, now + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, body, null, now)).toBe(false);
  });
});
