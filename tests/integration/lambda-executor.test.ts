import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaExecutor, DEFAULT_PAYLOAD_TEMPLATE } from '../../server/executors/lambda.ts';
import type { LambdaExecutor } from '../../server/executors/lambda.ts';
import { renderTemplate } from '../../server/executors/template.ts';
import type {
  ExecutorInput,
  ExecutorOutcome,
  JsonObject,
  JsonValue,
  SecretAccess,
} from '../../server/executors/types.ts';
import { outcome, startFakeLambda, stubAwsEnvironment } from '../helpers/fake-lambda.ts';
import type { FakeLambda } from '../helpers/fake-lambda.ts';

const REGION = 'us-east-1';
const ACCESS_KEY_ID = 'AKIAFAKELAMBDA000001';
const SECRET_ACCESS_KEY = 'fake/secret+key/for-signature-checks';
const ENV_ACCESS_KEY_ID = 'AKIAFAKEFROMENVIRON1';
const ENV_SECRET_ACCESS_KEY = 'environment-secret-key';
const CREDENTIAL_SECRETS = { AWS_KEY: ACCESS_KEY_ID, AWS_SECRET: SECRET_ACCESS_KEY };
const CREDENTIAL_FIELDS = { access_key_field: 'AWS_KEY', secret_key_field: 'AWS_SECRET' };

const leftovers: Array<() => Promise<void> | void> = [];
let fake: FakeLambda;
let envFake: FakeLambda;
let executor: LambdaExecutor;

function field(value: JsonValue, key: string): JsonValue | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
}

function secretStore(values: Record<string, string>): SecretAccess & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get: async (name) => {
      asked.push(name);
      return values[name];
    },
  };
}

function makeInput(configuration: JsonObject, overrides: Partial<ExecutorInput> = {}): ExecutorInput {
  return {
    tool: { id: 'tool_1', name: 'lookup_order', type: 'LAMBDA', version: 3, configuration },
    parameters: { order_id: 'A-1001', quantity: 2 },
    context: {
      executionId: 'exec_1',
      organizationId: 'org_1',
      assistantId: 'asst_1',
      callSid: 'CA123',
      phoneNumber: '+15550001111',
      from: '+15550001111',
      to: '+15550002222',
      userId: null,
      triggerContext: 'call',
      toolCallId: 'call_abc',
    },
    secrets: secretStore(CREDENTIAL_SECRETS),
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: 'idem-123',
    attempt: 1,
    ...overrides,
  };
}

function config(extra: JsonObject = {}): JsonObject {
  return { function_name: 'echo', region: REGION, ...CREDENTIAL_FIELDS, ...extra };
}

