import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEndpointExecutor } from '../../server/executors/endpoint.ts';
import { BUILTIN_TEMPLATES } from '../../server/library/templates.ts';
import type { Executor, ExecutorInput, ExecutorOutcome, JsonObject } from '../../server/executors/types.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const leftovers: Server[] = [];
const requests: Recorded[] = [];
let closedSockets = 0;
let base: string;
let port: number;
let deadPort: number;
let executor: Executor;

const SECRETS: Record<string, string> = {
  API_KEY: 'sk-live-abc123',
  PASSWORD: 'p@ss word/1',
  ECHOED: 'leaky-secret-value',
};

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
  };
  switch (url.pathname) {
    case '/text':
      return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Table for 2 at 7pm');
    case '/xml':
      return void res.writeHead(200, { 'content-type': 'application/xml' }).end('<ok/>');
    case '/invalid-json':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{nope');
    case '/empty':
      return void res.writeHead(204).end();
    case '/big':
      return json(200, { blob: 'x'.repeat(4096) });
    case '/hang':
      return void res.writeHead(200, { 'content-type': 'application/json' }).write('{');
    case '/booking':
      return json(200, { result: { ok: false, note: 'No tables left', booking: { id: 'b_1', seats: [1, 2] } } });
    case '/message':
      return json(200, { message: 'Done', value: 1 });
    case '/rate-limited':
      return json(429, { error: 'slow down' }, { 'retry-after': '7' });
    case '/echo-error':
      return json(400, { error: `bad key ${url.searchParams.get('key') ?? ''}` });
    default: {
      const status = /^\/status\/(\d{3})$/.exec(url.pathname);
      if (status) return json(Number(status[1]), { error: 'upstream says no' });
      return json(200, {
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: body === '' ? null : JSON.parse(body),
      });
    }
  }
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', (socket) => socket.on('close', () => (closedSockets += 1)));
  leftovers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;

  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  deadPort = (dead.address() as AddressInfo).port;
  await new Promise((resolve) => dead.close(resolve));

  executor = createEndpointExecutor({
    policy: createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${port}`, `127.0.0.1:${deadPort}`] }),
    maxResponseBytes: 2048,
  });
});

afterAll(async () => {
  for (const server of leftovers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function makeInput(configuration: JsonObject, overrides: Partial<ExecutorInput> = {}): ExecutorInput {
  return {
    tool: { id: 'tool_1', name: 'book_table', type: 'ENDPOINT', version: 1, configuration },
    parameters: { id: '42', city: 'Zürich', count: 2, when: { day: 'fri', time: '19:00' } },
    context: {
      executionId: 'exec_1',
      organizationId: 'org_1',
      assistantId: 'asst_1',
      callSid: 'CA999',
      phoneNumber: '+15550001111',
      from: '+15550001111',
      to: '+15559998888',
      userId: null,
      triggerContext: 'call',
      toolCallId: 'call_abc',
    },
    secrets: { get: async (name) => SECRETS[name] },
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    idempotencyKey: 'idem-1',
    attempt: 1,
    ...overrides,
  };
}

async function run(configuration: JsonObject, overrides: Partial<ExecutorInput> = {}): Promise<ExecutorOutcome> {
  return executor.execute(makeInput(configuration, overrides));
}

interface Echo {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

async function echo(
  configuration: JsonObject,
  overrides: Partial<ExecutorInput> = {},
): Promise<{ echo: Echo; outcome: ExecutorOutcome }> {
  const outcome = await run(configuration, overrides);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return { echo: outcome.result.data as unknown as Echo, outcome };
}

describe('methods and bodies', () => {
  it.each(['POST', 'PUT', 'PATCH'])('%s sends the parameters as a JSON body by default', async (method) => {
    const { echo: seen } = await echo({ url: `${base}/echo`, method });
    expect(seen.method).toBe(method);
    expect(seen.body).toEqual({ id: '42', city: 'Zürich', count: 2, when: { day: 'fri', time: '19:00' } });
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['idempotency-key']).toBe('idem-1');
  });

  it.each(['GET', 'DELETE'])('%s sends no body unless configured', async (method) => {
    const { echo: seen } = await echo({ url: `${base}/echo`, method });
    expect(seen.method).toBe(method);
    expect(seen.body).toBeNull();
    expect(seen.headers).not.toHaveProperty('content-type');
    expect(seen.headers['idempotency-key']).toBe('idem-1');
  });

  it('sends a DELETE body when a template is configured', async () => {
    const { echo: seen } = await echo({
      url: `${base}/echo`,
      method: 'DELETE',
      body_template: { id: '${parameters.id}' },
    });
    expect(seen.body).toEqual({ id: '42' });
  });
});

describe('templating', () => {
  it('renders the URL (encoded), headers, query parameters and a typed body', async () => {
    const { echo: seen, outcome } = await echo(
      {
        url: `${base}/echo/\${parameters.id}/\${parameters.city}?fixed=1`,
        method: 'POST',
        headers: { 'X-Call': '${call_sid}', 'X-Assistant': 'assistant ${context.assistant_id}' },
        query_parameters: { city: '${parameters.city}', when: '${parameters.when}' },
        body_template: {
          customer: { phone: '${phone_number}' },
          count: '${parameters.count}',
          slot: '${parameters.when}',
          note: 'party of ${parameters.count}',
          missing: '${parameters.notes}',
        },
      },
      { parameters: { id: '../admin?x=1#', city: 'Zürich', count: 2, when: { day: 'fri' } } },
    );
    expect(seen.path).toBe(
      '/echo/..%2Fadmin%3Fx%3D1%23/Z%C3%BCrich?fixed=1&city=Z%C3%BCrich&when=%7B%22day%22%3A%22fri%22%7D',
    );
    expect(seen.headers['x-call']).toBe('CA999');
    expect(seen.headers['x-assistant']).toBe('assistant asst_1');
    expect(seen.body).toEqual({
      customer: { phone: '+15550001111' },
      count: 2,
      slot: { day: 'fri' },
      note: 'party of 2',
      missing: null,
    });
    expect(outcome.request?.url).toBe(`${base}${seen.path}`);
  });

  it('refuses a parameter that would inject a header line', async () => {
    const before = requests.length;
    const outcome = await run(
      { url: `${base}/echo`, method: 'GET', headers: { 'X-Name': '${parameters.name}' } },
      { parameters: { name: 'a\r\nX-Injected: 1' } },
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'TEMPLATE_ERROR', retryable: false } });
    expect(requests.length).toBe(before);
  });
});

describe('auth and redaction', () => {
  it('bearer: sends the token and redacts it everywhere in the recorded request', async () => {
    const { echo: seen, outcome } = await echo({
      url: `${base}/echo?key=\${secrets.API_KEY}`,
      method: 'POST',
      headers: { 'X-Copy': 'k=${secrets.API_KEY}' },
      body_template: { token: '${secrets.API_KEY}', nested: ['x ${secrets.API_KEY} y'] },
      auth: { type: 'bearer', secret_name: 'API_KEY' },
    });
    expect(seen.headers.authorization).toBe('Bearer sk-live-abc123');
    expect(seen.headers['x-copy']).toBe('k=sk-live-abc123');
    expect(seen.body).toEqual({ token: 'sk-live-abc123', nested: ['x sk-live-abc123 y'] });
    expect(outcome.request).toEqual({
      method: 'POST',
      url: `${base}/echo?key=[REDACTED]`,
      headers: expect.objectContaining({
        Authorization: '[REDACTED]',
        'X-Copy': 'k=[REDACTED]',
        'Idempotency-Key': 'idem-1',
      }),
      body: { token: '[REDACTED]', nested: ['x [REDACTED] y'] },
    });
    expect(JSON.stringify([outcome.request, outcome.meta])).not.toContain('sk-live');
  });

  it('api_key: uses X-API-Key by default or the configured header', async () => {
    const byDefault = await echo({
      url: `${base}/echo`,
      method: 'GET',
      auth: { type: 'api_key', secret_name: 'API_KEY' },
    });
    expect(byDefault.echo.headers['x-api-key']).toBe('sk-live-abc123');
    expect(byDefault.outcome.request?.headers['X-API-Key']).toBe('[REDACTED]');

    const custom = await echo({
      url: `${base}/echo`,
      method: 'GET',
      auth: { type: 'api_key', secret_name: 'API_KEY', header_name: 'X-Partner-Token' },
    });
    expect(custom.echo.headers['x-partner-token']).toBe('sk-live-abc123');
    expect(custom.outcome.request?.headers['X-Partner-Token']).toBe('[REDACTED]');
  });

  it('basic: encodes username and password secret, and redacts encoded forms', async () => {
    const { echo: seen, outcome } = await echo({
      url: `${base}/echo?p=\${secrets.PASSWORD}`,
      method: 'GET',
      auth: { type: 'basic', username: 'acct-${context.organization_id}', password_secret: 'PASSWORD' },
    });
    expect(seen.headers.authorization).toBe(`Basic ${Buffer.from('acct-org_1:p@ss word/1').toString('base64')}`);
    expect(seen.path).toBe('/echo?p=p%40ss%20word%2F1');
    expect(outcome.request?.headers.Authorization).toBe('[REDACTED]');
    expect(outcome.request?.url).toBe(`${base}/echo?p=[REDACTED]`);
  });

  it('fails with SECRET_NOT_FOUND before sending anything', async () => {
    const before = requests.length;
    const outcome = await run({ url: `${base}/echo`, method: 'GET', auth: { type: 'bearer', secret_name: 'NOPE' } });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'SECRET_NOT_FOUND', message: expect.stringContaining('NOPE') },
    });
    const viaTemplate = await run({ url: `${base}/echo`, method: 'GET', headers: { 'X-K': '${secrets.ALSO_NOPE}' } });
    expect(viaTemplate).toMatchObject({ ok: false, error: { code: 'SECRET_NOT_FOUND' } });
    expect(requests.length).toBe(before);
  });

  it('redacts a secret the upstream echoes into an error body', async () => {
    const outcome = await run({ url: `${base}/echo-error?key=\${secrets.ECHOED}`, method: 'GET' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'HTTP_ERROR' } });
    expect(JSON.stringify(outcome)).not.toContain('leaky-secret-value');
  });
});

describe('response handling', () => {
  it('maps success, message and data through dotted paths', async () => {
    const outcome = await run({
      url: `${base}/booking`,
      method: 'GET',
      response_handling: { success_field: 'result.ok', message_field: 'result.note', data_field: 'result.booking' },
    });
    expect(outcome).toMatchObject({
      ok: true,
      result: { success: false, message: 'No tables left', data: { id: 'b_1', seats: [1, 2] } },
      meta: { status: 200, remote_address: '127.0.0.1' },
    });
  });

  it('defaults to HTTP success, the body message field and the whole body', async () => {
    expect(await run({ url: `${base}/message`, method: 'GET' })).toMatchObject({
      ok: true,
      result: { success: true, message: 'Done', data: { message: 'Done', value: 1 } },
    });
    expect(
      await run({ url: `${base}/booking`, method: 'GET', response_handling: { data_field: 'result.missing' } }),
    ).toMatchObject({
      ok: true,
      result: { success: true, message: 'Request succeeded (HTTP 200)', data: null },
    });
  });

  it('returns text bodies as strings and empty bodies as null', async () => {
    expect(await run({ url: `${base}/text`, method: 'GET' })).toMatchObject({
      ok: true,
      result: { data: 'Table for 2 at 7pm' },
    });
    expect(await run({ url: `${base}/empty`, method: 'POST' })).toMatchObject({
      ok: true,
      result: { success: true, data: null },
    });
  });

  it('refuses other content types and invalid JSON', async () => {
    expect(await run({ url: `${base}/xml`, method: 'GET' })).toMatchObject({
      ok: false,
      error: { code: 'UNSUPPORTED_CONTENT_TYPE', retryable: false },
    });
    expect(await run({ url: `${base}/invalid-json`, method: 'GET' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_RESPONSE' },
    });
  });

  it.each([400, 401, 404, 500])('HTTP %i is a non-retryable HTTP_ERROR', async (status) => {
    const outcome = await run({ url: `${base}/status/${status}`, method: 'GET' });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'HTTP_ERROR', retryable: false, message: expect.stringContaining(`HTTP ${status}`) },
      meta: { status },
      request: { method: 'GET' },
    });
  });

  it('429 is retryable with Retry-After', async () => {
    const outcome = await run({ url: `${base}/rate-limited`, method: 'POST' });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'UPSTREAM_RATE_LIMITED', retryable: true, retryAfterMs: 7000 },
    });
  });

  it.each([502, 503, 504])('%i is a retryable UPSTREAM_UNAVAILABLE', async (status) => {
    const outcome = await run({ url: `${base}/status/${status}`, method: 'GET' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true } });
  });

  it('refuses an oversized response', async () => {
    expect(await run({ url: `${base}/big`, method: 'GET' })).toMatchObject({
      ok: false,
      error: { code: 'RESPONSE_TOO_LARGE', retryable: false },
    });
  });
});

describe('network failures', () => {
  it('times out through the configured timeout and closes the socket', async () => {
    const closedBefore = closedSockets;
    const outcome = await run({ url: `${base}/hang`, method: 'GET', timeout_ms: 200 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT', retryable: false },
      request: { method: 'GET' },
    });
    await expect.poll(() => closedSockets).toBeGreaterThan(closedBefore);
  });

  it('is cancelled through the input signal and closes the socket', async () => {
    const closedBefore = closedSockets;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const outcome = await run({ url: `${base}/hang`, method: 'GET' }, { signal: controller.signal });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    await expect.poll(() => closedSockets).toBeGreaterThan(closedBefore);
  });

  it('reports a refused connection as a retryable CONNECT_ERROR', async () => {
    const outcome = await run({ url: `http://127.0.0.1:${deadPort}/`, method: 'GET' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONNECT_ERROR', retryable: true } });
  });

  it('refuses destinations outside the allow-list', async () => {
    const outcome = await run({
      url: `http://127.0.0.1:${port + 1 === deadPort ? port + 2 : port + 1}/`,
      method: 'GET',
    });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'SSRF_BLOCKED', retryable: false } });
    expect(await run({ url: 'http://169.254.169.254/latest/meta-data/', method: 'GET' })).toMatchObject({
      ok: false,
      error: { code: 'SSRF_BLOCKED' },
    });
  });
});

