/**
 * CPU time and peak memory of CODE tools, measured inside the production
 * sandboxes, stored on the execution and shown as `resourceUsage`. Figures are
 * compared between tools in the same run, never against absolute thresholds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

/** Pyodide loads in 2-9 s on a busy machine. */
const PYTHON_TEST_TIMEOUT_MS = 90_000;

const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
  __typename ... on Tool { id } ... on ValidationError { issues { field message } } ... on Error { message } } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) {
  __typename ... on ToolExecution { id status errorCode
    resourceUsage { cpuTimeMs peakMemoryBytes billedDurationMs estimatedCostUsd } }
  ... on Error { message } } }`;

interface Usage {
  cpuTimeMs: number | null;
  peakMemoryBytes: number | null;
  billedDurationMs: number | null;
  estimatedCostUsd: number | null;
}

interface Execution {
  __typename: string;
  id: string;
  status: string;
  errorCode: string | null;
  resourceUsage: Usage | null;
}

let t: TestApp;
let org: TestOrganization;

async function mutate<T>(query: string, input: Record<string, unknown>): Promise<T> {
  const response = await t.gql<Record<string, T>>(query, { input }, { apiKey: org.keys.ADMIN });
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

async function createCodeTool(name: string, runtime: string, code: string): Promise<string> {
  const created = await mutate<{ __typename: string; id: string }>(CREATE, {
    name,
    type: 'CODE',
    description: 'Resource usage probe',
    configuration: { runtime, code, execution_timeout: 15, memory_limit_mb: 128 },
    timeoutSeconds: 20,
    functionDefinition: { name, description: 'probe', parameters: { type: 'object', properties: {} } },
  });
  expect(created.__typename, JSON.stringify(created)).toBe('Tool');
  return created.id;
}

async function run(toolId: string): Promise<Execution & { resourceUsage: Usage }> {
  const execution = await mutate<Execution>(TEST_TOOL, { toolId, parameters: {} });
  expect(execution).toMatchObject({ __typename: 'ToolExecution', status: 'SUCCESS' });
  expect(execution.resourceUsage).not.toBeNull();
  return execution as Execution & { resourceUsage: Usage };
}

async function storedRow(id: string) {
  return t.app.services.prisma.toolExecution.findUniqueOrThrow({
    where: { id },
    select: { cpuTimeMs: true, peakMemoryBytes: true, billedDurationMs: true, estimatedCostNanoUsd: true },
  });
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_JS_POOL_SIZE: '1', SWITCHBOARD_PYTHON_POOL_SIZE: '1' });
  org = await createOrganization(t.app.services.prisma, 'Usage');
}, PYTHON_TEST_TIMEOUT_MS);

afterAll(() => t?.close());

describe('JavaScript', () => {
  it('reports more CPU for a CPU-bound tool than for an idle one, and more memory for an allocating one', async () => {
    const idle = await createCodeTool('idle_js', 'javascript', 'export default function execute() { return 1; }');
    const busy = await createCodeTool(
      'busy_js',
      'javascript',
      [
        'export default function execute() {',
        '  let x = 0;',
        '  const until = Date.now() + 300;',
        '  while (Date.now() < until) x += Math.sqrt(x + 1);',
        '  return x > 0;',
        '}',
      ].join('\n'),
    );
    const hungry = await createCodeTool(
      'hungry_js',
      'javascript',
      [
        'export default function execute() {',
        '  const keep = [];',
        '  for (let i = 0; i < 400000; i += 1) keep.push({ i, s: "v" + i });',
        '  return keep.length;',
        '}',
      ].join('\n'),
    );
    const idleRun = await run(idle);
    const busyRun = await run(busy);
    const hungryRun = await run(hungry);

    expect(busyRun.resourceUsage.cpuTimeMs!).toBeGreaterThan(idleRun.resourceUsage.cpuTimeMs!);
    expect(hungryRun.resourceUsage.peakMemoryBytes!).toBeGreaterThan(idleRun.resourceUsage.peakMemoryBytes!);
    expect(Number.isInteger(busyRun.resourceUsage.cpuTimeMs)).toBe(true);
    expect(idleRun.resourceUsage).toMatchObject({ billedDurationMs: null, estimatedCostUsd: null });

    const row = await storedRow(busyRun.id);
    expect(row.cpuTimeMs).toBe(busyRun.resourceUsage.cpuTimeMs);
    expect(Number(row.peakMemoryBytes)).toBe(busyRun.resourceUsage.peakMemoryBytes);
    expect(row.estimatedCostNanoUsd).toBeNull();
  });

  it('still records what is known when the code times out', async () => {
    const looping = await createCodeTool(
      'looping_js',
      'javascript',
      'export default function execute() { for (;;) {} }',
    );
    await t.app.services.prisma.tool.update({
      where: { id: looping },
      data: {
        configuration: {
          runtime: 'javascript',
          code: 'export default function execute() { for (;;) {} }',
          execution_timeout: 0.5,
        },
      },
    });
    const execution = await mutate<Execution>(TEST_TOOL, { toolId: looping, parameters: {} });
    expect(execution.status).toBe('TIMEOUT');
    expect(execution.resourceUsage?.cpuTimeMs).toBeGreaterThan(0);
  });
});

describe('Python', () => {
  it(
    'reports more CPU for a CPU-bound tool than for an idle one, and more memory for an allocating one',
    async () => {
      const idle = await createCodeTool('idle_py', 'python', 'def execute_tool(parameters, context):\n    return 1\n');
      const busy = await createCodeTool(
        'busy_py',
        'python',
        [
          'import time',
          'def execute_tool(parameters, context):',
          '    x = 0',
          '    until = time.time() + 0.3',
          '    while time.time() < until:',
          '        x += 1',
          '    return x > 0',
          '',
        ].join('\n'),
      );
      const hungry = await createCodeTool(
        'hungry_py',
        'python',
        [
          'def execute_tool(parameters, context):',
          '    keep = bytearray(48 * 1024 * 1024)',
          '    return len(keep)',
          '',
        ].join('\n'),
      );
      const idleRun = await run(idle);
      const busyRun = await run(busy);
      const hungryRun = await run(hungry);

      expect(busyRun.resourceUsage.cpuTimeMs!).toBeGreaterThan(idleRun.resourceUsage.cpuTimeMs!);
      expect(hungryRun.resourceUsage.peakMemoryBytes!).toBeGreaterThan(idleRun.resourceUsage.peakMemoryBytes!);
      const row = await storedRow(hungryRun.id);
      expect(Number(row.peakMemoryBytes)).toBe(hungryRun.resourceUsage.peakMemoryBytes);
    },
    PYTHON_TEST_TIMEOUT_MS,
  );
});