function expectFailure(result: ExecutorOutcome) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.result)}`);
  return result.error;
}

function expectSuccess(result: ExecutorOutcome) {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.result;
}

beforeAll(async () => {
  // The default credential chain must stop at the environment: no profile files, no instance metadata.
  leftovers.push(stubAwsEnvironment(ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY));

  const functions = {
    echo: (event: JsonValue) => outcome.value({ received: event }),
    reply: (event: JsonValue) => outcome.value(field(field(event, 'parameters') ?? null, 'reply') ?? null),
    'handled-error': () =>
      outcome.functionError('Order A-1001 does not exist', { errorType: 'OrderNotFound', handled: true }),
    'unhandled-error': () => outcome.functionError('Cannot read properties of undefined', { errorType: 'TypeError' }),
    throttled: () => outcome.throttled({ retryAfterSeconds: 3 }),
    broken: () => outcome.serviceError('An internal error occurred.'),
    'bad-gateway': () => outcome.raw(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }),
    logger: () => outcome.value({ ok: 1 }, { logs: 'looking up order\nfound it\n' }),
    slow: () => outcome.value({ late: true }, { delayMs: 5_000 }),
    'raw-error': (event: JsonValue) => {
      const parameters = field(event, 'parameters') ?? null;
      const errorType = String(field(parameters, 'error_type'));
      const body = JSON.stringify({ Type: 'User', message: `simulated ${errorType}` });
      return outcome.raw(Number(field(parameters, 'status')), body, {
        'content-type': 'application/json',
        'x-amzn-errortype': errorType,
      });
    },
    'not-json': () => outcome.raw(200, 'this is not json', { 'content-type': 'application/json' }),
  };
  fake = await startFakeLambda({
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    functions,
  });
  leftovers.push(() => fake.close());
  envFake = await startFakeLambda({
    accessKeyId: ENV_ACCESS_KEY_ID,
    secretAccessKey: ENV_SECRET_ACCESS_KEY,
    region: REGION,
    functions,
  });
  leftovers.push(() => envFake.close());
  executor = createLambdaExecutor({ endpoint: fake.url });
  leftovers.push(() => executor.close());
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

describe('RequestResponse invocations', () => {
  it('renders the payload template, adds the idempotency key and returns the payload as data', async () => {
    const template = {
      order: '${parameters.order_id}',
      quantity: '${parameters.quantity}',
      all: '${parameters}',
      caller: 'Caller ${phone_number}',
      assistant: '${context.assistant_id}',
    };
    const before = fake.calls.length;
    const result = await executor.execute(makeInput(config({ payload_template: template })));

    const sent = {
      order: 'A-1001',
      quantity: 2,
      all: { order_id: 'A-1001', quantity: 2 },
      caller: 'Caller +15550001111',
      assistant: 'asst_1',
      idempotency_key: 'idem-123',
    };
    expect(expectSuccess(result)).toEqual({
      success: true,
      message: 'Lambda function completed',
      data: { received: sent },
    });
    expect(fake.calls.length).toBe(before + 1);
    const call = fake.calls.at(-1);
    expect(call?.payload).toEqual(sent);
    expect(call?.invocationType).toBe('RequestResponse');
    expect(call?.headers['x-amz-invocation-type']).toBe('RequestResponse');
    expect(result.request).toEqual({
      method: 'POST',
      url: `lambda://${REGION}/echo?InvocationType=RequestResponse`,
      headers: { 'X-Amz-Invocation-Type': 'RequestResponse' },
      body: sent,
    });
    expect(result.meta).toMatchObject({ statusCode: 200, executedVersion: '$LATEST', functionError: null });
  });

  it('sends the default payload when no template is configured', async () => {
    const input = makeInput(config());
    await executor.execute(input);
    const expected = {
      ...(renderTemplate(DEFAULT_PAYLOAD_TEMPLATE, {
        call_sid: 'CA123',
        phone_number: '+15550001111',
        parameters: input.parameters,
        context: { assistant_id: 'asst_1', execution_id: 'exec_1', tool_call_id: 'call_abc', trigger_context: 'call' },
        secrets: {},
      }) as JsonObject),
      idempotency_key: 'idem-123',
    };
    expect(fake.calls.at(-1)?.payload).toEqual(expected);
    expect(expected).toMatchObject({
      parameters: { order_id: 'A-1001' },
      context: { call_sid: 'CA123', assistant_id: 'asst_1' },
    });
  });

  it('uses success/message/data from a payload already in tool-result shape', async () => {
    const failed = await executor.execute(
      makeInput(config({ function_name: 'reply' }), {
        parameters: { reply: { success: false, message: 'Out of stock', data: { eta_days: 4 } } },
      }),
    );
    expect(expectSuccess(failed)).toEqual({ success: false, message: 'Out of stock', data: { eta_days: 4 } });

    const rest = await executor.execute(
      makeInput(config({ function_name: 'reply' }), { parameters: { reply: { success: true, order: 'A-1001' } } }),
    );
    expect(expectSuccess(rest)).toEqual({
      success: true,
      message: 'Lambda function completed',
      data: { order: 'A-1001' },
    });

    const scalar = await executor.execute(
      makeInput(config({ function_name: 'reply' }), { parameters: { reply: 'plain text' } }),
    );
    expect(expectSuccess(scalar)).toEqual({ success: true, message: 'Lambda function completed', data: 'plain text' });
  });

  it('maps the payload with response_handling paths', async () => {
    const reply = { status: { ok: false, text: 'Card declined' }, body: { items: [1, 2] } };
    const result = await executor.execute(
      makeInput(
        config({
          function_name: 'reply',
          response_handling: { success_field: 'status.ok', message_field: 'status.text', data_field: 'body.items' },
        }),
        { parameters: { reply } },
      ),
    );
    expect(expectSuccess(result)).toEqual({ success: false, message: 'Card declined', data: [1, 2] });
  });

  it.each([
    ['handled-error', 'Handled', 'OrderNotFound: Order A-1001 does not exist'],
    ['unhandled-error', 'Unhandled', 'TypeError: Cannot read properties of undefined'],
  ])('reports a %s as FUNCTION_ERROR, not retryable, despite HTTP 200', async (name, kind, message) => {
    const result = await executor.execute(makeInput(config({ function_name: name })));
    const error = expectFailure(result);
    expect(error).toMatchObject({ code: 'FUNCTION_ERROR', retryable: false });
    expect(error.message).toContain(message);
    expect(error.message).toContain(kind);
    expect(result.meta).toMatchObject({ statusCode: 200, functionError: kind });
  });

  it('reports a non-JSON payload as INVALID_RESPONSE', async () => {
    const error = expectFailure(await executor.execute(makeInput(config({ function_name: 'not-json' }))));
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', retryable: false });
  });

  it('captures the log tail when log_type is Tail', async () => {
    const result = await executor.execute(makeInput(config({ function_name: 'logger', log_type: 'Tail' })));
    expect(expectSuccess(result).data).toEqual({ ok: 1 });
    expect(fake.calls.at(-1)?.logType).toBe('Tail');
    expect(result.logs).toEqual([
      expect.stringMatching(/^START RequestId: /),
      'looking up order',
      'found it',
      expect.stringMatching(/^END RequestId: /),
    ]);
    expect(result.request?.headers).toEqual({ 'X-Amz-Invocation-Type': 'RequestResponse', 'X-Amz-Log-Type': 'Tail' });
  });

  it('passes the qualifier and reports the executed version', async () => {
    const result = await executor.execute(makeInput(config({ qualifier: '7' })));
    expectSuccess(result);
    expect(fake.calls.at(-1)).toMatchObject({ functionName: 'echo', qualifier: '7' });
    expect(result.meta).toMatchObject({ executedVersion: '7' });
    expect(result.request?.url).toBe(`lambda://${REGION}/echo:7?InvocationType=RequestResponse`);
  });

  it('invokes by ARN with the signature computed over the encoded path', async () => {
    const arn = `arn:aws:lambda:${REGION}:123456789012:function:echo`;
    const result = await executor.execute(makeInput(config({ function_name: arn, qualifier: 'live' })));
    expectSuccess(result);
    expect(fake.calls.at(-1)).toMatchObject({ requestedName: arn, functionName: 'echo', qualifier: 'live' });
  });
});

