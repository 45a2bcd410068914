/**
 * Hostile programs against the JavaScript sandbox. Each asserts a clear outcome
 * and, after every test, that the host process was not touched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCodeExecutor } from '../../server/executors/code.ts';
import type { ExecutionErrorCode, ExecutorInput, ExecutorOutcome, JsonObject } from '../../server/executors/types.ts';
import { createBridgeFetch } from '../../server/sandbox/bridge-fetch.ts';
import { javascriptWorkerLaunch } from '../../server/sandbox/javascript/launch.ts';
import { LOG_TRUNCATED_MARKER, MAX_FETCHES_PER_JOB, MAX_LOG_LINE_BYTES } from '../../server/sandbox/limits.ts';
import { createSandboxPool } from '../../server/sandbox/pool.ts';
import type { RunJob, SandboxPool } from '../../server/sandbox/pool.ts';
import type { BridgeRequest, BridgeResponse } from '../../server/sandbox/protocol.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';

type Bridge = (request: BridgeRequest, signal: AbortSignal) => Promise<BridgeResponse>;

const TIMEOUT_S = 1;
/** Generous: timings on a shared 2-core machine are noisy. */
const KILL_MARGIN_MS = 1500;
const MAX_LOG_BYTES = 4096;
/** Keeps upstream requests open long enough for concurrent ones to overlap. */
const UPSTREAM_DELAY_MS = 5;

const leftovers: Array<() => Promise<void> | void> = [];
let server: Server;
let serverHits = 0;
let serverPort = 0;
let bridgeCalls: BridgeRequest[] = [];
/** The upstream tools may reach: allow-listed by exact address and port, as an operator would. */
let upstream: Server;
let publicUrl = '';
let publicPort = 0;
/** Requests the upstream saw end before it answered (it never answers `/hang`). */
let abandonedRequests = 0;
/** The production bridge (the real SSRF guard), allowing only the upstream. */
let productionBridge: Bridge;

const recordingBridge: Bridge = (request, signal) => {
  bridgeCalls.push(request);
  return productionBridge(request, signal);
};

let bridge: Bridge = recordingBridge;
let pool: SandboxPool;
let executor: ReturnType<typeof createCodeExecutor>;

function makeInput(
  code: string,
  extra: {
    secrets?: Record<string, string>;
    environment_variables?: string[];
    execution_timeout?: number;
    signal?: AbortSignal;
  } = {},
): ExecutorInput {
  const configuration: JsonObject = {
    code,
    execution_timeout: extra.execution_timeout ?? TIMEOUT_S,
    memory_limit_mb: 16,
  };
  if (extra.environment_variables) configuration.environment_variables = extra.environment_variables;
  const secrets = extra.secrets ?? {};
  return {
    tool: { id: 't', name: 'hostile', type: 'CODE', version: 1, configuration },
    parameters: {},
    context: {
      executionId: 'e',
      organizationId: 'o',
      assistantId: null,
      callSid: null,
      phoneNumber: null,
      from: null,
      to: null,
      userId: null,
      triggerContext: 'test',
      toolCallId: null,
    },
    secrets: { get: async (name) => secrets[name] },
    signal: extra.signal ?? new AbortController().signal,
    deadline: Date.now() + 20_000,
    idempotencyKey: 'i',
    attempt: 1,
  };
}

function run(code: string, extra: Parameters<typeof makeInput>[1] = {}): Promise<ExecutorOutcome> {
  return executor.execute(makeInput(code, extra));
}

async function expectCode(
  code: string,
  expected: ExecutionErrorCode,
  extra: Parameters<typeof makeInput>[1] = {},
): Promise<Extract<ExecutorOutcome, { ok: false }>> {
  const outcome = await run(code, extra);
  if (outcome.ok) throw new Error(`expected ${expected}, got success ${JSON.stringify(outcome.result)}`);
  expect(outcome.error.code, outcome.error.message).toBe(expected);
  return outcome;
}

async function expectData(code: string): Promise<unknown> {
  const outcome = await run(code);
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result.data;
}

const fn = (body: string): string => `export default async function execute(parameters, context) {\n${body}\n}`;

