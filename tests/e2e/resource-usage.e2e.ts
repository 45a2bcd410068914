/**
 * Resource usage on the dashboard in Chromium: a Lambda tool's billing (REPORT
 * line through the real SDK against the fake Lambda) and estimated cost, its
 * cost per day on the tool's metrics, and a JavaScript tool's CPU and memory.
 */
import { describe, expect, it } from 'vitest';
import { signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { LAMBDA_KEY_ID, LAMBDA_REGION, LAMBDA_SECRET_KEY } from '../helpers/engine-harness.ts';
import { outcome, startFakeLambda, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createToolVia } from '../helpers/integrations.ts';
import { lambdaTools } from '../helpers/lambda-tools.ts';

let lambda: FakeLambda;
let lambdaTool: { id: string; name: string };
let codeToolId = '';

const e2e = useDashboard({
  env: () => ({ AWS_ENDPOINT_URL_LAMBDA: lambda.url }),
  organization: 'Usage E2E',
  pages: ['member'],
  consoleCheck: 'afterAll',
  async before({ track }) {
    lambda = track(
      await startFakeLambda({
        accessKeyId: LAMBDA_KEY_ID,
        secretAccessKey: LAMBDA_SECRET_KEY,
        region: LAMBDA_REGION,
        functions: {
          billed: () =>
            outcome.value(
              { ok: true },
              { report: { durationMs: 1999.2, billedDurationMs: 2000, memorySizeMb: 1024, maxMemoryUsedMb: 300 } },
            ),
        },
      }),
    );
  },
  async seed({ app, org }) {
    lambdaTool = await (await lambdaTools(app, org)).create('billed', { log_type: 'Tail' });
    // 2 s × 1 GB × $0.0000166667 + $0.0000002 = $0.0000335334 per invocation, twice.
    await runTest(lambdaTool.id);
    await runTest(lambdaTool.id);
    codeToolId = await createToolVia(app, org.keys.MEMBER, {
      name: 'crunch',
      type: 'CODE',
      configuration: {
        runtime: 'javascript',
        code: 'export default function execute() { let x = 0; for (let i = 0; i < 3e6; i += 1) x += i; return x; }',
      },
      functionDefinition: { name: 'crunch', parameters: { type: 'object', properties: {} } },
    });
    await runTest(codeToolId);
  },
});

async function runTest(toolId: string): Promise<void> {
  const result = await e2e.app.gql<{ testTool: { __typename: string } }>(
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename } }`,
    { input: { toolId, parameters: {} } },
    { apiKey: e2e.org.keys.MEMBER },
  );
  expect(result.data?.testTool.__typename).toBe('ToolExecution');
}

describe('resource usage on the dashboard', () => {
  it(
    "shows a Lambda tool's cost per day and an execution's billing",
    async () => {
      const { page } = e2e.pages.member;
      await signIn(page, e2e.app.url, e2e.org.users.MEMBER, {
        path: `/tools/${lambdaTool.id}`,
        heading: lambdaTool.name,
      });
      const metrics = page.getByTestId('tool-metrics');
      await expect.poll(() => metrics.getByTestId('metrics-cost').textContent()).toBe('$0.0000671');
      await page.getByRole('button', { name: '7 d' }).click();
      const days = metrics.getByRole('list', { name: 'Cost per day' }).getByRole('listitem');
      await expect.poll(() => days.count()).toBeGreaterThan(0);
      await expect.poll(() => days.last().textContent()).toContain('$0.0000671');

      await page.getByRole('button', { name: 'Details' }).first().click();
      const usage = page.getByTestId('execution-usage');
      await expect.poll(() => usage.getByTestId('usage-billed').textContent()).toBe('2.00 s');
      expect(await usage.getByTestId('usage-lambda-memory').textContent()).toBe('300 of 1024 MB');
      expect(await usage.getByTestId('usage-cost').textContent()).toBe('$0.0000335');
      expect(await usage.getByTestId('usage-cpu').count()).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "shows a JavaScript tool's CPU time and peak memory",
    async () => {
      const { page } = e2e.pages.member;
      await page.goto(`${e2e.app.url}/tools/${codeToolId}`);
      await page.getByRole('heading', { name: 'crunch', exact: true }).waitFor();
      await page.getByRole('button', { name: 'Details' }).first().click();
      const usage = page.getByTestId('execution-usage');
      await expect.poll(() => usage.getByTestId('usage-cpu').textContent()).toMatch(/^\d+ ms$/);
      expect(await usage.getByTestId('usage-memory').textContent()).toMatch(/^[\d.]+ (KB|MB)$/);
      expect(await usage.getByTestId('usage-cost').count()).toBe(0);
      await expect.poll(() => page.getByTestId('metrics-cpu').textContent()).toMatch(/ms \/ .*ms$/);
    },
    TIMEOUT,
  );
});
