import { describe, expect, it } from 'vitest';
import { builtinEnabled, builtinName, createBuiltinExecutor, builtinTool } from '../../server/executions/builtins.ts';
import { breakerKey, createCircuitBreaker } from '../../server/executions/circuit-breaker.ts';
import { deepFreeze, deepMerge, mergedConfiguration } from '../../server/executions/deep-merge.ts';
import { createParameterValidator } from '../../server/executions/parameter-validation.ts';
import { capOutput, createNormalizer } from '../../server/executions/result-normalizer.ts';
import { backoffDelay, nextRetryDelay } from '../../server/executions/retry.ts';
import type { ExecutionContext, JsonObject } from '../../server/executors/types.ts';

describe('deepMerge', () => {
  it('merges objects key by key; arrays, scalars and null replace', () => {
    const base = { url: 'a', headers: { A: '1', B: '2' }, list: [1, 2], nested: { x: { y: 1, z: 2 } } };
    expect(deepMerge(base, { headers: { B: 'two' }, list: [3], nested: { x: { z: null } } })).toEqual({
      url: 'a',
      headers: { A: '1', B: 'two' },
      list: [3],
      nested: { x: { y: 1, z: null } },
    });
    expect(deepMerge(base, null)).toBe(base);
    expect(base.headers.B).toBe('2');
  });

  it('cannot pollute prototypes', () => {
    const merged = deepMerge(
      {},
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}}') as JsonObject,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(merged)).toEqual([]);
  });

  it('merges a frozen (cached) pair once, frozen; anything else is merged afresh', () => {
    const base = deepFreeze({ url: 'a', headers: { A: '1' } } as JsonObject);
    const override = deepFreeze({ headers: { B: '2' } } as JsonObject);
    const merged = mergedConfiguration(base, override);
    expect(merged).toEqual({ url: 'a', headers: { A: '1', B: '2' } });
    expect(Object.isFrozen(merged) && Object.isFrozen(merged.headers)).toBe(true);
    expect(mergedConfiguration(base, override)).toBe(merged);
    // Another override (a changed assignment is a new cached object) is merged on its own.
    const changed = deepFreeze({ headers: { B: '3' } } as JsonObject);
    expect(mergedConfiguration(base, changed)).toEqual({ url: 'a', headers: { A: '1', B: '3' } });
    const loose = { headers: { B: '2' } } as JsonObject;
    const fresh = mergedConfiguration(base, loose);
    expect(fresh).toEqual(merged);
    expect(fresh).not.toBe(merged);
    expect(Object.isFrozen(fresh)).toBe(false);
    expect(mergedConfiguration(base, null)).toBe(base);
  });
});

describe('retry policy', () => {
  const retryable = { code: 'UPSTREAM_UNAVAILABLE' as const, message: '', retryable: true };
  const options = { baseMs: 100, maxMs: 1_000, minAttemptMs: 50 };

  it('full jitter stays within the exponential ceiling', () => {
    expect(backoffDelay(1, options, () => 0.999)).toBe(99);
    expect(backoffDelay(3, options, () => 0.999)).toBe(399);
    expect(backoffDelay(10, options, () => 0.999)).toBe(999);
    expect(backoffDelay(4, options, () => 0)).toBe(0);
  });

  it('retries only retryable failures, within the attempts and the deadline', () => {
    expect(nextRetryDelay({ ...retryable, retryable: false }, 1, 3, 10_000, 0, options)).toBeNull();
    expect(nextRetryDelay(retryable, 4, 3, 10_000, 0, options)).toBeNull();
    expect(nextRetryDelay(retryable, 1, 3, 10_000, 0, options, () => 0.5)).toBe(50);
    expect(nextRetryDelay({ ...retryable, retryAfterMs: 2_000 }, 1, 3, 10_000, 0, options)).toBe(2_000);
    expect(nextRetryDelay({ ...retryable, retryAfterMs: 2_000 }, 1, 3, 2_010, 0, options)).toBeNull();
    expect(nextRetryDelay(retryable, 1, 3, 40, 0, options, () => 0)).toBeNull();
  });
});

describe('circuit breaker', () => {
  it('opens, fails fast, lets one probe through after the cooldown', async () => {
    let now = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000, clock: () => now });
    await breaker.record('t', true, false);
    expect(breaker.state('t')).toBe('closed');
    await breaker.record('t', true, false);
    expect(breaker.state('t')).toBe('open');
    expect(await breaker.acquire('t')).toEqual({ allowed: false, retryAfterMs: 1_000 });
    now = 1_000;
    expect(await breaker.acquire('t')).toEqual({ allowed: true, probe: true });
    expect((await breaker.acquire('t')).allowed).toBe(false);
    await breaker.record('t', false, true);
    expect(breaker.state('t')).toBe('closed');
    expect(await breaker.acquire('t')).toEqual({ allowed: true, probe: false });
  });

  it('a success resets the streak', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1_000 });
    await breaker.record('t', true, false);
    await breaker.record('t', false, false);
    await breaker.record('t', true, false);
    expect(breaker.state('t')).toBe('closed');
  });

  it('keys an execution by its tool version, its merged configuration, and live or test', () => {
    const tool = { id: 't1', version: 3, configuration: { url: 'https://a.example/x' } };
    expect(breakerKey(tool, 'call')).toBe(
      breakerKey({ ...tool, configuration: { url: 'https://a.example/x' } }, 'sms'),
    );
    expect(breakerKey(tool, 'test')).not.toBe(breakerKey(tool, 'call'));
    expect(breakerKey({ ...tool, version: 4 }, 'call')).not.toBe(breakerKey(tool, 'call'));
    expect(breakerKey({ ...tool, configuration: { url: 'https://b.example/x' } }, 'call')).not.toBe(
      breakerKey(tool, 'call'),
    );
  });
});

