import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCodeExecutor } from '../../server/executors/code.ts';
import type { ExecutorInput, ExecutorOutcome, JsonObject } from '../../server/executors/types.ts';
import { createBridgeFetch } from '../../server/sandbox/bridge-fetch.ts';
import { javascriptWorkerLaunch } from '../../server/sandbox/javascript/launch.ts';
import { createSandboxPool } from '../../server/sandbox/pool.ts';
import type { SandboxPool } from '../../server/sandbox/pool.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';

const leftovers: Array<() => Promise<void>> = [];

function startPool(size: number, extra: { maxQueue?: number; maxJobsPerWorker?: number } = {}): Promise<SandboxPool> {
  const pool = createSandboxPool({ runtime: 'javascript', size, launch: javascriptWorkerLaunch, ...extra });
  leftovers.push(() => pool.stop());
  return pool.start().then(() => pool);
}

function secretStore(values: Record<string, string>): {
  get(name: string): Promise<string | undefined>;
  requested: string[];
} {
  const requested: string[] = [];
  return {
    requested,
    get: async (name) => {
      requested.push(name);
      return values[name];
    },
  };
}

function makeInput(
  configuration: JsonObject,
  options: { parameters?: JsonObject; secrets?: Record<string, string>; organizationId?: string } = {},
): ExecutorInput & { secrets: ReturnType<typeof secretStore> } {
  return {
    tool: { id: 'tool-1', name: 'lookup', type: 'CODE', version: 1, configuration },
    parameters: options.parameters ?? {},
    context: {
      executionId: 'exec-1',
      organizationId: options.organizationId ?? 'org-1',
      assistantId: null,
      callSid: 'CA123',
      phoneNumber: null,
      from: '+15550001',
      to: '+15550002',
      userId: null,
      triggerContext: 'test',
      toolCallId: null,
    },
    secrets: secretStore(options.secrets ?? {}),
    signal: new AbortController().signal,
    deadline: Date.now() + 20_000,
    idempotencyKey: 'idem-1',
    attempt: 1,
  };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];

/** The production bridge (the real SSRF guard), allowing only the test server by exact address and port. */
let productionBridge: ReturnType<typeof createBridgeFetch>;