describe('Event invocations', () => {
  it('returns accepted on 202 and sends the Event invocation type', async () => {
    const result = await executor.execute(makeInput(config({ invocation_type: 'Event' })));
    expect(expectSuccess(result)).toEqual({ success: true, message: 'Invocation accepted', data: { accepted: true } });
    expect(fake.calls.at(-1)).toMatchObject({ invocationType: 'Event', status: 202 });
    expect(result.meta).toMatchObject({ statusCode: 202 });
    expect(result.request?.url).toBe(`lambda://${REGION}/echo?InvocationType=Event`);
  });
});

describe('service errors', () => {
  it('maps throttling to LAMBDA_THROTTLED with the Retry-After hint, leaving retries to the engine', async () => {
    const before = fake.calls.length;
    const error = expectFailure(await executor.execute(makeInput(config({ function_name: 'throttled' }))));
    expect(error).toMatchObject({ code: 'LAMBDA_THROTTLED', retryable: true, retryAfterMs: 3000 });
    expect(fake.calls.length).toBe(before + 1);
  });

  it('maps ServiceException and a 502 from a proxy to retryable LAMBDA_SERVICE_ERROR', async () => {
    const before = fake.calls.length;
    const service = await executor.execute(makeInput(config({ function_name: 'broken' })));
    expect(fake.calls.length).toBe(before + 1);
    expect(expectFailure(service)).toMatchObject({ code: 'LAMBDA_SERVICE_ERROR', retryable: true });
    expect(service.meta).toEqual({ statusCode: 500 });

    const gateway = expectFailure(await executor.execute(makeInput(config({ function_name: 'bad-gateway' }))));
    expect(gateway).toMatchObject({ code: 'LAMBDA_SERVICE_ERROR', retryable: true });
  });

  it.each([
    [502, 'ResourceNotReadyException', 'LAMBDA_SERVICE_ERROR', true],
    [502, 'EC2ThrottledException', 'LAMBDA_THROTTLED', true],
    [409, 'ResourceConflictException', 'LAMBDA_SERVICE_ERROR', true],
    [502, 'KMSAccessDeniedException', 'FUNCTION_ERROR', false],
    [400, 'InvalidRequestContentException', 'INVALID_CONFIGURATION', false],
    [403, 'AccessDeniedException', 'INVALID_CONFIGURATION', false],
    [413, 'RequestTooLargeException', 'PAYLOAD_TOO_LARGE', false],
  ])('maps HTTP %i %s to %s (retryable: %s)', async (status, errorType, code, retryable) => {
    const parameters = { status, error_type: errorType };
    const error = expectFailure(
      await executor.execute(makeInput(config({ function_name: 'raw-error' }), { parameters })),
    );
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).toContain(`simulated ${errorType}`);
  });

  it('maps a missing function to INVALID_CONFIGURATION, not retryable', async () => {
    const error = expectFailure(await executor.execute(makeInput(config({ function_name: 'does-not-exist' }))));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', retryable: false });
    expect(error.message).toContain('Function not found');
  });

  it('maps an unreachable endpoint to retryable CONNECT_ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const offline = createLambdaExecutor({ endpoint: `http://127.0.0.1:${port}` });
    leftovers.push(() => offline.close());
    const error = expectFailure(await offline.execute(makeInput(config())));
    expect(error).toMatchObject({ code: 'CONNECT_ERROR', retryable: true });
  });
});

