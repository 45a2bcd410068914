import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodeExecutor } from '../../server/executors/code.ts';
import type { ExecutorInput, ExecutorOutcome, JsonObject } from '../../server/executors/types.ts';
import { createSandboxPool } from '../../server/sandbox/pool.ts';
import type { SandboxPool } from '../../server/sandbox/pool.ts';
import { createBridgeFetch } from '../../server/sandbox/bridge-fetch.ts';
import { pythonWorkerLaunch } from '../../server/sandbox/python/launch.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';

/** Pyodide takes seconds to load on a busy machine; a retired process is replaced in the background. */
const START_TIMEOUT_MS = 60_000;
const ORG_SECRETS: Record<string, string> = { WEATHER_KEY: 'wk-123', OTHER_KEY: 'must-not-leak' };

const leftovers: Array<() => Promise<void>> = [];
let pool: SandboxPool;
let apiUrl: string;
const apiRequests: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];

let python: ReturnType<typeof createCodeExecutor>;

async function waitForIdle(): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (pool.stats().idle === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function execute(
  code: string,
  options: { parameters?: JsonObject; allowedImports?: string[]; secrets?: string[]; timeoutS?: number } = {},
): Promise<ExecutorOutcome> {
  await waitForIdle();
  const controller = new AbortController();
  const timeoutS = options.timeoutS ?? 5;
  const input: ExecutorInput = {
    tool: {
      id: 'tool-1',
      name: 'python tool',
      type: 'CODE',
      version: 1,
      configuration: {
        code,
        runtime: 'python',
        allowed_imports: options.allowedImports ?? [],
        environment_variables: options.secrets ?? [],
        execution_timeout: timeoutS,
      },
    },
    parameters: options.parameters ?? {},
    context: {
      executionId: 'exec-1',
      organizationId: 'org-1',
      assistantId: null,
      callSid: 'CA123',
      phoneNumber: '+15550100',
      from: '+15550101',
      to: '+15550100',
      userId: null,
      triggerContext: 'test',
      toolCallId: 'call-1',
    },
    secrets: { get: async (name) => ORG_SECRETS[name] },
    signal: controller.signal,
    deadline: Date.now() + timeoutS * 1000 + 2000,
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
  return python.execute(input);
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      apiRequests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ city: 'Lisbon', tempC: 21, echo: body }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  apiUrl = `http://127.0.0.1:${port}`;
  leftovers.push(() => new Promise((resolve) => server.close(() => resolve())));

  pool = createSandboxPool({
    runtime: 'python',
    size: 1,
    affinity: 'tool',
    launch: pythonWorkerLaunch,
    startTimeoutMs: START_TIMEOUT_MS,
    queueTimeoutMs: START_TIMEOUT_MS,
  });
  leftovers.push(() => pool.stop());
  await pool.start();
  // The production bridge: the real SSRF guard, with only the fake API allow-listed (by exact address and port).
  const bridgeFetch = createBridgeFetch(createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${port}`] }));
  python = createCodeExecutor({ pools: { python: pool }, bridgeFetch });
}, 120_000);

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

describe('CODE executor, python runtime', () => {
  it('runs a tool that uses json, math, datetime and re', async () => {
    const outcome = await execute(
      `
import json, math, re
from datetime import datetime, timedelta

def execute_tool(parameters, context):
    when = datetime(2024, 5, 1, 12, 0) + timedelta(hours=parameters['hours'])
    digits = re.findall(r'\\d+', parameters['text'])
    return {
        'success': True,
        'message': 'booked for ' + when.strftime('%H:%M'),
        'data': {
            'hypot': math.hypot(3, 4),
            'digits': digits,
            'roundtrip': json.loads(json.dumps({'a': [1, 2]})),
            'call': context['callSid'],
        },
    }
`,
      { parameters: { hours: 3, text: 'room 12, floor 4' } },
    );
    expect(outcome).toMatchObject({
      ok: true,
      result: {
        success: true,
        message: 'booked for 15:00',
        data: { hypot: 5, digits: ['12', '4'], roundtrip: { a: [1, 2] }, call: 'CA123' },
      },
    });
  });

  it('parses dates with strptime (whose C code imports _strptime), again and again in the same warm process', async () => {
    const code = `
import time
from datetime import datetime

def execute_tool(parameters, context):
    when = datetime.strptime(parameters['date'], '%Y-%m-%d %H:%M')
    parsed = time.strptime('01/12/2026', '%d/%m/%Y')
    return {'success': True, 'message': when.strftime('%A %d %B at %H:%M'), 'data': [parsed.tm_mon, parsed.tm_yday]}
`;
    let restarts: number | null = null;
    for (const date of ['2026-12-01 09:30', '2027-01-15 17:05']) {
      const outcome = await execute(code, { parameters: { date } });
      expect(outcome).toMatchObject({ ok: true, result: { success: true, data: [12, 335] } });
      // From the second run on, the tool's own process serves it again: nothing was recycled.
      if (restarts !== null) expect(pool.stats().restarts).toBe(restarts);
      restarts = pool.stats().restarts;
    }
  });

  it('wraps a bare return value and accepts async def', async () => {
    await expect(execute('def execute_tool(parameters, context):\n    return [1, 2, 3]\n')).resolves.toMatchObject({
      ok: true,
      result: { success: true, message: '', data: [1, 2, 3] },
    });
    await expect(execute('async def execute_tool(parameters, context):\n    return "hi"\n')).resolves.toMatchObject({
      ok: true,
      result: { data: 'hi' },
    });
  });

  it('enforces allowed_imports beyond the safe defaults', async () => {
    const code = 'import csv\nimport io\ndef execute_tool(parameters, context):\n    return 1\n';
    const refused = await execute(
      'import difflib\nimport shlex\ndef execute_tool(parameters, context):\n    return 1\n',
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'IMPORT_NOT_ALLOWED', line: 2 } });
    expect(refused.ok === false && refused.error.message).toContain("'shlex'");
    await expect(
      execute('import shlex\ndef execute_tool(parameters, context):\n    return shlex.split("a b")\n', {
        allowedImports: ['shlex'],
      }),
    ).resolves.toMatchObject({
      ok: true,
      result: { data: ['a', 'b'] },
    });
    // Listing a module that reaches the host does not unlock it.
    await expect(execute(code, { allowedImports: ['io'] })).resolves.toMatchObject({
      ok: false,
      error: { code: 'IMPORT_NOT_ALLOWED' },
    });
  });

  it('captures print output into the logs', async () => {
    const outcome = await execute(
      'def execute_tool(parameters, context):\n    print("looking up", parameters["id"])\n    print("done", end="")\n    return True\n',
      {
        parameters: { id: 7 },
      },
    );
    expect(outcome).toMatchObject({ ok: true, logs: ['looking up 7', 'done'] });
  });

  it('exposes only the secrets the tool lists, read-only', async () => {
    const outcome = await execute(
      `
def execute_tool(parameters, context):
    try:
        secrets['WEATHER_KEY'] = 'changed'
        writable = True
    except TypeError:
        writable = False
    return {'keys': sorted(secrets), 'key': secrets['WEATHER_KEY'], 'other': secrets.get('OTHER_KEY'), 'writable': writable}
`,
      { secrets: ['WEATHER_KEY'] },
    );
    expect(outcome).toMatchObject({
      ok: true,
      result: { data: { keys: ['WEATHER_KEY'], key: 'wk-123', other: null, writable: false } },
    });
  });

  it('fetches through the host bridge', async () => {
    const before = apiRequests.length;
    const outcome = await execute(
      `
async def execute_tool(parameters, context):
    r = await http.post(parameters['url'] + '/weather', json={'city': 'Lisbon'}, headers={'Authorization': 'Bearer ' + secrets['WEATHER_KEY']})
    body = r.json()
    again = await fetch(parameters['url'] + '/ping')
    return {'status': r.status, 'ok': r.ok, 'temp': body['tempC'], 'echo': body['echo'], 'type': r.headers['content-type'], 'second': again.status}
`,
      { parameters: { url: apiUrl }, secrets: ['WEATHER_KEY'] },
    );
    expect(outcome).toMatchObject({
      ok: true,
      result: {
        data: { status: 200, ok: true, temp: 21, echo: '{"city": "Lisbon"}', type: 'application/json', second: 200 },
      },
    });
    expect(apiRequests.slice(before)).toEqual([
      { method: 'POST', url: '/weather', auth: 'Bearer wk-123', body: '{"city": "Lisbon"}' },
      { method: 'GET', url: '/ping', auth: undefined, body: '' },
    ]);
  });

  it('records a fetch the guard refused and the tool left unhandled as SSRF_BLOCKED', async () => {
    const before = apiRequests.length;
    const apiPort = Number(new URL(apiUrl).port);
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:5432/',
      `http://localhost:${apiPort}/`,
    ]) {
      const outcome = await execute(
        'async def execute_tool(parameters, context):\n    r = await fetch(parameters["url"])\n    return r.text\n',
        { parameters: { url } },
      );
      expect(outcome, url).toMatchObject({
        ok: false,
        error: {
          code: 'SSRF_BLOCKED',
          message: expect.stringMatching(/^FetchError: SSRF_BLOCKED: Requests to \S+ are not allowed/),
        },
      });
    }
    expect(apiRequests.length).toBe(before);
  });

  it('reports exceptions with their type, message and the line in the tool', async () => {
    const outcome = await execute(
      'def execute_tool(parameters, context):\n    x = 1\n    return parameters["missing"]\n',
    );
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'FUNCTION_ERROR', message: "KeyError: 'missing'", line: 3 },
    });
  });

  it('validates code at save time with line and column', async () => {
    const configuration = (code: string): JsonObject => ({ code, runtime: 'python' });
    await expect(
      python.validateConfiguration(configuration('def execute_tool(parameters, context):\n    return 1\n')),
    ).resolves.toEqual([]);
    const syntax = await python.validateConfiguration(
      configuration('def execute_tool(parameters, context):\n    return (1 +\n'),
    );
    expect(syntax[0]).toMatchObject({ field: 'code', line: 2 });
    expect(syntax[0]?.message).toMatch(/SyntaxError/);
    const missing = await python.validateConfiguration(configuration('def run(parameters):\n    return 1\n'));
    expect(missing[0]?.message).toMatch(/execute_tool/);
    const hostile = await python.validateConfiguration(
      configuration('import js\ndef execute_tool(p, c):\n    return p.__class__\n'),
    );
    expect(hostile).toEqual([
      expect.objectContaining({ line: 1, column: 1, message: expect.stringMatching(/'js'/) }),
      expect.objectContaining({ line: 3, column: 12, message: expect.stringMatching(/__class__/) }),
    ]);
  });

  it('does not let one tool monkeypatch json for the next', async () => {
    const patched = await execute(
      `
import json
def execute_tool(parameters, context):
    json.dumps = lambda *a, **k: 'pwned'
    json.JSONEncoder.encode = lambda *a, **k: 'pwned'
    return json.dumps({'a': 1})
`,
    );
    expect(patched).toMatchObject({ ok: true, result: { data: 'pwned' } });
    const next = await execute(
      'import json\ndef execute_tool(parameters, context):\n    return json.dumps({"a": 1})\n',
    );
    expect(next).toMatchObject({ ok: true, result: { data: '{"a": 1}' } });
  });

  it('gives the next tool a fresh copy of a module a tool imported beyond the defaults', async () => {
    const tamper = `
import email.charset
def execute_tool(parameters, context):
    email.charset.CHARSETS['left-behind'] = (1, 1, None)
    return 'left-behind' in email.charset.CHARSETS
`;
    const look = `
import email.charset
def execute_tool(parameters, context):
    return 'left-behind' in email.charset.CHARSETS
`;
    // One warm process: both run in the same interpreter, which must be back to its snapshot in between.
    await expect(execute(tamper, { allowedImports: ['email'] })).resolves.toMatchObject({
      ok: true,
      result: { data: true },
    });
    await expect(execute(look, { allowedImports: ['email'] })).resolves.toMatchObject({
      ok: true,
      result: { data: false },
    });
  });

  it('answers from a warm process much faster than a cold start', async () => {
    await waitForIdle();
    const started = Date.now();
    await expect(execute('def execute_tool(parameters, context):\n    return 1\n')).resolves.toMatchObject({
      ok: true,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
