import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ExecutionStatus } from '../../server/db/generated/prisma/client.ts';
import { executionTopic } from '../../server/realtime/pubsub.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, sleep } from '../helpers/live.ts';

const METRICS_TOKEN = 'scrape-me-please';
const HOUR = 3_600_000;

let t: TestApp;
let org: TestOrganization;
let endpointToolId: string;
let codeToolId: string;
let failingToolId: string;

interface Seed {
  toolId: string | null;
  toolName: string;
  status: ExecutionStatus;
  durationMs: number;
  retryCount: number;
  errorCode: string | null;
  startedAt: Date;
}

/** A fixed past day, so nothing the engine writes meanwhile can fall into the window. */
const DAY = Date.parse('2026-03-02T00:00:00Z');
const seeds: Seed[] = [];

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

function expected(rows: Seed[]) {
  const successes = rows.filter((row) => row.status === 'SUCCESS').length;
  const codes = new Map<string, number>();
  for (const row of rows) if (row.errorCode) codes.set(row.errorCode, (codes.get(row.errorCode) ?? 0) + 1);
  const durations = rows.map((row) => row.durationMs);
  return {
    executions: rows.length,
    successes,
    failures: rows.length - successes,
    successRate: rows.length ? successes / rows.length : null,
    timeouts: rows.filter((row) => row.status === 'TIMEOUT').length,
    retries: rows.reduce((sum, row) => sum + row.retryCount, 0),
    p50: percentile(durations, 0.5),
    p95: percentile(durations, 0.95),
    p99: percentile(durations, 0.99),
    codes: Object.fromEntries([...codes].map(([code, count]) => [code, count])),
  };
}

const STATS = `executions successes failures successRate errorRate timeouts retries averageDurationMs p50DurationMs p95DurationMs p99DurationMs errorsByCode { code count rate }`;

interface Stats {
  executions: number;
  successes: number;
  failures: number;
  successRate: number | null;
  timeouts: number;
  retries: number;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  p99DurationMs: number | null;
  errorsByCode: Array<{ code: string; count: number; rate: number }>;
}

function compare(actual: Stats, rows: Seed[]): void {
  const want = expected(rows);
  expect(actual).toMatchObject({
    executions: want.executions,
    successes: want.successes,
    failures: want.failures,
    timeouts: want.timeouts,
    retries: want.retries,
  });
  if (want.successRate === null) expect(actual.successRate).toBeNull();
  else expect(actual.successRate).toBeCloseTo(want.successRate, 9);
  for (const [field, value] of [
    ['p50DurationMs', want.p50],
    ['p95DurationMs', want.p95],
    ['p99DurationMs', want.p99],
  ] as const) {
    if (value === null) expect(actual[field]).toBeNull();
    else expect(actual[field]).toBeCloseTo(value, 6);
  }
  expect(Object.fromEntries(actual.errorsByCode.map((entry) => [entry.code, entry.count]))).toEqual(want.codes);
}

beforeAll(async () => {
  t = await startTestApp({
    SWITCHBOARD_METRICS_TOKEN: METRICS_TOKEN,
    SWITCHBOARD_METRICS_PUSH_INTERVAL_MS: '150',
    SWITCHBOARD_HEALTH_CHECK_INTERVAL_MS: '100',
  });
  const prisma = t.app.services.prisma;
  org = await createOrganization(prisma, 'Metrics');
  const tool = (name: string, type: 'ENDPOINT' | 'CODE') =>
    prisma.tool.create({
      data: {
        organizationId: org.id,
        name,
        displayName: name,
        type,
        isActive: false,
        configuration:
          type === 'CODE'
            ? { runtime: 'javascript', code: 'return 1' }
            : { url: 'https://api.example.com/x', method: 'GET' },
        functionDefinition: { name, parameters: { type: 'object', properties: {} } },
      },
    });
  endpointToolId = (await tool('lookup', 'ENDPOINT')).id;
  codeToolId = (await tool('compute', 'CODE')).id;
  failingToolId = (await tool('flaky', 'ENDPOINT')).id;

  // Deterministic pseudo-random rows over three hours of DAY.
  let state = 42;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const outcomes: Array<[ExecutionStatus, string | null]> = [
    ['SUCCESS', null],
    ['SUCCESS', null],
    ['SUCCESS', null],
    ['ERROR', 'UPSTREAM_ERROR'],
    ['TIMEOUT', 'TIMEOUT'],
    ['RATE_LIMITED', 'RATE_LIMITED'],
  ];
  for (let i = 0; i < 60; i += 1) {
    const [status, errorCode] = outcomes[Math.floor(random() * outcomes.length)]!;
    const which = i % 3;
    seeds.push({
      toolId: which === 0 ? endpointToolId : which === 1 ? codeToolId : null,
      toolName: which === 0 ? 'lookup' : which === 1 ? 'compute' : 'endCall',
      status,
      durationMs: Math.floor(random() * 3000),
      retryCount: Math.floor(random() * 3),
      errorCode,
      startedAt: new Date(DAY + Math.floor(random() * 3 * HOUR)),
    });
  }
  await prisma.toolExecution.createMany({
    data: seeds.map((seed) => ({
      organizationId: org.id,
      toolId: seed.toolId,
      toolName: seed.toolName,
      toolVersion: 1,
      inputParameters: {},
      status: seed.status,
      durationMs: seed.durationMs,
      retryCount: seed.retryCount,
      errorCode: seed.errorCode,
      startedAt: seed.startedAt,
      completedAt: new Date(seed.startedAt.getTime() + seed.durationMs),
      triggerContext: 'call',
    })),
  });
  // In flight: never counted.
  await prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolId: endpointToolId,
      toolName: 'lookup',
      toolVersion: 1,
      inputParameters: {},
      status: 'RUNNING',
      startedAt: new Date(DAY + 10_000),
      triggerContext: 'call',
    },
  });
});

