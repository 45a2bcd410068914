/**
 * Resource usage on the dashboard in Chromium: a Lambda tool's billing (REPORT
 * line through the real SDK against the fake Lambda) and estimated cost, its
 * cost per day on the tool's metrics, and a JavaScript tool's CPU and memory.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ensureDashboardBuilt, launchChromium, openPage, signIn, type WatchedPage } from '../helpers/browser.ts';
import { LAMBDA_KEY_ID, LAMBDA_REGION, LAMBDA_SECRET_KEY } from '../helpers/engine-harness.ts';
import { outcome, startFakeLambda, type FakeLambda } from '../helpers/fake-lambda.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { createToolVia } from '../helpers/integrations.ts';
import { lambdaTools } from '../helpers/lambda-tools.ts';

const TIMEOUT = 120_000;
let app: TestApp;
let lambda: FakeLambda;
let org: TestOrganization;
let browser: Browser;
let member: WatchedPage;
let lambdaTool: { id: string; name: string };
let codeToolId = '';

async function runTest(toolId: string): Promise<void> {
  const result = await app.gql<{ testTool: { __typename: string } }>(
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename } }`,
    { input: { toolId, parameters: {} } },
    { apiKey: org.keys.MEMBER },
  );
  expect(result.data?.testTool.__typename).toBe('ToolExecution');
}

beforeAll(async () => {
  ensureDashboardBuilt();
  lambda = await startFakeLambda({
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
  });
  app = await startTestApp({ AWS_ENDPOINT_URL_LAMBDA: lambda.url });
  org = await createOrganization(app.app.services.prisma, 'Usage E2E');
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
  browser = await launchChromium();
  member = await openPage(browser);
}, TIMEOUT);

afterAll(async () => {
  expect(member?.errors ?? [], 'console errors').toEqual([]);
  await browser?.close();
  await app?.close();
  await lambda?.close();
});

describe('resource usage on the dashboard', () => {
  it(
    "shows a Lambda tool's cost per day and an execution's billing",
    async () => {
      const { page } = member;
      await signIn(page, app.url, org.users.MEMBER, { path: `/tools/${lambdaTool.id}`, heading: lambdaTool.name });
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
      const { page } = member;
      await page.goto(`${app.url}/tools/${codeToolId}`);
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
