/**
 * Issue 13, finding 14: a Lambda tool without its own credentials runs on the
 * server's AWS identity. That is off unless the operator turns it on, and then
 * only for functions on the operator's allow-list; a per-tool endpoint every run
 * would refuse is refused when the tool is saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaExecutor, type LambdaExecutor } from '../../server/executors/lambda.ts';
import { matchesFunctionAllowlist, ssrfToolEndpointPolicy } from '../../server/executors/lambda-policy.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import type { ExecutorInput, ExecutorOutcome, JsonObject } from '../../server/executors/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { outcome, startFakeLambda, stubAwsEnvironment, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const REGION = 'us-east-1';
const SERVER_KEY_ID = 'AKIASERVERIDENTITY01';
const SERVER_SECRET_KEY = 'server-own-secret-key';
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
  __typename ... on Tool { id } ... on ValidationError { issues { field message } } } }`;

const leftovers: Array<() => Promise<void> | void> = [];
let fake: FakeLambda;

function input(configuration: JsonObject): ExecutorInput {
  return {
    tool: { id: 'tool_1', name: 'lookup', type: 'LAMBDA', version: 1, configuration },
    parameters: {},
    context: {
      executionId: 'exec_1',
      organizationId: 'org_1',
      assistantId: null,
      callSid: null,
      phoneNumber: null,
      from: null,
      to: null,
      userId: null,
      triggerContext: 'test',
      toolCallId: null,
    },
    secrets: { get: async () => undefined },
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
}

function failureOf(result: ExecutorOutcome) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

beforeAll(async () => {
  // The server's own identity, as the default credential chain would find it.
  leftovers.push(stubAwsEnvironment(SERVER_KEY_ID, SERVER_SECRET_KEY));
  fake = await startFakeLambda({
    accessKeyId: SERVER_KEY_ID,
    secretAccessKey: SERVER_SECRET_KEY,
    region: REGION,
    functions: {
      'billing-admin': () => outcome.value({ deleted: 'everything' }),
      'orders-lookup': () => outcome.value({ ok: true }),
    },
  });
  leftovers.push(() => fake.close());
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

describe('the server credential chain', () => {
  it('is refused by default at run, before anything is sent', async () => {
    const executor: LambdaExecutor = createLambdaExecutor({ endpoint: fake.url });
    leftovers.push(() => executor.close());
    const before = fake.calls.length;
    const error = failureOf(await executor.execute(input({ function_name: 'billing-admin', region: REGION })));
    expect(error.code).toBe('SERVER_CREDENTIALS_NOT_ALLOWED');
    expect(error.message).toMatch(/access_key_field/);
    expect(fake.calls.length).toBe(before);
  });

  it('runs only allow-listed functions when the operator enables it', async () => {
    const executor = createLambdaExecutor({
      endpoint: fake.url,
      serverCredentials: { enabled: true, functionAllowlist: ['orders-*'] },
    });
    leftovers.push(() => executor.close());
    const before = fake.calls.length;
    const allowed = await executor.execute(input({ function_name: 'orders-lookup', region: REGION }));
    expect(allowed.ok).toBe(true);
    expect(fake.calls.at(-1)?.accessKeyId).toBe(SERVER_KEY_ID);
    const refused = failureOf(await executor.execute(input({ function_name: 'billing-admin', region: REGION })));
    expect(refused.code).toBe('SERVER_CREDENTIALS_NOT_ALLOWED');
    expect(fake.calls.length).toBe(before + 1);
  });

  it('matches names and ARNs with * globs that never cross a ":"', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:orders-lookup';
    expect(matchesFunctionAllowlist('orders-lookup', ['orders-*'])).toBe(true);
    expect(matchesFunctionAllowlist('orders-lookup:prod', ['orders-*'])).toBe(true);
    expect(matchesFunctionAllowlist(arn, ['orders-*'])).toBe(false);
    expect(matchesFunctionAllowlist(arn, ['*'])).toBe(false);
    expect(matchesFunctionAllowlist(arn, ['arn:aws:lambda:*:123456789012:function:orders-*'])).toBe(true);
    expect(matchesFunctionAllowlist(`${arn}:prod`, ['arn:aws:lambda:*:123456789012:function:orders-*'])).toBe(true);
    expect(
      matchesFunctionAllowlist('arn:aws:lambda:us-east-1:999999999999:function:orders-x', [
        'arn:aws:lambda:*:123456789012:function:orders-*',
      ]),
    ).toBe(false);
    expect(matchesFunctionAllowlist('billing-admin', [])).toBe(false);
  });
});

describe('a per-tool endpoint at run time', () => {
  it('re-checks the addresses at connect time, so a name that rebinds to loopback reaches nothing', async () => {
    const port = Number(new URL(fake.url).port);
    // The first resolution (the pre-flight check) answers a public address, every later one loopback.
    let lookups = 0;
    const rebinding = async (): Promise<string[]> => (lookups++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']);
    const executor = createLambdaExecutor({
      serverCredentials: { enabled: false, functionAllowlist: [] },
      ...ssrfToolEndpointPolicy(createSsrfPolicy({ allowedPrivateHosts: [] }), rebinding),
    });
    leftovers.push(() => executor.close());
    const configuration = {
      function_name: 'orders-lookup',
      region: REGION,
      endpoint: `http://rebind.example:${port}`,
      access_key_field: 'K',
      secret_key_field: 'S',
    };
    const before = fake.calls.length;
    const run = input(configuration);
    run.secrets = { get: async (name) => ({ K: SERVER_KEY_ID, S: SERVER_SECRET_KEY })[name] };
    const error = failureOf(await executor.execute(run));
    expect(error).toMatchObject({ code: 'SSRF_BLOCKED', retryable: false });
    expect(lookups).toBeGreaterThan(1);
    expect(fake.calls.length).toBe(before);

    // The same endpoint, allow-listed by the operator, is reached.
    const allowed = createLambdaExecutor({
      ...ssrfToolEndpointPolicy(createSsrfPolicy({ allowedPrivateHosts: [`rebind.example:${port}`] }), async () => [
        '127.0.0.1',
      ]),
    });
    leftovers.push(() => allowed.close());
    const ok = await allowed.execute(run);
    expect(ok.ok).toBe(true);
    expect(fake.calls.length).toBe(before + 1);
  });
});

describe('saving a Lambda tool through the API', () => {
  let t: TestApp;
  let org: TestOrganization;
  let enabled: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: 'lambda.internal' });
    org = await createOrganization(t.app.services.prisma, 'Lambda');
    enabled = await startTestApp({
      SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS: 'true',
      SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST: 'orders-*, arn:aws:lambda:us-east-1:123456789012:function:support-*',
    });
  });
  afterAll(async () => {
    await t?.close();
    await enabled?.close();
  });

  async function create(app: TestApp, key: string, name: string, configuration: JsonObject) {
    const response = await app.gql<{
      createTool: { __typename: string; issues?: Array<{ field: string; message: string }> };
    }>(CREATE, { input: { name, type: 'LAMBDA', configuration } }, { apiKey: key });
    expect(response.errors).toBeUndefined();
    return response.data!.createTool;
  }

  it('refuses a tool without credentials when the server credentials are off', async () => {
    const result = await create(t, org.keys.MEMBER, 'server_identity', {
      function_name: 'billing-admin',
      region: REGION,
    });
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues?.map((issue) => issue.field)).toContain('configuration.access_key_field');
    expect(result.issues?.find((issue) => issue.field === 'configuration.access_key_field')?.message).toMatch(
      /SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS/,
    );
  });

  it('accepts allow-listed functions and refuses the rest when enabled', async () => {
    const other = await createOrganization(enabled.app.services.prisma, 'LambdaEnabled');
    const ok = await create(enabled, other.keys.MEMBER, 'orders', { function_name: 'orders-lookup', region: REGION });
    expect(ok.__typename).toBe('Tool');
    const arn = await create(enabled, other.keys.MEMBER, 'support', {
      function_name: 'arn:aws:lambda:us-east-1:123456789012:function:support-ticket',
      region: REGION,
    });
    expect(arn.__typename).toBe('Tool');
    const refused = await create(enabled, other.keys.MEMBER, 'billing', {
      function_name: 'billing-admin',
      region: REGION,
    });
    expect(refused.__typename).toBe('ValidationError');
    expect(refused.issues?.map((issue) => issue.field)).toContain('configuration.function_name');
  });

  it('refuses a per-tool endpoint that every run would refuse', async () => {
    const credentials = { access_key_field: 'AWS_KEY', secret_key_field: 'AWS_SECRET' };
    for (const endpoint of [
      'http://127.0.0.1:4566',
      'http://localhost:4566',
      'http://169.254.169.254/',
      'http://[::1]/',
    ]) {
      const result = await create(t, org.keys.MEMBER, `private_${Math.random().toString(36).slice(2, 8)}`, {
        function_name: 'orders-lookup',
        region: REGION,
        endpoint,
        ...credentials,
      });
      expect(result.__typename, endpoint).toBe('ValidationError');
      expect(result.issues?.map((issue) => issue.field)).toContain('configuration.endpoint');
    }
    const allowListed = await create(t, org.keys.MEMBER, 'allow_listed_endpoint', {
      function_name: 'orders-lookup',
      region: REGION,
      endpoint: 'http://lambda.internal:4566',
      ...credentials,
    });
    expect(allowListed.__typename).toBe('Tool');
    const publicEndpoint = await create(t, org.keys.MEMBER, 'public_endpoint', {
      function_name: 'orders-lookup',
      region: REGION,
      endpoint: 'https://lambda.example.com',
      ...credentials,
    });
    expect(publicEndpoint.__typename).toBe('Tool');
  });

  it('refuses a per-tool endpoint on the server credentials', async () => {
    const other = await createOrganization(enabled.app.services.prisma, 'LambdaEndpoint');
    const result = await create(enabled, other.keys.MEMBER, 'server_endpoint', {
      function_name: 'orders-lookup',
      region: REGION,
      endpoint: 'https://lambda.example.com',
    });
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues?.map((issue) => issue.field)).toContain('configuration.endpoint');
  });
});