afterAll(async () => {
  await disposeLive();
  await t?.close();
});

describe('metrics queries', () => {
  test('organizationMetrics matches values computed in JS: totals, per hour, per tool type, per tool', async () => {
    const response = await t.gql<{
      organizationMetrics: {
        totals: Stats;
        series: Array<{ bucket: string; stats: Stats }>;
        byToolType: Array<{ toolType: string; totals: Stats; series: Array<{ stats: Stats }> }>;
        byTool: Array<{
          toolId: string | null;
          toolName: string;
          toolType: string;
          tool: { name: string } | null;
          totals: Stats;
        }>;
      };
    }>(
      `query ($window: MetricsWindowInput!) { organizationMetrics(window: $window, granularity: HOUR) {
        totals { ${STATS} } series { bucket stats { ${STATS} } }
        byToolType { toolType totals { ${STATS} } series { stats { executions } } }
        byTool { toolId toolName toolType tool { name } totals { ${STATS} } }
      } }`,
      { window: { from: new Date(DAY).toISOString(), to: new Date(DAY + 4 * HOUR).toISOString() } },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.errors).toBeUndefined();
    const metrics = response.data!.organizationMetrics;
    compare(metrics.totals, seeds);
    expect(metrics.series.map((point) => point.bucket)).toEqual(
      [0, 1, 2, 3].map((h) => new Date(DAY + h * HOUR).toISOString()),
    );
    for (const [h, point] of metrics.series.entries()) {
      compare(
        point.stats,
        seeds.filter((seed) => Math.floor((seed.startedAt.getTime() - DAY) / HOUR) === h),
      );
    }
    const types = Object.fromEntries(metrics.byToolType.map((group) => [group.toolType, group]));
    expect(Object.keys(types).sort()).toEqual(['BUILTIN', 'CODE', 'ENDPOINT']);
    compare(
      types.ENDPOINT!.totals,
      seeds.filter((seed) => seed.toolId === endpointToolId),
    );
    compare(
      types.BUILTIN!.totals,
      seeds.filter((seed) => seed.toolId === null),
    );
    expect(types.CODE!.series).toHaveLength(4);
    const code = metrics.byTool.find((group) => group.toolId === codeToolId)!;
    expect(code).toMatchObject({ toolName: 'compute', toolType: 'CODE', tool: { name: 'compute' } });
    compare(
      code.totals,
      seeds.filter((seed) => seed.toolId === codeToolId),
    );
    expect(metrics.byTool.find((group) => group.toolId === null)).toMatchObject({
      toolName: 'endCall',
      toolType: 'BUILTIN',
      tool: null,
    });
  });

  test('toolMetrics by the minute for one tool; another organization gets null', async () => {
    const window = { from: new Date(DAY).toISOString(), to: new Date(DAY + 3 * HOUR).toISOString() };
    const query = `query ($toolId: ID!, $window: MetricsWindowInput!) { toolMetrics(toolId: $toolId, window: $window, granularity: MINUTE) {
      toolId toolType health totals { ${STATS} } series { bucket stats { executions } } } }`;
    const response = await t.gql<{
      toolMetrics: { totals: Stats; series: Array<{ stats: { executions: number } }>; toolType: string };
    }>(query, { toolId: endpointToolId, window }, { apiKey: org.keys.VIEWER });
    expect(response.errors).toBeUndefined();
    compare(
      response.data!.toolMetrics.totals,
      seeds.filter((seed) => seed.toolId === endpointToolId),
    );
    expect(response.data!.toolMetrics.series).toHaveLength(180);
    expect(response.data!.toolMetrics.series.reduce((sum, point) => sum + point.stats.executions, 0)).toBe(
      seeds.filter((seed) => seed.toolId === endpointToolId).length,
    );
    const stranger = await createOrganization(t.app.services.prisma, 'Stranger');
    const foreign = await t.gql<{ toolMetrics: null }>(
      query,
      { toolId: endpointToolId, window },
      { apiKey: stranger.keys.OWNER },
    );
    expect(foreign.data!.toolMetrics).toBeNull();
    const tooFine = await t.gql(
      `query ($window: MetricsWindowInput!) { organizationMetrics(window: $window, granularity: MINUTE) { totals { executions } } }`,
      { window: { from: new Date(DAY).toISOString(), to: new Date(DAY + 30 * HOUR).toISOString() } },
      { apiKey: org.keys.VIEWER },
    );
    expect(tooFine.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('tool health', () => {
  test('a tool failing most calls is FAILING, announced on toolHealthChanged', async () => {
    const prisma = t.app.services.prisma;
    const ws = connectWs(t.url, { apiKey: org.keys.VIEWER });
    const changes = ws.subscribe<{
      toolHealthChanged: { toolId: string; health: string; previous: string; tool: { name: string } };
    }>(`subscription { toolHealthChanged { toolId health previous tool { name } } }`);
    await sleep(150);
    const now = Date.now();
    await prisma.toolExecution.createMany({
      data: Array.from({ length: 10 }, (_, i) => ({
        organizationId: org.id,
        toolId: failingToolId,
        toolName: 'flaky',
        toolVersion: 1,
        inputParameters: {},
        status: (i < 7 ? 'ERROR' : 'SUCCESS') as ExecutionStatus,
        errorCode: i < 7 ? 'UPSTREAM_ERROR' : null,
        durationMs: 100,
        startedAt: new Date(now - i * 1000),
        triggerContext: 'call',
      })),
    });
    // What the engine publishes after each run; the monitor re-judges the tools involved.
    t.app.services.pubsub.publish(executionTopic(org.id), {
      kind: 'finished',
      organizationId: org.id,
      executionId: '00000000-0000-0000-0000-000000000000',
      toolId: failingToolId,
      assistantId: null,
      callId: null,
      status: 'ERROR',
      at: new Date().toISOString(),
    });
    const [change] = await changes.waitFor(1);
    expect(change!.data!.toolHealthChanged).toEqual({
      toolId: failingToolId,
      health: 'FAILING',
      previous: 'OK',
      tool: { name: 'flaky' },
    });
    const tools = await t.gql<{ tools: { edges: Array<{ node: { id: string; health: string } }> } }>(
      `{ tools(first: 10) { edges { node { id health } } } }`,
      {},
      { apiKey: org.keys.VIEWER },
    );
    const health = Object.fromEntries(tools.data!.tools.edges.map((edge) => [edge.node.id, edge.node.health]));
    expect(health[failingToolId]).toBe('FAILING');
    // Its seeded executions are days old: nothing in the 15-minute window to judge by.
    expect(health[endpointToolId]).toBe('NO_DATA');
  });
});

describe('toolMetricsUpdated', () => {
  test('pushes the rolling stats at once and then periodically', async () => {
    const ws = connectWs(t.url, { apiKey: org.keys.VIEWER });
    const pushes = ws.subscribe<{
      toolMetricsUpdated: { totals: { executions: number }; byTool: Array<{ toolName: string; health: string }> };
    }>(
      `subscription { toolMetricsUpdated(window: { lastSeconds: 3600, granularity: MINUTE }) { totals { executions } byTool { toolName health } } }`,
    );
    const results = await pushes.waitFor(2, 5_000);
    expect(results[0]!.errors).toBeUndefined();
    expect(results[0]!.data!.toolMetricsUpdated.totals.executions).toBeGreaterThanOrEqual(10);
    expect(results[0]!.data!.toolMetricsUpdated.byTool).toContainEqual({ toolName: 'flaky', health: 'FAILING' });
    pushes.close();
  });
});

describe('/metrics', () => {
  test('needs the bearer token when one is configured, and exposes execution and GraphQL series', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    await t.gql(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename } }`,
      { input: { toolId: codeToolId, parameters: {} } },
      { apiKey: org.keys.MEMBER },
    );
    const response = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const body = await response.text();
    expect(body).toContain('switchboard_executions_total{tool_type="CODE",status="ERROR"} 1');
    expect(body).toMatch(/switchboard_execution_duration_seconds_count\{tool_type="CODE",status="ERROR"\} 1/);
    expect(body).toMatch(/switchboard_execution_events_total\{kind="finished"\} \d+/);
    expect(body).toContain('graphql_envelop_request');
    expect(body).not.toContain(org.id);
  });
});
