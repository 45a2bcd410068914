/**
 * Lambda billing through the real AWS SDK against the fake Lambda: with log_type
 * Tail the REPORT line's figures land on the execution with an estimated cost
 * (at the configured prices), and toolMetrics sums them per tool and per day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { LAMBDA_KEY_ID, LAMBDA_REGION, LAMBDA_SECRET_KEY } from '../helpers/engine-harness.ts';
import { lambdaTools, type LambdaToolFactory } from '../helpers/lambda-tools.ts';
import { outcome, startFakeLambda, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Prices other than the defaults, so the test proves the configuration is used. */
const PRICE_PER_GB_SECOND = 0.00001;
const PRICE_PER_REQUEST = 0.000001;
/** 13 ms × 0.125 GB × $0.00001 + $0.000001 = $1.01625e-6, stored as 1016 nano-dollars. */
const COLD_COST_NANO = 1016;
/** 100 ms × 1 GB × $0.00001 + $0.000001 = $2e-6. */
const WARM_COST_NANO = 2000;

const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) {
  __typename ... on ToolExecution { id status errorCode logs
    resourceUsage { cpuTimeMs peakMemoryBytes billedDurationMs memorySizeMb maxMemoryUsedMb initDurationMs estimatedCostUsd } }
  ... on Error { message } } }`;
const STATS = 'executions estimatedCostUsd averageCpuTimeMs';
const TOOL_METRICS = `query ($toolId: ID!, $window: MetricsWindowInput!, $granularity: MetricsGranularity) {
  toolMetrics(toolId: $toolId, window: $window, granularity: $granularity) {
    totals { ${STATS} } dailyCost { day estimatedCostUsd executions } } }`;
const ORGANIZATION_METRICS = `query ($window: MetricsWindowInput!) {
  organizationMetrics(window: $window, granularity: DAY) {
    totals { ${STATS} } byTool { toolId totals { estimatedCostUsd } dailyCost { day estimatedCostUsd } } } }`;

interface Execution {
  __typename: string;
  id: string;
  status: string;
  logs: string[] | null;
  resourceUsage: Record<string, number | null> | null;
}

let t: TestApp;
let lambda: FakeLambda;
let org: TestOrganization;
let tools: LambdaToolFactory;

beforeAll(async () => {
  lambda = await startFakeLambda({
    accessKeyId: LAMBDA_KEY_ID,
    secretAccessKey: LAMBDA_SECRET_KEY,
    region: LAMBDA_REGION,
    functions: {
      cold: () =>
        outcome.value(
          { ok: true },
          {
            logs: 'working\n',
            report: {
              durationMs: 12.34,
              billedDurationMs: 13,
              memorySizeMb: 128,
              maxMemoryUsedMb: 70,
              initDurationMs: 150.12,
            },
          },
        ),
      warm: () =>
        outcome.functionError('no such order', {
          handled: true,
          report: { durationMs: 99.5, billedDurationMs: 100, memorySizeMb: 1024, maxMemoryUsedMb: 90 },
        }),
    },
  });
  t = await startTestApp({
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND: String(PRICE_PER_GB_SECOND),
    SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST: String(PRICE_PER_REQUEST),
  });
  org = await createOrganization(t.app.services.prisma, 'Billing');
  tools = await lambdaTools(t, org);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await lambda?.close();
});

async function lambdaTool(functionName: string, logType: 'Tail' | 'None'): Promise<string> {
  return (await tools.create(functionName, { log_type: logType })).id;
}

async function testTool(toolId: string): Promise<Execution> {
  const response = await t.gql<{ testTool: Execution }>(
    TEST_TOOL,
    { input: { toolId, parameters: {} } },
    {
      apiKey: org.keys.ADMIN,
    },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data?.testTool.__typename).toBe('ToolExecution');
  return response.data!.testTool;
}

async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await t.gql<T>(query, variables, { apiKey: org.keys.ADMIN });
  expect(response.errors).toBeUndefined();
  return response.data!;
}

describe('Lambda resource usage', () => {
  let coldTool = '';
  let warmTool = '';

  it("records the REPORT line's figures and the estimated cost at the configured prices", async () => {
    coldTool = await lambdaTool('cold', 'Tail');
    const execution = await testTool(coldTool);
    expect(lambda.calls.at(-1)?.logType).toBe('Tail');
    expect(execution.status).toBe('SUCCESS');
    expect(execution.logs?.at(-1)).toMatch(/^REPORT RequestId: .*\tBilled Duration: 13 ms\t/);
    expect(execution.resourceUsage).toEqual({
      cpuTimeMs: null,
      peakMemoryBytes: null,
      billedDurationMs: 13,
      memorySizeMb: 128,
      maxMemoryUsedMb: 70,
      initDurationMs: 150,
      estimatedCostUsd: COLD_COST_NANO / 1e9,
    });
    const row = await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id: execution.id } });
    expect(row).toMatchObject({ billedDurationMs: 13, memorySizeMb: 128, maxMemoryUsedMb: 70, initDurationMs: 150 });
    expect(row.estimatedCostNanoUsd).toBe(BigInt(COLD_COST_NANO));
  });

  it('records the cost of a failed invocation too (it was billed), without Init Duration when warm', async () => {
    warmTool = await lambdaTool('warm', 'Tail');
    const execution = await testTool(warmTool);
    expect(execution.status).toBe('ERROR');
    expect(execution.resourceUsage).toMatchObject({
      billedDurationMs: 100,
      memorySizeMb: 1024,
      initDurationMs: null,
      estimatedCostUsd: WARM_COST_NANO / 1e9,
    });
  });

  it('records nothing without the log tail', async () => {
    const quiet = await lambdaTool('cold', 'None');
    const execution = await testTool(quiet);
    expect(execution.status).toBe('SUCCESS');
    expect(lambda.calls.at(-1)?.logType).toBe('None');
    expect(execution.resourceUsage).toBeNull();
  });

  it('sums cost per tool and per day in toolMetrics and organizationMetrics, short and long windows alike', async () => {
    await testTool(coldTool);
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    const short = await gql<{
      toolMetrics: { totals: { executions: number; estimatedCostUsd: number }; dailyCost: unknown[] };
    }>(TOOL_METRICS, {
      toolId: coldTool,
      window: { from: new Date(now - HOUR).toISOString(), to: new Date(now + 60_000).toISOString() },
      granularity: 'MINUTE',
    });
    expect(short.toolMetrics.totals.executions).toBe(2);
    expect(short.toolMetrics.totals.estimatedCostUsd).toBeCloseTo((2 * COLD_COST_NANO) / 1e9, 15);
    expect(short.toolMetrics.totals).toMatchObject({ averageCpuTimeMs: null });

    // Three days ending mid-hour: whole days and hours from the rollups, the edges from the rows.
    const window = { from: new Date(today - 2 * DAY).toISOString(), to: new Date(now + 60_000).toISOString() };
    const long = await gql<{
      toolMetrics: { dailyCost: Array<{ day: string; estimatedCostUsd: number; executions: number }> };
    }>(TOOL_METRICS, { toolId: coldTool, window, granularity: 'DAY' });
    expect(long.toolMetrics.dailyCost.map((day) => day.day)).toEqual(
      [2, 1, 0].map((back) => new Date(today - back * DAY).toISOString()),
    );
    expect(long.toolMetrics.dailyCost.at(-1)).toMatchObject({ executions: 2 });
    expect(long.toolMetrics.dailyCost.at(-1)!.estimatedCostUsd).toBeCloseTo((2 * COLD_COST_NANO) / 1e9, 15);
    expect(long.toolMetrics.dailyCost[0]!.estimatedCostUsd).toBe(0);

    const organization = await gql<{
      organizationMetrics: {
        totals: { estimatedCostUsd: number };
        byTool: Array<{
          toolId: string;
          totals: { estimatedCostUsd: number };
          dailyCost: Array<{ estimatedCostUsd: number }>;
        }>;
      };
    }>(ORGANIZATION_METRICS, { window });
    expect(organization.organizationMetrics.totals.estimatedCostUsd).toBeCloseTo(
      (2 * COLD_COST_NANO + WARM_COST_NANO) / 1e9,
      15,
    );
    const warm = organization.organizationMetrics.byTool.find((tool) => tool.toolId === warmTool);
    expect(warm?.dailyCost.at(-1)?.estimatedCostUsd).toBeCloseTo(WARM_COST_NANO / 1e9, 15);
  });
});