describe('credentials', () => {
  it('signs with credentials read from the named organization secrets', async () => {
    const secrets = secretStore(CREDENTIAL_SECRETS);
    expectSuccess(await executor.execute(makeInput(config(), { secrets })));
    expect(secrets.asked).toEqual(['AWS_KEY', 'AWS_SECRET']);
    expect(fake.calls.at(-1)?.accessKeyId).toBe(ACCESS_KEY_ID);
  });

  it('is rejected by the SigV4 check with a wrong secret key, not retryable', async () => {
    const rejectedBefore = fake.errorResponses.length;
    const secrets = secretStore({ AWS_KEY: ACCESS_KEY_ID, AWS_SECRET: 'not-the-right-secret' });
    const error = expectFailure(await executor.execute(makeInput(config(), { secrets })));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', retryable: false });
    expect(error.message).toContain('signature we calculated does not match');
    expect(fake.errorResponses.slice(rejectedBefore)).toEqual([
      expect.objectContaining({ status: 403, errorType: 'InvalidSignatureException' }),
    ]);
  });

  it('is rejected for an unknown access key', async () => {
    const secrets = secretStore({ AWS_KEY: 'AKIAUNKNOWNKEY000000', AWS_SECRET: SECRET_ACCESS_KEY });
    const error = expectFailure(await executor.execute(makeInput(config(), { secrets })));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', retryable: false });
    expect(fake.errorResponses.at(-1)?.errorType).toBe('UnrecognizedClientException');
  });

  it('fails with SECRET_NOT_FOUND before contacting Lambda when a credential secret is missing', async () => {
    const before = fake.calls.length;
    const rejectedBefore = fake.errorResponses.length;
    const error = expectFailure(
      await executor.execute(makeInput(config(), { secrets: secretStore({ AWS_KEY: ACCESS_KEY_ID }) })),
    );
    expect(error).toMatchObject({ code: 'SECRET_NOT_FOUND', retryable: false });
    expect(error.message).toContain('AWS_SECRET');
    expect(fake.calls.length).toBe(before);
    expect(fake.errorResponses.length).toBe(rejectedBefore);
  });

  it('sends the session token from its secret', async () => {
    const tokenFake = await startFakeLambda({
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      sessionToken: 'session-token-value',
      region: REGION,
      functions: { echo: (event) => outcome.value(event) },
    });
    leftovers.push(() => tokenFake.close());
    const withToken = config({ session_token_field: 'AWS_TOKEN', endpoint: tokenFake.url });
    const tokenExecutor = createLambdaExecutor({ toolEndpointPolicy: () => null });
    leftovers.push(() => tokenExecutor.close());

    const secrets = secretStore({ ...CREDENTIAL_SECRETS, AWS_TOKEN: 'session-token-value' });
    expectSuccess(await tokenExecutor.execute(makeInput(withToken, { secrets })));
    expect(tokenFake.calls.at(-1)?.headers['x-amz-security-token']).toBe('session-token-value');

    const stale = secretStore({ ...CREDENTIAL_SECRETS, AWS_TOKEN: 'expired-token' });
    expect(expectFailure(await tokenExecutor.execute(makeInput(withToken, { secrets: stale })))).toMatchObject({
      code: 'INVALID_CONFIGURATION',
    });
  });

  it('falls back to the default credential chain (environment) for allow-listed functions when enabled', async () => {
    const envExecutor = createLambdaExecutor({
      endpoint: envFake.url,
      serverCredentials: { enabled: true, functionAllowlist: ['echo'] },
    });
    leftovers.push(() => envExecutor.close());
    const secrets = secretStore({});
    expectSuccess(await envExecutor.execute(makeInput({ function_name: 'echo', region: REGION }, { secrets })));
    expect(envFake.calls.at(-1)?.accessKeyId).toBe(ENV_ACCESS_KEY_ID);
    expect(secrets.asked).toEqual([]);
  });

  it('caches one client per region, endpoint and credential identity', async () => {
    const created: string[] = [];
    const counting = createLambdaExecutor({
      endpoint: fake.url,
      clientFactory: (clientConfig) => {
        created.push(String(clientConfig.region));
        expect(clientConfig.maxAttempts).toBe(1);
        return new LambdaClient(clientConfig);
      },
    });
    leftovers.push(() => counting.close());
    await counting.execute(makeInput(config()));
    await counting.execute(makeInput(config({ function_name: 'reply' })));
    expect(created).toHaveLength(1);
    await counting.execute(
      makeInput(config(), { secrets: secretStore({ AWS_KEY: ACCESS_KEY_ID, AWS_SECRET: 'rotated' }) }),
    );
    await counting.execute(makeInput(config({ region: 'eu-west-1' })));
    expect(created).toEqual([REGION, REGION, 'eu-west-1']);
  });
});