describe('validateConfiguration', () => {
  const fields = async (configuration: JsonObject): Promise<string[]> =>
    (await executor.validateConfiguration(configuration)).map((issue) => `${issue.field}: ${issue.message}`);

  it('accepts a complete configuration', async () => {
    expect(
      await fields({
        url: 'https://api.example.com/v1/bookings/${parameters.id}',
        method: 'POST',
        headers: { 'X-Source': 'switchboard ${call_sid}' },
        query_parameters: { lang: 'en' },
        body_template: { id: '${parameters.id}' },
        auth: { type: 'bearer', secret_name: 'API_KEY' },
        response_handling: { success_field: 'ok', message_field: 'message', data_field: 'data.booking' },
        timeout_ms: 5000,
      }),
    ).toEqual([]);
  });

  it('accepts every built-in endpoint template', async () => {
    const demo = BUILTIN_TEMPLATES.filter((tool) => tool.type === 'ENDPOINT');
    expect(demo.length).toBeGreaterThan(0);
    for (const { configuration } of demo) {
      if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) {
        throw new Error('demo configuration must be an object');
      }
      expect(await fields(configuration)).toEqual([]);
    }
  });

  it('names each bad field', async () => {
    const issues = await fields({
      url: 'ftp://example.com/',
      method: 'FETCH',
      headers: { 'Bad Header': 'x', Host: 'evil', 'X-T': '${nope}' },
      query_parameters: { q: '${parameters.q' },
      auth: { type: 'bearer' },
      response_handling: { data_field: 'a..b' },
      timeout_ms: 0,
    });
    expect(issues).toEqual([
      'url: The URL must start with http:// or https://',
      'method: method must be one of GET, POST, PUT, PATCH, DELETE',
      'headers.Bad Header: Not a valid header name',
      'headers.Host: Host is set by Switchboard',
      expect.stringMatching(/^headers\.X-T: Unknown placeholder "\$\{nope\}"/),
      expect.stringMatching(/^query_parameters\.q: Unclosed placeholder/),
      'auth.secret_name: auth.secret_name is required for bearer auth',
      'response_handling.data_field: Use a dotted path into the response, e.g. result.status',
      'timeout_ms: timeout_ms must be an integer between 1 and 60000',
    ]);
  });

  it('checks auth variants, bodies on GET and URL hosts', async () => {
    expect(await fields({ url: 'https://x.example/', method: 'GET', body_template: { a: 1 } })).toEqual([
      'body_template: GET requests cannot have a body; use query_parameters',
    ]);
    expect(await fields({ url: 'https://x.example/', method: 'GET', auth: { type: 'basic', username: 'u' } })).toEqual([
      'auth.password_secret: auth.password_secret is required for basic auth',
    ]);
    expect(await fields({ url: 'https://x.example/', method: 'GET', auth: { type: 'oauth' } })).toEqual([
      'auth.type: auth.type must be one of none, bearer, api_key, basic',
    ]);
    expect(await fields({ url: 'https://${parameters.host}/x', method: 'GET' })).toEqual([
      'url: The host must not come from a parameter: the assistant could point the tool anywhere',
    ]);
    expect(await fields({ url: 'http://user:pw@x.example/', method: 'GET' })).toEqual([
      'url: The URL must not contain credentials; use auth instead',
    ]);
    expect(await fields({ url: 'http://169.254.169.254/latest', method: 'GET' })).toEqual([
      'url: 169.254.169.254 is a private network address. Switchboard only calls private hosts the operator lists in the SWITCHBOARD_ALLOWED_PRIVATE_HOSTS setting: ask them to add it, or save the tool as inactive until they do.',
    ]);
    expect(await fields({ url: `${base}/ok`, method: 'GET' })).toEqual([]);
    expect(await fields({ method: 'GET' })).toEqual(['url: url is required']);
  });

  it('execute refuses an invalid configuration without sending', async () => {
    const before = requests.length;
    const outcome = await run({ url: `${base}/echo`, method: 'GET', auth: { type: 'bearer' } });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CONFIGURATION', message: expect.stringContaining('auth.secret_name') },
    });
    expect(requests.length).toBe(before);
  });
});
