/**
 * The circuit breaker counts executions (not attempts), never hides the real
 * error of the execution that opened it, keeps test runs and one assistant's
 * override apart from everyone's live calls, and with Redis is one state for
 * every instance (falling back to the instance's own when Redis is down).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCircuitBreaker, type CircuitBreaker } from '../../server/executions/circuit-breaker.ts';
import { startEngineHarness, type EngineHarness } from '../helpers/engine-harness.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BREAKER = { failureThreshold: 3, cooldownMs: 60_000 };

let h: EngineHarness;

beforeAll(async () => {
  h = await startEngineHarness({ engine: { circuitBreaker: BREAKER } });
});

afterAll(async () => {
  await h?.close();
});

const scripted = (name: string) => ({ url: `${h.upstream.base}/script/${name}`, method: 'GET' });

describe('circuit breaker', () => {
  it('one execution with retries is one failure, reported with its real error', async () => {
    h.upstream.script('retried', [503, 503, 503, 503, 503, 503]);
    const toolId = await h.createTool({ configuration: scripted('retried'), retryAttempts: 5, timeoutSeconds: 30 });
    const row = await h.run({ toolId });
    expect(row).toMatchObject({ status: 'ERROR', errorCode: 'UPSTREAM_UNAVAILABLE', retryCount: 5 });
    // Two more failing executions are needed to open it: the next one still reaches the upstream.
    h.upstream.script('retried', [503, 503, 503, 503, 503, 503]);
    expect((await h.run({ toolId })).errorCode).toBe('UPSTREAM_UNAVAILABLE');
    expect(h.upstream.hits('/script/retried')).toHaveLength(12);
  });

  it('the execution that opens it reports its own error; the next fails fast', async () => {
    h.upstream.script('opens', [500, 500, 500]);
    const toolId = await h.createTool({ configuration: scripted('opens') });
    const codes = [];
    for (let i = 0; i < 4; i += 1) codes.push((await h.run({ toolId })).errorCode);
    expect(codes).toEqual(['HTTP_ERROR', 'HTTP_ERROR', 'HTTP_ERROR', 'CIRCUIT_OPEN']);
    expect(h.upstream.hits('/script/opens')).toHaveLength(3);
  });

  it('failing test runs do not open it for live calls', async () => {
    h.upstream.script('tested', [500, 500, 500, 500]);
    const toolId = await h.createTool({ configuration: scripted('tested') });
    const test = () => h.run({ toolId, context: { triggerContext: 'test' } });
    for (let i = 0; i < 3; i += 1) expect((await test()).errorCode).toBe('HTTP_ERROR');
    expect((await test()).errorCode).toBe('CIRCUIT_OPEN');
    // The 4th scripted 500 goes to the live call: it ran.
    expect((await h.run({ toolId })).errorCode).toBe('HTTP_ERROR');
    expect((await h.run({ toolId })).status).toBe('SUCCESS');
  });

  it("one assistant's broken override opens only its own breaker", async () => {
    const toolId = await h.createTool({ name: 'shared_lookup', configuration: scripted('healthy') });
    const broken = await h.createAssistant();
    const fine = await h.createAssistant();
    await h.assign(broken, toolId, { customConfiguration: { url: `${h.upstream.base}/status/500` } });
    await h.assign(fine, toolId);
    const call = (assistantId: string) =>
      h.run({ assistantId, toolName: 'shared_lookup', context: { triggerContext: 'call' } });
    const codes = [];
    for (let i = 0; i < 4; i += 1) codes.push((await call(broken)).errorCode);
    expect(codes).toEqual(['HTTP_ERROR', 'HTTP_ERROR', 'HTTP_ERROR', 'CIRCUIT_OPEN']);
    expect((await call(fine)).status).toBe('SUCCESS');
  });
});

describe('circuit breaker shared through Redis', () => {
  const breakers: CircuitBreaker[] = [];
  const shared = (url = REDIS_URL, keyPrefix = `test:circuit:${randomUUID()}:`) => {
    const breaker = createRedisCircuitBreaker(url, { ...BREAKER, keyPrefix });
    breakers.push(breaker);
    return breaker;
  };
  afterAll(async () => {
    for (const breaker of breakers) await breaker.close();
  });

  it('opened by one instance, it is open on the other', async () => {
    const keyPrefix = `test:circuit:${randomUUID()}:`;
    const first = h.restart({ circuitBreaker: BREAKER }, { circuitBreaker: shared(REDIS_URL, keyPrefix) });
    const second = h.restart({ circuitBreaker: BREAKER }, { circuitBreaker: shared(REDIS_URL, keyPrefix) });
    h.upstream.script('spread', [500, 500, 500]);
    const toolId = await h.createTool({ configuration: scripted('spread') });
    const request = {
      organizationId: h.org.id,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' as const },
      actor: { userId: h.actor.userId, apiKeyId: null },
    };
    for (let i = 0; i < 3; i += 1) expect((await first.run(request)).errorCode).toBe('HTTP_ERROR');
    expect((await second.run(request)).errorCode).toBe('CIRCUIT_OPEN');
    expect(h.upstream.hits('/script/spread')).toHaveLength(3);
  });

  it('with Redis unreachable, each instance decides with its own breaker', async () => {
    const down = shared('redis://127.0.0.1:1');
    const engine = h.restart({ circuitBreaker: BREAKER }, { circuitBreaker: down });
    h.upstream.script('offline', [500, 500, 500]);
    const toolId = await h.createTool({ configuration: scripted('offline') });
    const request = {
      organizationId: h.org.id,
      toolId,
      parameters: { order_id: 'A-1' },
      context: { triggerContext: 'call' as const },
      actor: { userId: h.actor.userId, apiKeyId: null },
    };
    const codes = [];
    for (let i = 0; i < 4; i += 1) codes.push((await engine.run(request)).errorCode);
    expect(codes).toEqual(['HTTP_ERROR', 'HTTP_ERROR', 'HTTP_ERROR', 'CIRCUIT_OPEN']);
  });
});
