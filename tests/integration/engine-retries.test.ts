import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness({ engine: { circuitBreaker: { failureThreshold: 3, cooldownMs: 400 } } });
});

afterAll(async () => {
  await h?.close();
});

const scripted = (name: string) => ({ url: `${h.upstream.base}/script/${name}`, method: 'GET' });

describe('retries', () => {
  it('retries a 503 and records the retry count of the success', async () => {
    h.upstream.script('flaky', [503, 503]);
    const toolId = await h.createTool({ configuration: scripted('flaky'), retryAttempts: 3 });
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'SUCCESS', retryCount: 2 });
    expect(h.upstream.hits('/script/flaky')).toHaveLength(3);
    const idempotencyKeys = new Set(
      h.upstream.hits('/script/flaky').map((request) => request.headers['idempotency-key']),
    );
    expect(idempotencyKeys).toEqual(new Set([row.id]));
  });

  it('gives up after retry_attempts', async () => {
    h.upstream.script('down', [503, 502, 504, 503]);
    const toolId = await h.createTool({ configuration: scripted('down'), retryAttempts: 2 });
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', retryCount: 2 });
    expect(h.upstream.hits('/script/down')).toHaveLength(3);
  });

  it('never retries a 4xx', async () => {
    h.upstream.script('bad', [400, 400]);
    const toolId = await h.createTool({ configuration: scripted('bad'), retryAttempts: 3 });
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'HTTP_ERROR', retryCount: 0 });
    expect(h.upstream.hits('/script/bad')).toHaveLength(1);
  });

  it('honours Retry-After when it fits the deadline', async () => {
    h.upstream.script('polite', [{ status: 429, headers: { 'retry-after': '1' } }]);
    const toolId = await h.createTool({ configuration: scripted('polite'), retryAttempts: 1, timeoutSeconds: 5 });
    const started = Date.now();
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'SUCCESS', retryCount: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After beyond the deadline', async () => {
    h.upstream.script('impatient', [{ status: 503, headers: { 'retry-after': '30' } }]);
    const toolId = await h.createTool({ configuration: scripted('impatient'), retryAttempts: 5, timeoutSeconds: 2 });
    const started = Date.now();
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', retryCount: 0 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('retries never run past the deadline', async () => {
    const slowBackoff = h.restart({ backoff: { baseMs: 300, maxMs: 300, minAttemptMs: 50 } });
    h.upstream.script(
      'forever',
      Array.from({ length: 50 }, () => 503),
    );
    const toolId = await h.createTool({ configuration: scripted('forever'), retryAttempts: 5, timeoutSeconds: 1 });
    const started = Date.now();
    const row = await slowBackoff.run({
      organizationId: h.org.id,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' },
      actor: { userId: null, apiKeyId: null },
    });
    const elapsed = Date.now() - started;
    expect(row.status).toBe('ERROR');
    // Full jitter may fit all five retries in the second, or not: what matters is the deadline.
    expect(h.upstream.hits('/script/forever')).toHaveLength(row.retryCount + 1);
    expect(elapsed).toBeLessThan(1_100);
    expect(row.durationMs).toBeLessThanOrEqual(1_000);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, then half-opens and closes on a good probe', async () => {
    h.upstream.script('breaker', [500, 500, 500, 500]);
    const toolId = await h.createTool({ configuration: scripted('breaker') });
    for (let i = 0; i < 3; i += 1) expect((await h.run({ toolId })).errorCode).toBe('HTTP_ERROR');
    expect(h.upstream.hits('/script/breaker')).toHaveLength(3);

    const fast = await h.run({ toolId });
    expect(fast).toMatchObject({ status: 'ERROR', errorCode: 'CIRCUIT_OPEN' });
    expect(h.upstream.hits('/script/breaker')).toHaveLength(3);

    await new Promise((resolve) => setTimeout(resolve, 450));
    // Half-open: one probe goes through, fails (the 4th scripted 500) and re-opens the breaker.
    expect((await h.run({ toolId })).errorCode).toBe('HTTP_ERROR');
    expect((await h.run({ toolId })).errorCode).toBe('CIRCUIT_OPEN');
    expect(h.upstream.hits('/script/breaker')).toHaveLength(4);

    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
    expect(h.upstream.hits('/script/breaker')).toHaveLength(6);
  });

  it('client errors do not trip the breaker', async () => {
    const toolId = await h.createTool({ configuration: { url: `${h.upstream.base}/status/404`, method: 'GET' } });
    for (let i = 0; i < 5; i += 1) expect((await h.run({ toolId })).errorCode).toBe('HTTP_ERROR');
  });
});