function sandboxChildren(): number[] {
  const text = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-served-by', 'test');
      res.end(JSON.stringify({ echoed: body, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  productionBridge = createBridgeFetch(createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${port}`] }));
  leftovers.push(() => new Promise((resolve) => server.close(() => resolve())));
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

function expectOk(outcome: ExecutorOutcome): Extract<ExecutorOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
}

function expectFailure(outcome: ExecutorOutcome): Extract<ExecutorOutcome, { ok: false }> {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.result)}`);
  return outcome;
}

describe('CODE executor with JavaScript', () => {
  let pool: SandboxPool;
  let executor: ReturnType<typeof createCodeExecutor>;

  beforeAll(async () => {
    pool = await startPool(2);
    executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
  });

  it('runs an exported default function with parameters and context', async () => {
    const code = `export default async function execute(parameters, context) {
      return { success: true, message: 'found ' + parameters.name, data: { call: context.callSid, tool: context.toolName } };
    }`;
    const outcome = expectOk(await executor.execute(makeInput({ code }, { parameters: { name: 'Ada' } })));
    expect(outcome.result).toEqual({ success: true, message: 'found Ada', data: { call: 'CA123', tool: 'lookup' } });
    expect(outcome.meta).toMatchObject({ runtime: 'javascript' });
  });

  it('accepts a plain execute_tool function and an exported one', async () => {
    const plain =
      'function execute_tool(parameters) { return { success: true, message: "plain", data: parameters.n * 2 }; }';
    expect(expectOk(await executor.execute(makeInput({ code: plain }, { parameters: { n: 21 } }))).result).toEqual({
      success: true,
      message: 'plain',
      data: 42,
    });
    const exported = 'export async function execute_tool(parameters) { return { success: false, message: "nope" }; }';
    expect(expectOk(await executor.execute(makeInput({ code: exported }))).result).toEqual({
      success: false,
      message: 'nope',
      data: null,
    });
  });

  it('wraps a bare return value and rejects a malformed result shape', async () => {
    const bare = 'export default function execute() { return [1, 2, 3]; }';
    expect(expectOk(await executor.execute(makeInput({ code: bare }))).result).toEqual({
      success: true,
      message: '',
      data: [1, 2, 3],
    });
    const nothing = 'export default function execute() {}';
    expect(expectOk(await executor.execute(makeInput({ code: nothing }))).result).toEqual({
      success: true,
      message: '',
      data: null,
    });
    const wrong = 'export default function execute() { return { success: "yes" }; }';
    expect(expectFailure(await executor.execute(makeInput({ code: wrong }))).error.code).toBe('INVALID_RESULT');
  });

  it('captures console output into logs', async () => {
    const code = `export default function execute() {
      console.log('hello', { a: 1 }, 2);
      console.warn('careful');
      console.error(new Error('bad'));
      return true;
    }`;
    const outcome = expectOk(await executor.execute(makeInput({ code })));
    expect(outcome.logs?.[0]).toBe('hello {"a":1} 2');
    expect(outcome.logs?.[1]).toBe('[warn] careful');
    expect(outcome.logs?.[2]).toMatch(/^\[error\] Error: bad/);
  });

  it('keeps logs of a failing run and reports the line of a thrown error', async () => {
    const code = 'export default function execute() {\n  console.log("before");\n  throw new TypeError("broken");\n}';
    const outcome = expectFailure(await executor.execute(makeInput({ code })));
    expect(outcome.error).toMatchObject({
      code: 'FUNCTION_ERROR',
      message: 'TypeError: broken',
      line: 3,
      retryable: false,
    });
    expect(outcome.logs).toEqual(['before']);
  });

  it('resolves only the secrets the tool lists', async () => {
    const code =
      'export default function execute() { return { success: true, data: { keys: Object.keys(secrets), key: secrets.API_KEY, other: secrets.OTHER ?? null } }; }';
    const input = makeInput(
      { code, environment_variables: ['API_KEY'] },
      { secrets: { API_KEY: 'k-123', OTHER: 'do-not-leak' } },
    );
    const outcome = expectOk(await executor.execute(input));
    expect(outcome.result.data).toEqual({ keys: ['API_KEY'], key: 'k-123', other: null });
    expect(input.secrets.requested).toEqual(['API_KEY']);
  });

  it('fails with SECRET_NOT_FOUND when a listed secret is missing', async () => {
    const input = makeInput({ code: 'export default () => 1', environment_variables: ['MISSING'] });
    expect(expectFailure(await executor.execute(input)).error.code).toBe('SECRET_NOT_FOUND');
  });

  it('fetches through the bridge and returns a Response-like object', async () => {
    const code = `export default async function execute(parameters) {
      const response = await fetch(parameters.url + '/orders?id=7', { method: 'post', headers: { 'X-Token': secrets.TOKEN, 'content-type': 'text/plain' }, body: 'hi' });
      const json = await response.json();
      return { success: response.ok, data: { status: response.status, type: response.headers.get('Content-Type'), by: response.headers.get('x-served-by'), json } };
    }`;
    const before = seen.length;
    const input = makeInput(
      { code, environment_variables: ['TOKEN'] },
      { parameters: { url: baseUrl }, secrets: { TOKEN: 't-1' } },
    );
    const outcome = expectOk(await executor.execute(input));
    expect(outcome.result.data).toEqual({
      status: 200,
      type: 'application/json',
      by: 'test',
      json: { echoed: 'hi', path: '/orders?id=7' },
    });
    const request = seen[before];
    expect(request).toMatchObject({ method: 'POST', url: '/orders?id=7', body: 'hi' });
    expect(request?.headers['x-token']).toBe('t-1');
  });

  it('reports a failed bridged request to the code as a rejected fetch', async () => {
    const failing = createCodeExecutor({
      pools: { javascript: pool },
      bridgeFetch: async () => {
        throw Object.assign(new Error('upstream refused'), { code: 'CONNECT_ERROR' });
      },
    });
    const code =
      'export default async function execute() { try { await fetch("https://example.com"); } catch (e) { return e.message; } }';
    expect(expectOk(await failing.execute(makeInput({ code }))).result.data).toBe(
      'fetch failed: CONNECT_ERROR: upstream refused',
    );
  });

  it('validates configuration fields and code with line and column', async () => {
    expect(
      await executor.validateConfiguration({ code: 'export default async function execute() { return 1 }' }),
    ).toEqual([]);
    expect(await executor.validateConfiguration({ code: 'function execute_tool() {}' })).toEqual([]);
    expect(
      await executor.validateConfiguration({ code: 'const a = 1;\nconst b = ;\nfunction execute_tool() {}' }),
    ).toEqual([{ field: 'code', message: "Unexpected token ';'", line: 2, column: 11 }]);
    expect(await executor.validateConfiguration({ code: 'function helper() {}' })).toEqual([
      { field: 'code', message: expect.stringMatching(/No entry function/) },
    ]);
    expect(
      await executor.validateConfiguration({ code: 'import fs from "node:fs";\nexport default () => 1;' }),
    ).toEqual([{ field: 'code', message: expect.stringMatching(/imports are not available/), line: 1, column: 17 }]);
    const issues = await executor.validateConfiguration({
      code: 'x'.repeat(256 * 1024 + 1),
      runtime: 'ruby',
      execution_timeout: 500,
      memory_limit_mb: -1,
      environment_variables: ['OK', 'not valid!'],
      allowed_imports: 'requests',
    });
    expect(issues.map((issue) => issue.field).sort()).toEqual([
      'allowed_imports',
      'code',
      'environment_variables.1',
      'execution_timeout',
      'memory_limit_mb',
      'runtime',
    ]);
    expect(await executor.validateConfiguration({ code: 'print(1)', runtime: 'python' })).toEqual([
      { field: 'runtime', message: 'the python runtime is not available' },
    ]);
  });

  it('reports a syntax error at run time with its position', async () => {
    const outcome = expectFailure(
      await executor.execute(makeInput({ code: 'export default function execute() {\n  return 1 +;\n}' })),
    );
    expect(outcome.error).toMatchObject({ code: 'FUNCTION_ERROR', line: 2 });
  });

  it('refuses an invalid configuration at run time', async () => {
    expect(expectFailure(await executor.execute(makeInput({ code: 42 }))).error.code).toBe('INVALID_CONFIGURATION');
  });

  it('never runs longer than the time left before the deadline', async () => {
    const input = {
      ...makeInput({ code: 'export default function execute() { while (true) {} }', execution_timeout: 10 }),
      deadline: Date.now() + 600,
    };
    const started = Date.now();
    expect(expectFailure(await executor.execute(input)).error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(600 + 1500);
  });
});

describe('sandbox pool', () => {
  it('replaces a crashed process and fails only the job it held', async () => {
    const before = new Set(sandboxChildren());
    const pool = await startPool(1);
    const [pid] = pool.stats().pids;
    expect(sandboxChildren().filter((child) => !before.has(child))).toContain(pid);
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const running = executor.execute(
      makeInput({ code: 'export default function execute() { while (true) {} }', execution_timeout: 10 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid ?? 0, 'SIGKILL');
    expect(expectFailure(await running).error.code).toBe('SANDBOX_CRASHED');
    expect(expectOk(await executor.execute(makeInput({ code: 'export default () => "back"' }))).result.data).toBe(
      'back',
    );
    expect(pool.stats()).toMatchObject({ size: 1, restarts: 1 });
  });

  it('queues jobs beyond its size and refuses them when the queue is full', async () => {
    const pool = await startPool(1, { maxQueue: 2 });
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const code =
      'export default function execute(p) { const end = Date.now() + 150; while (Date.now() < end) {} return p.n; }';
    const runs = [1, 2, 3, 4].map((n) => executor.execute(makeInput({ code }, { parameters: { n } })));
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 2 });
    const outcomes = await Promise.all(runs);
    expect(outcomes.slice(0, 3).map((outcome) => expectOk(outcome).result.data)).toEqual([1, 2, 3]);
    expect(expectFailure(outcomes[3] as ExecutorOutcome).error).toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      retryable: true,
    });
  });

  it('recycles a process after maxJobsPerWorker jobs', async () => {
    const pool = await startPool(1, { maxJobsPerWorker: 2 });
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    for (let i = 0; i < 3; i += 1) expectOk(await executor.execute(makeInput({ code: 'export default () => 1' })));
    expect(pool.stats().restarts).toBe(1);
  });

  it('retires a process at its job count while a warm spare takes the next caller', async () => {
    const pool = await startPool(1, { maxJobsPerWorker: 2 });
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const [first] = pool.stats().pids;
    for (let i = 0; i < 2; i += 1) expectOk(await executor.execute(makeInput({ code: 'export default () => 1' })));
    await vi.waitFor(() => expect(pool.stats().restarts).toBe(1), { timeout: 10_000 });
    expect(pool.stats().pids).not.toContain(first);
    expectOk(await executor.execute(makeInput({ code: 'export default () => 3' })));
  });

  it('never shows one organization’s secret or state to the next job', async () => {
    const pool = await startPool(1);
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const first = `export default function execute() {
      globalThis.stash = secrets.ORG_SECRET;
      Object.prototype.stolen = secrets.ORG_SECRET;
      console.log('kept');
      return 'stored';
    }`;
    const input = makeInput(
      { code: first, environment_variables: ['ORG_SECRET'] },
      { organizationId: 'org-a', secrets: { ORG_SECRET: 's3cr3t-a' } },
    );
    expectOk(await executor.execute(input));
    const second = `export default function execute() {
      return { stash: globalThis.stash ?? null, stolen: ({}).stolen ?? null, keys: Object.keys(secrets), text: JSON.stringify(globalThis) };
    }`;
    const outcome = expectOk(await executor.execute(makeInput({ code: second }, { organizationId: 'org-b' })));
    expect(outcome.result.data).toEqual({ stash: null, stolen: null, keys: [], text: '{}' });
    expect(JSON.stringify(outcome)).not.toContain('s3cr3t-a');
  });

  it('gives every job a fresh isolate with its own memory limit and secrets, whatever was prepared for it', async () => {
    // Each process prepares the next job's isolate ahead of time, sized like the job before.
    const pool = await startPool(1);
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const allocate = `export default function execute() {
      globalThis.runs = (globalThis.runs ?? 0) + 1;
      const chunks = [];
      for (let i = 0; i < 40; i++) chunks.push(new Array(1 << 17).fill(i));
      return { runs: globalThis.runs, keys: Object.keys(secrets), token: secrets.TOKEN ?? null, chunks: chunks.length };
    }`;
    const job = (memory: number, token?: string): Promise<ExecutorOutcome> =>
      executor.execute(
        makeInput(
          { code: allocate, memory_limit_mb: memory, ...(token ? { environment_variables: ['TOKEN'] } : {}) },
          token ? { secrets: { TOKEN: token } } : {},
        ),
      );
    expect(expectFailure(await job(16, 'token-a')).error.code).toBe('MEMORY_LIMIT');
    expect(expectOk(await job(128, 'token-b')).result.data).toEqual({
      runs: 1,
      keys: ['TOKEN'],
      token: 'token-b',
      chunks: 40,
    });
    expect(expectOk(await job(128)).result.data).toEqual({ runs: 1, keys: [], token: null, chunks: 40 });
    expect(expectFailure(await job(16)).error.code).toBe('MEMORY_LIMIT');
    const outcome = await job(128, 'token-c');
    expect(expectOk(outcome).result.data).toMatchObject({ runs: 1, token: 'token-c' });
    expect(JSON.stringify(outcome)).not.toMatch(/token-[ab]/);
  });

  it('keeps work a job left pending away from the next job', async () => {
    const pool = await startPool(1);
    const executor = createCodeExecutor({ pools: { javascript: pool }, bridgeFetch: productionBridge });
    const leaving = `export default function execute() {
      fetch('${baseUrl}/late').then(
        () => { console.log('late from the first job'); globalThis.late = secrets.TOKEN; },
        () => console.log('late failure from the first job'),
      );
      return 'left';
    }`;
    const next = `export default async function execute() {
      await null;
      return { late: globalThis.late ?? null, keys: Object.keys(secrets) };
    }`;
    for (let i = 0; i < 3; i += 1) {
      expectOk(
        await executor.execute(
          makeInput({ code: leaving, environment_variables: ['TOKEN'] }, { secrets: { TOKEN: 'first-job' } }),
        ),
      );
      const outcome = expectOk(await executor.execute(makeInput({ code: next })));
      expect(outcome.result.data).toEqual({ late: null, keys: [] });
      expect(outcome.logs).toEqual([]);
    }
    // The late fetch answers were dropped quietly, not treated as a misbehaving process.
    expect(pool.stats().restarts).toBe(0);
  });
});