const hostSnapshot = {
  env: JSON.stringify(process.env),
  globals: Object.getOwnPropertyNames(globalThis).sort().join(','),
  objectProto: Object.getOwnPropertyNames(Object.prototype).sort().join(','),
  arrayPush: Array.prototype.push,
  stringify: JSON.stringify,
};

beforeAll(async () => {
  server = createServer((_req, res) => {
    serverHits += 1;
    res.end('secret internal data');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as AddressInfo).port;
  leftovers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  upstream = createServer((req, res) => {
    if (req.url === '/hang') {
      res.on('close', () => (abandonedRequests += 1));
      return;
    }
    setTimeout(() => {
      res.setHeader('content-type', 'text/plain');
      res.end('public');
    }, UPSTREAM_DELAY_MS);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  publicPort = (upstream.address() as AddressInfo).port;
  publicUrl = `http://127.0.0.1:${publicPort}`;
  leftovers.push(
    () =>
      new Promise<void>((resolve) => {
        upstream.closeAllConnections();
        upstream.close(() => resolve());
      }),
  );
  productionBridge = createBridgeFetch(createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${publicPort}`] }));
  pool = createSandboxPool({ runtime: 'javascript', size: 2, launch: javascriptWorkerLaunch });
  leftovers.push(() => pool.stop());
  await pool.start();
  executor = createCodeExecutor({
    pools: { javascript: pool },
    bridgeFetch: (request, signal) => bridge(request, signal),
    limits: { maxLogBytes: MAX_LOG_BYTES },
  });
});

afterEach(async () => {
  bridge = recordingBridge;
  bridgeCalls = [];
  // The host is untouched: same environment, globals and built-ins.
  expect(JSON.stringify(process.env)).toBe(hostSnapshot.env);
  expect(Object.getOwnPropertyNames(globalThis).sort().join(',')).toBe(hostSnapshot.globals);
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(hostSnapshot.objectProto);
  expect(Array.prototype.push).toBe(hostSnapshot.arrayPush);
  expect(JSON.stringify).toBe(hostSnapshot.stringify);
  // And the pool is whole again (replacements may still be starting).
  for (let i = 0; i < 50 && pool.stats().idle < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(pool.stats()).toMatchObject({ size: 2, idle: 2, busy: 0 });
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

describe('runaway code', () => {
  it.each([
    ['a synchronous infinite loop', fn('while (true) {}')],
    ['a microtask loop', fn('for (;;) await null;')],
    [
      'a promise-callback loop',
      fn('const spin = () => { Promise.resolve().then(spin); }; spin(); await new Promise(() => {});'),
    ],
    ['a promise that never settles', fn('await new Promise(() => {});')],
    ['an infinite loop at module top level', 'while (true) {}\nexport default () => 1;'],
    ['an async loop around timers-free awaits', fn('let i = 0; while (true) { i = await Promise.resolve(i + 1); }')],
  ])('stops %s with TIMEOUT within its timeout', async (_name, code) => {
    const started = Date.now();
    await expectCode(code, 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_S * 1000 + KILL_MARGIN_MS);
  });

  it('keeps the host event loop responsive while guest code spins', async () => {
    const running = run(fn('while (true) {}'));
    const scheduled = Date.now();
    const firedAfter = await new Promise<number>((resolve) => setTimeout(() => resolve(Date.now() - scheduled), 100));
    expect(firedAfter).toBeLessThan(400);
    expect((await running).ok).toBe(false);
  });

  it('turns deep recursion into a FUNCTION_ERROR', async () => {
    const outcome = await expectCode(fn('const f = (n) => f(n + 1) + 1; return f(0);'), 'FUNCTION_ERROR');
    expect(outcome.error.message).toMatch(/Maximum call stack size exceeded/);
  });
});

describe('memory', () => {
  it('stops unbounded allocation with MEMORY_LIMIT', async () => {
    await expectCode(fn('const keep = []; for (;;) keep.push(new Array(100000).fill(7));'), 'MEMORY_LIMIT', {
      execution_timeout: 10,
    });
  });

  it('stops huge distinct strings with MEMORY_LIMIT', async () => {
    // A generous deadline: on a loaded machine filling 16 MB can outlast the usual 1 s, and the point is the code.
    await expectCode(
      fn('const block = "x".repeat(1 << 20); const keep = []; for (let i = 0; ; i++) keep.push(block + i);'),
      'MEMORY_LIMIT',
      { execution_timeout: 10 },
    );
  });

  it('stops a self-extending promise chain with MEMORY_LIMIT', async () => {
    await expectCode(
      fn('const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});'),
      'MEMORY_LIMIT',
      { execution_timeout: 10 },
    );
  });

  it('refuses a single string beyond the engine limit', async () => {
    const outcome = await expectCode(fn('return "x".repeat(2 ** 30);'), 'FUNCTION_ERROR');
    expect(outcome.error.message).toMatch(/Invalid string length/);
  });

  it('refuses a huge ArrayBuffer', async () => {
    const outcome = await expectCode(fn('return new ArrayBuffer(2 ** 31).byteLength;'), 'FUNCTION_ERROR');
    expect(outcome.error.message).toMatch(/Array buffer allocation failed|Invalid array buffer length/);
  });
});

describe('results that cannot leave the sandbox', () => {
  it.each([
    ['a function', fn('return () => 1;')],
    ['a symbol', fn('return Symbol("s");')],
    ['a cyclic object', fn('const a = {}; a.self = a; return a;')],
    ['a BigInt', fn('return { n: 10n };')],
    ['a nested function', fn('return { success: true, data: { run: function () {} } };')],
    ['a huge value', fn('return "x".repeat(300 * 1024);')],
    ['a deeply nested value', fn('let v = 1; for (let i = 0; i < 100; i++) v = [v]; return v;')],
    ['a getter that throws', fn('return { get boom() { throw new Error("getter"); } };')],
    ['a Proxy whose ownKeys trap throws', fn('return new Proxy({}, { ownKeys() { throw new Error("trap"); } });')],
  ])('refuses %s with INVALID_RESULT', async (_name, code) => {
    await expectCode(code, 'INVALID_RESULT');
  });

  it('stops a getter that loops with TIMEOUT', async () => {
    await expectCode(fn('return { get spin() { for (;;) {} } };'), 'TIMEOUT');
  });

  it('stops a Proxy trap that loops with TIMEOUT', async () => {
    await expectCode(fn('return new Proxy({}, { ownKeys() { for (;;) {} } });'), 'TIMEOUT');
  });

  it('contains a Proxy thenable whose traps throw', async () => {
    const code = fn(
      'return new Proxy({}, { get(_t, key) { if (key === "then") return (resolve) => resolve(new Proxy({}, { get() { throw new Error("trap"); } })); } });',
    );
    const outcome = await expectCode(code, 'FUNCTION_ERROR');
    expect(outcome.error.message).toBe('Error: trap');
  });

  it('contains thrown values with hostile getters', async () => {
    const looping = await expectCode(fn('throw { get message() { for (;;) {} } };'), 'TIMEOUT');
    expect(looping.error.message).toMatch(/did not finish/);
    const throwing = await expectCode(fn('throw { get message() { throw new Error("no"); } };'), 'FUNCTION_ERROR');
    expect(throwing.error.message).toBe('Uncaught exception');
    const plain = await expectCode(
      fn('throw new Proxy({}, { get() { throw new Error("nope"); } });'),
      'FUNCTION_ERROR',
    );
    expect(plain.error.message).toBe('Uncaught exception');
  });

  it('serializes with its own built-ins even when the guest replaces them', async () => {
    const code = fn(`
      JSON.stringify = () => '"hijacked"';
      String.prototype.slice = () => 'hijacked';
      Function.prototype.call = () => 'hijacked';
      Reflect.apply = () => 'hijacked';
      console.log('still logged');
      return { success: true, message: 'real', data: [1, 2] };`);
    const outcome = await run(code);
    expect(outcome).toMatchObject({
      ok: true,
      result: { success: true, message: 'real', data: [1, 2] },
      logs: ['still logged'],
    });
  });
});

describe('escape attempts', () => {
  it.each([
    ['the Function constructor via an object', '({}).constructor.constructor("return typeof process")()'],
    ['Function directly', 'Function("return typeof this.process + typeof require")()'],
    ['the async function constructor', 'await (async () => {}).constructor("return typeof process")()'],
    ['the generator function constructor', '(function* () {}).constructor("yield typeof require")().next().value'],
    [
      'the async generator constructor',
      '(await (async function* () {}).constructor("yield typeof process")().next()).value',
    ],
    ['indirect eval', '(0, eval)("typeof process + typeof module + typeof Buffer")'],
  ])('finds no Node objects through %s', async (_name, expression) => {
    const data = await expectData(fn(`return ${expression};`));
    expect(String(data)).toMatch(/^(undefined)+$/);
  });

  it('has no way to load modules', async () => {
    const dynamic = await expectCode(fn('return await import("node:child_process");'), 'FUNCTION_ERROR');
    expect(dynamic.error.message).toMatch(/Not supported/);
    await expectCode(
      'import { execSync } from "node:child_process";\nexport default () => execSync("id");',
      'IMPORT_NOT_ALLOWED',
    );
  });

  it('sees only standard built-ins plus console, fetch and secrets on globalThis', async () => {
    const data = (await expectData(
      fn(`return {
        names: Object.getOwnPropertyNames(globalThis).filter((n) => !/^[A-Z]/.test(n)),
        types: [typeof process, typeof require, typeof module, typeof Buffer, typeof setTimeout, typeof WebSocket, typeof XMLHttpRequest, typeof WebAssembly, typeof SharedArrayBuffer, typeof Atomics, typeof $0, typeof ivm],
      };`),
    )) as { names: string[]; types: string[] };
    expect(data.types.every((type) => type === 'undefined')).toBe(true);
    const standard = [
      'globalThis',
      'parseInt',
      'parseFloat',
      'isNaN',
      'isFinite',
      'decodeURI',
      'decodeURIComponent',
      'encodeURI',
      'encodeURIComponent',
      'escape',
      'unescape',
      'eval',
      'undefined',
      'console',
      'fetch',
      'secrets',
    ];
    expect(data.names.filter((name) => !standard.includes(name))).toEqual([]);
  });

  it('cannot reach the host callbacks through the wrappers it was given', async () => {
    const data = await expectData(
      fn(`
        const seen = [];
        const originalApply = Function.prototype.apply;
        Function.prototype.apply = function (...args) { seen.push(String(this).slice(0, 40)); return Reflect.apply(originalApply, this, args); };
        Function.prototype.call = function () { seen.push('call'); };
        Object.defineProperty(Object.prototype, 'then', { configurable: true, get() { seen.push('then'); return undefined; } });
        console.log('x');
        try { await fetch(${JSON.stringify(publicUrl)}); } catch {}
        delete Object.prototype.then;
        return { seen, props: Object.getOwnPropertyNames(fetch).concat(Object.getOwnPropertyNames(console.log)) };`),
    );
    expect(JSON.stringify(data)).not.toMatch(/native|Reference|Callback|ExternalCopy/);
  });

  it('has no environment, files or sockets, and the worker process itself is locked down', async () => {
    await expectCode(fn('return process.env;'), 'FUNCTION_ERROR');
    // The guard refuses the scheme as the tool's own mistake, before any address is looked at.
    const file = await expectCode(fn('return await (await fetch("file:///etc/passwd")).text();'), 'FUNCTION_ERROR');
    expect(file.error.message).toMatch(/fetch failed: INVALID_CONFIGURATION: Only http and https URLs are allowed/);
    expect(file.error.message).not.toContain('root:');
    // Even Node code running with the sandbox's flags cannot open sockets, read files or spawn.
    const probe = `
      const results = [];
      try { require('node:fs').readFileSync('/etc/passwd'); results.push('fs-open'); } catch (e) { results.push(e.code); }
      try { require('node:child_process').execSync('id'); results.push('spawn-open'); } catch (e) { results.push(e.code); }
      const socket = require('node:net').connect(${serverPort}, '127.0.0.1');
      socket.on('connect', () => { console.log(results.join(',') + ',net-open'); process.exit(0); });
      socket.on('error', (e) => { console.log(results.join(',') + ',' + e.code); process.exit(0); });`;
    const flags = javascriptWorkerLaunch.execArgv.filter((flag) => flag !== '--disallow-code-generation-from-strings');
    const child = spawnSync(process.execPath, [...flags, '-e', probe], { env: {}, encoding: 'utf8', timeout: 10_000 });
    expect(child.stdout.trim()).toBe('ERR_ACCESS_DENIED,ERR_ACCESS_DENIED,ERR_ACCESS_DENIED');
    expect(serverHits).toBe(0);
  });
});

describe('the network bridge', () => {
  it('reaches an allow-listed upstream through the production bridge', async () => {
    expect(await expectData(fn(`return await (await fetch(${JSON.stringify(publicUrl)})).text();`))).toBe('public');
  });

  it.each([
    ['loopback on a port the allow-list does not name', () => `http://127.0.0.1:${serverPort}/`],
    ['a private address', () => 'http://10.0.0.1/'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['localhost by name', () => `http://localhost:${serverPort}/`],
    ['the allow-listed port by a name the allow-list does not name', () => `http://localhost:${publicPort}/`],
    ['IPv6 loopback', () => `http://[::1]:${serverPort}/`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${serverPort}/`],
    ['loopback spelled as a decimal number', () => `http://2130706433:${serverPort}/`],
    ['loopback spelled in hex', () => `http://0x7f000001:${serverPort}/`],
  ])('refuses %s through the production guard, and nothing reaches the server', async (_name, target) => {
    const url = target();
    const outcome = await expectCode(
      fn(`const r = await fetch(${JSON.stringify(url)}); return await r.text();`),
      'SSRF_BLOCKED',
    );
    expect(outcome.error.message).toMatch(/fetch failed: SSRF_BLOCKED: Requests to \S+ are not allowed/);
    expect(bridgeCalls.map((call) => call.url)).toEqual([url]);
    expect(serverHits).toBe(0);
  });

  it('ends the job at its deadline when the upstream hangs, and abandons the request', async () => {
    let sawAbort = false;
    bridge = (request, signal) => {
      signal.addEventListener('abort', () => (sawAbort = true));
      return productionBridge(request, signal);
    };
    const abandoned = abandonedRequests;
    const started = Date.now();
    await expectCode(fn(`await fetch(${JSON.stringify(`${publicUrl}/hang`)}); return 1;`), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_S * 1000 + KILL_MARGIN_MS);
    expect(sawAbort).toBe(true);
    await vi.waitFor(() => expect(abandonedRequests).toBe(abandoned + 1), { timeout: 5000, interval: 50 });
  });

  it('caps a flood of fetch calls in number and concurrency', async () => {
    let active = 0;
    let peak = 0;
    bridge = async (request, signal) => {
      bridgeCalls.push(request);
      active += 1;
      peak = Math.max(peak, active);
      try {
        return await productionBridge(request, signal);
      } finally {
        active -= 1;
      }
    };
    const url = JSON.stringify(publicUrl);
    const data = (await expectData(
      fn(`
        const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => fetch(${url})));
        let done = 0;
        for (let i = 0; i < 40; i++) { try { await fetch(${url}); done++; } catch {} }
        return { fulfilled: outcomes.filter((o) => o.status === 'fulfilled').length, later: done };`),
    )) as { fulfilled: number; later: number };
    expect(data.fulfilled).toBeGreaterThan(0);
    expect(data.fulfilled + data.later).toBeLessThanOrEqual(MAX_FETCHES_PER_JOB);
    expect(bridgeCalls.length).toBeLessThanOrEqual(MAX_FETCHES_PER_JOB);
    expect(peak).toBeLessThanOrEqual(4);
  });
});

describe('secrets and state', () => {
  it('exposes only the listed secrets, frozen', async () => {
    const outcome = await run(
      fn(
        '"use strict"; let wrote = false; try { secrets.API = "changed"; wrote = true; } catch {} return { keys: Object.keys(secrets), other: typeof secrets.OTHER, frozen: Object.isFrozen(secrets), wrote, api: secrets.API };',
      ),
      {
        secrets: { API: 'a-1', OTHER: 'o-1' },
        environment_variables: ['API'],
      },
    );
    expect(outcome).toMatchObject({
      ok: true,
      result: { data: { keys: ['API'], other: 'undefined', frozen: true, wrote: false, api: 'a-1' } },
    });
  });

  it('leaves no globals or prototype changes for the next execution', async () => {
    const dirty = fn(`
      Object.prototype.polluted = 1;
      Array.prototype.push = function () { return 'hijacked'; };
      JSON.parse = () => ({ hijacked: true });
      globalThis.leftover = 'yes';
      globalThis.fetch = () => 'fake';
      return 'dirty';`);
    const clean = fn(`
      const list = [];
      list.push(1);
      return { polluted: ({}).polluted ?? null, push: list.length, parsed: JSON.parse('{"a":1}'), leftover: typeof leftover, fetch: typeof fetch(${JSON.stringify(publicUrl)}).then };`);
    // Enough rounds that both processes of the pool have run a dirty job before a clean one.
    for (let i = 0; i < 4; i += 1) {
      expect(await expectData(dirty)).toBe('dirty');
      expect(await expectData(clean)).toEqual({
        polluted: null,
        push: 1,
        parsed: { a: 1 },
        leftover: 'undefined',
        fetch: 'function',
      });
    }
  });
});

describe('output floods', () => {
  it('caps a flood of console output', async () => {
    const outcome = await run(fn('for (let i = 0; i < 100000; i++) console.log("line " + i); return "done";'));
    if (!outcome.ok) throw new Error(outcome.error.message);
    const logs = outcome.logs ?? [];
    expect(logs.at(-1)).toBe(LOG_TRUNCATED_MARKER);
    expect(logs.slice(0, -1).join('').length).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(outcome.result.data).toBe('done');
  });

  it('truncates a single enormous log line', async () => {
    const outcome = await run(fn('console.log("y".repeat(5 * 1024 * 1024)); return 1;'));
    if (!outcome.ok) throw new Error(outcome.error.message);
    const first = outcome.logs?.[0] ?? '';
    expect(first.length).toBeLessThanOrEqual(Math.min(MAX_LOG_LINE_BYTES, MAX_LOG_BYTES));
  });
});

describe('process failures', () => {
  it('fails only the job whose process was killed, and recovers', async () => {
    const single = createSandboxPool({ runtime: 'javascript', size: 1, launch: javascriptWorkerLaunch });
    leftovers.push(() => single.stop());
    await single.start();
    const [pid] = single.stats().pids;
    expect(pid).toBeGreaterThan(0);
    const local = createCodeExecutor({ pools: { javascript: single }, bridgeFetch: productionBridge });
    const running = local.execute(makeInput(fn('while (true) {}'), { execution_timeout: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(pid ?? 0, 'SIGKILL');
    expect(await running).toMatchObject({ ok: false, error: { code: 'SANDBOX_CRASHED' } });
    // With one process, an unplanned crash does put a cold start before the next job: give it time.
    expect(await local.execute(makeInput(fn('return "alive";'), { execution_timeout: 10 }))).toMatchObject({
      ok: true,
      result: { data: 'alive' },
    });
  });

  it('cancels a running job on abort and recovers', async () => {
    const controller = new AbortController();
    const running = run(fn('while (true) {}'), { signal: controller.signal, execution_timeout: 10 });
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    expect(await running).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

/** A job for the fake workers below, which ignore its code. */
function fakeJob(timeoutMs: number): RunJob {
  return {
    code: '',
    parameters: {},
    context: {},
    secrets: {},
    allowedImports: [],
    limits: { timeoutMs, memoryMb: 16, maxLogBytes: 1024, maxResultBytes: 1024 },
  };
}

describe('a compromised sandbox process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-fake-worker-'));
  leftovers.push(() => rmSync(dir, { recursive: true, force: true }));

  function fakeWorker(name: string, onRun: string): string {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(
      file,
      `process.on('message', (m) => { if (m.type === 'run') { ${onRun} } });
       process.on('disconnect', () => process.exit(0));
       process.send({ type: 'ready', runtime: 'javascript' });`,
    );
    return file;
  }

  const ok = (extra = '') => `process.send({ type: 'result', id: m.id, ok: true, value: 1, logs: [] ${extra} })`;

  it.each([
    ['an unknown message type', `process.send({ type: 'shell', id: m.id, cmd: 'id' })`],
    ['a result for another job', `process.send({ type: 'result', id: 'someone-else', ok: true, value: 1, logs: [] })`],
    [
      'a fetch for another job',
      `process.send({ type: 'fetch', id: 'someone-else', callId: 1, request: { url: 'https://x', method: 'GET', headers: {} } })`,
    ],
    ['an extra field', ok(', secrets: m.secrets')],
    [
      'oversized logs',
      `process.send({ type: 'result', id: m.id, ok: true, value: 1, logs: ['z'.repeat(1024 * 1024)] })`,
    ],
    [
      'an oversized result',
      `process.send({ type: 'result', id: m.id, ok: true, value: 'v'.repeat(2 * 1024 * 1024), logs: [] })`,
    ],
    [
      'a bad error code',
      `process.send({ type: 'result', id: m.id, ok: false, error: { code: 'INTERNAL_ERROR', message: 'x' }, logs: [] })`,
    ],
    [
      'a header injection in a fetch',
      `process.send({ type: 'fetch', id: m.id, callId: 1, request: { url: 'https://x', method: 'GET', headers: { a: 'b\\r\\nHost: evil' } } })`,
    ],
    [
      'too many concurrent fetches',
      `for (let i = 1; i <= 10; i++) process.send({ type: 'fetch', id: m.id, callId: i, request: { url: 'https://x', method: 'GET', headers: {} } })`,
    ],
    [
      'a reused fetch call id',
      `for (let i = 0; i < 2; i++) process.send({ type: 'fetch', id: m.id, callId: 1, request: { url: 'https://x', method: 'GET', headers: {} } })`,
    ],
    ['a second ready', `process.send({ type: 'ready', runtime: 'javascript' })`],
    ['a message of a protocol it does not speak', `process.send({ type: 'cleaned', id: m.id })`],
    ['a crash', `process.exit(3)`],
  ])('is killed for %s and only its job fails', async (name, onRun) => {
    const fake = createSandboxPool({
      runtime: 'javascript',
      size: 1,
      launch: { entry: fakeWorker(name.replace(/\W+/g, '-'), onRun), execArgv: [] },
    });
    leftovers.push(() => fake.stop());
    await fake.start();
    const calls: BridgeRequest[] = [];
    const hooks = {
      signal: new AbortController().signal,
      onFetch: async (request: BridgeRequest) => {
        calls.push(request);
        return new Promise<BridgeResponse>(() => undefined);
      },
    };
    const job = fakeJob(2000);
    const result = await fake.run(job, hooks);
    expect(result).toMatchObject({ ok: false, error: { code: 'SANDBOX_CRASHED' } });
    expect(calls.every((call) => call.url === 'https://x')).toBe(true);
    expect(calls.length).toBeLessThanOrEqual(4);
    for (let i = 0; i < 50 && fake.stats().idle < 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.stats()).toMatchObject({ idle: 1, restarts: 1 });
    await fake.stop();
  });

  it('kills a process that never answers at its deadline', async () => {
    const fake = createSandboxPool({
      runtime: 'javascript',
      size: 1,
      launch: { entry: fakeWorker('silent', ''), execArgv: [] },
      killGraceMs: 200,
    });
    leftovers.push(() => fake.stop());
    await fake.start();
    const started = Date.now();
    const job = fakeJob(500);
    const result = await fake.run(job, {
      signal: new AbortController().signal,
      onFetch: async () => ({ status: 200, headers: {}, body: '' }),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(500 + KILL_MARGIN_MS);
    await fake.stop();
  });

  it('refuses to start when the process dies at launch', async () => {
    const file = join(dir, 'dies.mjs');
    writeFileSync(file, 'process.exit(1)');
    const fake = createSandboxPool({ runtime: 'javascript', size: 1, launch: { entry: file, execArgv: [] } });
    await expect(fake.start()).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
  });
});