describe('parameter validation', () => {
  it('compiles once per key and stays bounded', () => {
    const validator = createParameterValidator(2);
    const schema = {
      type: 'object',
      properties: { n: { type: 'integer' } },
      required: ['n'],
      additionalProperties: false,
    };
    expect(validator.check('a@1', schema, { n: 1 })).toEqual({ ok: true });
    const bad = validator.check('a@1', schema, { m: 'x' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.issues).toEqual(['missing required parameter "n"', 'unknown parameter "m"']);
    validator.check('b@1', schema, { n: 1 });
    validator.check('c@1', schema, { n: 1 });
    expect(validator.size).toBe(2);
  });
});

describe('result normalizer', () => {
  it('caps the output and keeps a preview', () => {
    const capped = capOutput({ success: true, message: 'ok', data: { blob: 'x'.repeat(5_000) } }, 1_000);
    expect(capped.message).toContain('truncated');
    expect(capped.data).toMatchObject({ truncated: true });
    expect(Buffer.byteLength(JSON.stringify(capped.data))).toBeLessThan(1_200);
  });

  const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  it('never cuts between the halves of an emoji', () => {
    for (let offset = 0; offset < 4; offset += 1) {
      const text = `${'a'.repeat(1_998 + offset)}${'😀'.repeat(10)}`;
      const normalizer = createNormalizer([]);
      expect(normalizer.error(text)).not.toMatch(loneSurrogate);
      expect(normalizer.logs([text])?.[0]).not.toMatch(loneSurrogate);
      const capped = capOutput(
        { success: true, message: '', data: `${'b'.repeat(900 + offset)}${'😀'.repeat(200)}` },
        1_000,
      );
      expect(JSON.stringify(capped)).not.toMatch(loneSurrogate);
    }
  });

  it('counts the message in the output cap', () => {
    const capped = capOutput({ success: true, message: 'm'.repeat(5_000), data: { blob: 'x'.repeat(5_000) } }, 1_000);
    expect(Buffer.byteLength(capped.message) + Buffer.byteLength(JSON.stringify(capped.data))).toBeLessThanOrEqual(
      1_000,
    );
    expect(capped.message.startsWith('mmm')).toBe(true);
    const small = { success: true, message: 'short', data: { ok: 1 } };
    expect(capOutput(small, 1_000)).toBe(small);
  });

  it('redacts every spelling of a revealed secret', () => {
    const secret = 'p@ss word/1';
    const normalizer = createNormalizer([secret]);
    expect(normalizer.error(`bad ${encodeURIComponent(secret)}`)).toBe('bad [REDACTED]');
    expect(normalizer.result({ success: true, message: secret, data: [secret] })).toEqual({
      success: true,
      message: '[REDACTED]',
      data: ['[REDACTED]'],
    });
    expect(normalizer.logs([`token=${secret}`])).toEqual(['token=[REDACTED]']);
  });
});

describe('built-ins', () => {
  const context: ExecutionContext = {
    executionId: 'e',
    organizationId: 'o',
    assistantId: 'a',
    callSid: 'CA1',
    phoneNumber: null,
    from: null,
    to: null,
    userId: null,
    triggerContext: 'call',
    toolCallId: null,
  };
  const run = (name: 'endCall' | 'transferCall', settings: JsonObject, parameters: JsonObject) =>
    createBuiltinExecutor().execute({
      tool: builtinTool(name, settings),
      parameters,
      context,
      secrets: { get: async () => undefined },
      signal: new AbortController().signal,
      deadline: Date.now() + 1_000,
      idempotencyKey: 'k',
      attempt: 1,
    });

  it('knows legacy names and enablement', () => {
    expect(builtinName('end_call')).toBe('endCall');
    expect(builtinName('transferCall')).toBe('transferCall');
    expect(builtinName('other')).toBeNull();
    expect(builtinEnabled({ enabled_tools: ['transfer_call'] }, 'transferCall')).toBe(true);
    expect(builtinEnabled({ enabled_tools: ['endCall'], end_call: { enabled: false } }, 'endCall')).toBe(false);
    expect(builtinEnabled({}, 'endCall')).toBe(false);
  });

  it('endCall uses the default message when none is configured', async () => {
    const outcome = await run('endCall', {}, {});
    expect(outcome.ok && outcome.result.data).toEqual({
      action: 'end_call',
      message: 'Thank you for calling. Goodbye.',
    });
  });

  it('transferCall with a single destination needs no argument; with none configured it refuses', async () => {
    const one = { transfer_call: { transfer_numbers: [{ name: 'Desk', number: '+15550000001' }] } };
    const outcome = await run('transferCall', one, {});
    expect(outcome.ok && outcome.result.data).toMatchObject({ action: 'transfer_call', number: '+15550000001' });
    const none = await run('transferCall', {}, { number: '+15550000001' });
    expect(!none.ok && none.error.message).toContain('No transfer destinations');
  });
});
