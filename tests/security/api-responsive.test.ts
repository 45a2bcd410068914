/**
 * Hostile code tools run through the real API while cheap queries keep being
 * answered: the sandbox processes take the load, not the API server. Every
 * hostile execution then ends with a clear status and the pools are back to
 * full strength.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const JS_POOL_SIZE = 2;
const PYTHON_POOL_SIZE = 1;
/** Generous on a shared 2-core machine; a blocked event loop would take seconds. */
const RESPONSIVE_BOUND_MS = 1_500;
const PROBE_INTERVAL_MS = 150;
const MIN_PROBES = 5;
/** Pyodide loads in 2-9 s on a busy machine; a recycled process must load again. */
const POOL_RECOVERY_MS = 60_000;

const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
  __typename ... on Tool { id } ... on ValidationError { issues { field message line column } } ... on Error { message } } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) {
  __typename ... on ToolExecution { status errorCode errorMessage durationMs outputResult } ... on Error { message } } }`;
const VIEWER = '{ viewer { role } }';
const TOOLS = '{ tools(first: 20) { edges { node { id name } } } }';

interface Execution {
  __typename: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  outputResult: { data: unknown } | null;
}

/** Accepts connections and never answers: a hung upstream for the bridge. */
let silent: Server;
const silentSockets: Socket[] = [];
let silentPort = 0;
let t: TestApp;
let org: TestOrganization;

async function createCodeTool(name: string, configuration: Record<string, unknown>): Promise<string> {
  const response = await t.gql<{ createTool: { __typename: string; id: string } }>(
    CREATE,
    {
      input: {
        name,
        type: 'CODE',
        configuration,
        // The engine's own deadline stays well above the sandbox's, so the sandbox is what stops each one.
        timeoutSeconds: 30,
        functionDefinition: { name, parameters: { type: 'object', properties: {} } },
      },
    },
    { apiKey: org.keys.MEMBER },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data!.createTool, JSON.stringify(response.data)).toMatchObject({ __typename: 'Tool' });
  return response.data!.createTool.id;
}

async function testTool(toolId: string): Promise<Execution> {
  const response = await t.gql<{ testTool: Execution }>(
    TEST_TOOL,
    { input: { toolId, parameters: {} } },
    { apiKey: org.keys.MEMBER },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.testTool;
}

/** Live sandbox processes this test process started, by worker entry. */
function sandboxProcesses(entry: string): number {
  let count = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(entry)) count += 1;
    } catch {
      // The process ended while we looked.
    }
  }
  return count;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

beforeAll(async () => {
  silent = createServer((socket) => {
    silentSockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as AddressInfo).port;
  t = await startTestApp({
    SWITCHBOARD_JS_POOL_SIZE: String(JS_POOL_SIZE),
    SWITCHBOARD_PYTHON_POOL_SIZE: String(PYTHON_POOL_SIZE),
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${silentPort}`,
  });
  org = await createOrganization(t.app.services.prisma, 'Hostile');
});

afterAll(async () => {
  await t?.close();
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
});

it(
  'answers cheap queries while hostile code runs, then every hostile execution ends clearly and the pools recover',
  { timeout: 120_000 },
  async () => {
    const hostile = {
      jsLoop: await createCodeTool('js_loop', {
        runtime: 'javascript',
        execution_timeout: 2,
        code: 'export default function execute() {\n  while (true) {}\n}',
      }),
      jsMemory: await createCodeTool('js_memory', {
        runtime: 'javascript',
        execution_timeout: 15,
        memory_limit_mb: 32,
        code: 'export default function execute() {\n  const chunks = [];\n  while (true) chunks.push("x".repeat(1 << 20) + chunks.length);\n}',
      }),
      // Queued behind the first two JavaScript jobs; its timeout covers the wait for a free process.
      jsHungFetch: await createCodeTool('js_hung_fetch', {
        runtime: 'javascript',
        execution_timeout: 4,
        code: `export default async function execute() {\n  const response = await fetch("http://127.0.0.1:${silentPort}/never");\n  return await response.text();\n}`,
      }),
      pyLoop: await createCodeTool('py_loop', {
        runtime: 'python',
        execution_timeout: 2,
        code: 'def execute_tool(parameters, context):\n    while True:\n        pass',
      }),
    };
    const normalJs = await createCodeTool('js_normal', {
      runtime: 'javascript',
      code: 'export default function execute() {\n  return { success: true, message: "ok", data: 6 * 7 };\n}',
    });
    const normalPy = await createCodeTool('py_normal', {
      runtime: 'python',
      code: "def execute_tool(parameters, context):\n    return {'success': True, 'message': 'ok', 'data': 6 * 7}",
    });

    let settled = false;
    const attack = Promise.all(
      Object.entries(hostile).map(async ([name, toolId]) => [name, await testTool(toolId)] as const),
    ).finally(() => {
      settled = true;
    });

    const probes: Array<{ query: string; ms: number; ok: boolean }> = [];
    while (!settled || probes.length < MIN_PROBES * 2) {
      for (const query of [VIEWER, TOOLS]) {
        const started = performance.now();
        const response = await t.gql(query, {}, { apiKey: org.keys.VIEWER });
        probes.push({
          query,
          ms: performance.now() - started,
          ok: response.status === 200 && !response.errors && response.data !== null,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
    const outcomes = Object.fromEntries(await attack);

    expect(probes.every((probe) => probe.ok)).toBe(true);
    const slowest = Math.max(...probes.map((probe) => probe.ms));
    expect(slowest, `slowest of ${probes.length} probes`).toBeLessThan(RESPONSIVE_BOUND_MS);

    expect(outcomes.jsLoop).toMatchObject({ __typename: 'ToolExecution', status: 'TIMEOUT' });
    expect(outcomes.jsMemory).toMatchObject({
      __typename: 'ToolExecution',
      status: 'ERROR',
      errorCode: 'MEMORY_LIMIT',
    });
    expect(outcomes.jsHungFetch).toMatchObject({ __typename: 'ToolExecution', status: 'TIMEOUT' });
    expect(outcomes.pyLoop).toMatchObject({ __typename: 'ToolExecution', status: 'TIMEOUT' });
    for (const [name, execution] of Object.entries(outcomes)) {
      expect(execution.errorMessage, name).toEqual(expect.any(String));
    }

    // Full strength: the configured warm spares are back (beside the process that checks code at save,
    // and those still bound to this organization or its tools), and they all take work at once.
    const CHECKERS = 1;
    expect(
      await until(() => sandboxProcesses('sandbox/javascript/worker.ts') >= JS_POOL_SIZE + CHECKERS, POOL_RECOVERY_MS),
    ).toBe(true);
    expect(
      await until(() => sandboxProcesses('sandbox/python/worker.ts') >= PYTHON_POOL_SIZE + CHECKERS, POOL_RECOVERY_MS),
    ).toBe(true);
    const ok = { status: 'SUCCESS', outputResult: { success: true, data: 42 } };
    const after = await Promise.all([testTool(normalJs), testTool(normalJs)]);
    for (const execution of after) expect(execution).toMatchObject(ok);
    // An interrupted Pyodide process is recycled, and its replacement loads Pyodide again (2-9 s here):
    // with one Python process, a caller may wait past the pool's queue limit meanwhile.
    let python = await testTool(normalPy);
    const recoveryDeadline = Date.now() + POOL_RECOVERY_MS;
    while (python.errorCode === 'SANDBOX_UNAVAILABLE' && Date.now() < recoveryDeadline)
      python = await testTool(normalPy);
    expect(python).toMatchObject(ok);
    after.push(python);
  },
);