describe('payload limits', () => {
  it.each([
    ['RequestResponse', 6 * 1024 * 1024],
    ['Event', 1024 * 1024],
  ])('refuses a %s payload over the limit before sending it', async (invocationType, limit) => {
    const before = fake.calls.length;
    const rejectedBefore = fake.errorResponses.length;
    const result = await executor.execute(
      makeInput(config({ invocation_type: invocationType }), { parameters: { blob: 'x'.repeat(limit + 1) } }),
    );
    const error = expectFailure(result);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', retryable: false });
    expect(error.message).toContain(String(limit));
    expect(fake.calls.length).toBe(before);
    expect(fake.errorResponses.length).toBe(rejectedBefore);
    expect(result.request?.url).toContain(`InvocationType=${invocationType}`);
    expect(result.request?.body).toBeUndefined();
  });

  it('accepts an Event payload just under the limit', async () => {
    const result = await executor.execute(
      makeInput(config({ invocation_type: 'Event' }), { parameters: { blob: 'x'.repeat(1024 * 1024 - 1024) } }),
    );
    expectSuccess(result);
  });
});

describe('cancellation', () => {
  async function waitForAbort(index: number): Promise<void> {
    for (let i = 0; i < 100 && !fake.calls[index]?.aborted; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('aborts the HTTP request when the signal is cancelled', async () => {
    const controller = new AbortController();
    const index = fake.calls.length;
    const started = Date.now();
    setTimeout(() => controller.abort(), 150);
    const result = await executor.execute(makeInput(config({ function_name: 'slow' }), { signal: controller.signal }));
    expect(expectFailure(result)).toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitForAbort(index);
    expect(fake.calls[index]).toMatchObject({ functionName: 'slow', aborted: true });
  });

  it('reports TIMEOUT when the deadline passes mid-request', async () => {
    const index = fake.calls.length;
    const started = Date.now();
    const result = await executor.execute(
      makeInput(config({ function_name: 'slow' }), { signal: AbortSignal.timeout(150), deadline: Date.now() + 150 }),
    );
    expect(expectFailure(result)).toMatchObject({ code: 'TIMEOUT', retryable: false });
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitForAbort(index);
    expect(fake.calls[index]?.aborted).toBe(true);
  });

  it('does not send anything when the signal is already aborted', async () => {
    const before = fake.calls.length;
    const result = await executor.execute(makeInput(config(), { signal: AbortSignal.abort() }));
    expect(expectFailure(result).code).toBe('CANCELLED');
    expect(fake.calls.length).toBe(before);
  });
});

describe('recorded request', () => {
  it('redacts secret values from the recorded body while the function receives them', async () => {
    const secrets = secretStore({ ...CREDENTIAL_SECRETS, CRM_TOKEN: 'tok_live_9f8e7d' });
    const template = {
      auth: 'Bearer ${secrets.CRM_TOKEN}',
      order: '${parameters.order_id}',
      nested: ['${secrets.CRM_TOKEN}'],
    };
    const result = await executor.execute(makeInput(config({ payload_template: template }), { secrets }));
    expectSuccess(result);
    expect(fake.calls.at(-1)?.payload).toMatchObject({ auth: 'Bearer tok_live_9f8e7d', nested: ['tok_live_9f8e7d'] });
    expect(result.request?.body).toEqual({
      auth: 'Bearer [REDACTED]',
      order: 'A-1001',
      nested: ['[REDACTED]'],
      idempotency_key: 'idem-123',
    });
    expect(JSON.stringify(result)).not.toContain('tok_live_9f8e7d');
    expect(JSON.stringify(result)).not.toContain(SECRET_ACCESS_KEY);
  });

  it('fails with SECRET_NOT_FOUND when the template names a missing secret', async () => {
    const before = fake.calls.length;
    const error = expectFailure(
      await executor.execute(makeInput(config({ payload_template: { t: '${secrets.NOPE}' } }))),
    );
    expect(error).toMatchObject({ code: 'SECRET_NOT_FOUND', retryable: false });
    expect(fake.calls.length).toBe(before);
  });
});

describe('per-tool endpoint', () => {
  it('is refused without a policy and used when the policy allows it', async () => {
    const before = fake.calls.length;
    const tool = config({ endpoint: fake.url });
    const strict = createLambdaExecutor();
    leftovers.push(() => strict.close());
    expect(expectFailure(await strict.execute(makeInput(tool)))).toMatchObject({
      code: 'SSRF_BLOCKED',
      retryable: false,
    });
    expect(fake.calls.length).toBe(before);

    const seen: string[] = [];
    const permissive = createLambdaExecutor({
      toolEndpointPolicy: (url) => (seen.push(url.hostname), url.hostname === '127.0.0.1' ? null : 'not loopback'),
    });
    leftovers.push(() => permissive.close());
    expectSuccess(await permissive.execute(makeInput(tool)));
    expect(seen).toEqual(['127.0.0.1']);
    expect(fake.calls.length).toBe(before + 1);
  });
});

describe('validateConfiguration', () => {
  it('accepts a complete configuration', async () => {
    expect(
      await executor.validateConfiguration({
        function_name: 'arn:aws:lambda:us-east-1:123456789012:function:lookup-order:prod',
        region: 'us-east-1',
        invocation_type: 'RequestResponse',
        qualifier: 'prod',
        log_type: 'Tail',
        payload_template: { id: '${parameters.order_id}', token: '${secrets.CRM}' },
        access_key_field: 'AWS_KEY',
        secret_key_field: 'AWS_SECRET',
        session_token_field: 'AWS_TOKEN',
        response_handling: { success_field: 'ok', message_field: 'result.text', data_field: 'result' },
      }),
    ).toEqual([]);
    expect(
      await executor.validateConfiguration({
        function_name: 'us-gov-west-1:123456789012:function:x',
        region: 'us-gov-west-1',
        ...CREDENTIAL_FIELDS,
      }),
    ).toEqual([]);
  });

  it('names every bad field', async () => {
    const issues = await executor.validateConfiguration({
      function_name: 'bad name!',
      region: 'US-EAST',
      invocation_type: 'Async',
      log_type: 'Full',
      qualifier: 'a/b',
      payload_template: { x: '${nope.thing}', y: '${parameters.ok' },
      access_key_field: 'AWS_KEY',
      endpoint: 'ftp://example.com',
      response_handling: { success_field: 'a..b' },
    });
    const fields = issues.map((issue) => issue.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'function_name',
        'region',
        'invocation_type',
        'log_type',
        'qualifier',
        'payload_template',
        'secret_key_field',
        'endpoint',
        'response_handling.success_field',
      ]),
    );
    expect(issues.filter((issue) => issue.field === 'payload_template')).toHaveLength(2);
  });

  it('checks lengths, ARN region and qualifier agreement, and Tail with Event', async () => {
    const fieldsOf = async (configuration: JsonObject) =>
      (await executor.validateConfiguration(configuration)).map((issue) => issue.field);
    expect(await fieldsOf({ function_name: 'f'.repeat(65), region: REGION })).toEqual(['function_name']);
    expect(
      await fieldsOf({
        function_name: `arn:aws:lambda:${REGION}:123456789012:function:${'f'.repeat(160)}`,
        region: REGION,
      }),
    ).toEqual(['function_name']);
    expect(
      await fieldsOf({ function_name: 'arn:aws:lambda:eu-west-1:123456789012:function:f', region: REGION }),
    ).toEqual(['function_name']);
    expect(await fieldsOf({ function_name: 'f:prod', qualifier: 'dev', region: REGION })).toEqual(['qualifier']);
    expect(await fieldsOf({ function_name: 'f', region: REGION, invocation_type: 'Event', log_type: 'Tail' })).toEqual([
      'log_type',
    ]);
    expect(await fieldsOf({ region: REGION, session_token_field: 'T' })).toEqual([
      'function_name',
      'session_token_field',
    ]);
    expect(await fieldsOf({ function_name: 42, region: REGION })).toEqual(['function_name']);
  });

  it('refuses to execute an invalid configuration', async () => {
    const before = fake.calls.length;
    const error = expectFailure(await executor.execute(makeInput({ function_name: 'echo', region: 'nowhere' })));
    expect(error).toMatchObject({ code: 'INVALID_CONFIGURATION', retryable: false });
    expect(error.message).toContain('region');
    expect(fake.calls.length).toBe(before);
  });
});
