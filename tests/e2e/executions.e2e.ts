/**
 * The executions monitor in Chromium against a real Switchboard: filtered by
 * the voice platform's call id, a call column linking to the call view,
 * absolute times on hover, pages past the first 50, and the detail in a
 * drawer that takes focus and gives it back.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ensureDashboardBuilt, launchChromium, openPage, signIn, type WatchedPage } from '../helpers/browser.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { createToolVia } from '../helpers/integrations.ts';

const TIMEOUT = 120_000;
const CALL_SID = 'CA-e2e-platform-id';
let app: TestApp;
let org: TestOrganization;
let browser: Browser;
let member: WatchedPage;
let upstream: Server;

async function test(toolId: string, callSid: string | null): Promise<void> {
  const result = await app.gql<{ testTool: { __typename: string } }>(
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename } }`,
    { input: { toolId, parameters: {}, ...(callSid ? { context: { callSid } } : {}) } },
    { apiKey: org.keys.MEMBER },
  );
  expect(result.data?.testTool.__typename).toBe('ToolExecution');
}

beforeAll(async () => {
  ensureDashboardBuilt();
  upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  app = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(app.db.database.prisma, 'Executions E2E');
  const toolId = await createToolVia(app, org.keys.MEMBER, {
    name: 'ping',
    type: 'ENDPOINT',
    configuration: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/ping`, method: 'GET' },
    functionDefinition: { name: 'ping', parameters: { type: 'object', properties: {} } },
  });
  for (let index = 0; index < 3; index += 1) await test(toolId, CALL_SID);
  for (let index = 0; index < 52; index += 1) await test(toolId, null);
  browser = await launchChromium();
  member = await openPage(browser);
}, TIMEOUT);

afterAll(async () => {
  expect(member?.errors ?? [], 'console errors').toEqual([]);
  await browser?.close();
  await app?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('executions monitor', () => {
  it(
    'pages past 50, shows absolute times on hover, and opens the detail in a drawer that takes focus',
    async () => {
      const { page } = member;
      await signIn(page, app.url, org.users.MEMBER, { path: '/executions', heading: 'Executions' });
      const rows = page.getByTestId('execution-row');
      await expect.poll(() => rows.count()).toBe(50);
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count()).toBe(55);
      await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);

      const title = await rows.first().locator('time').getAttribute('title');
      expect(title).toMatch(/\d{1,2}:\d{2}/);

      const opener = rows.nth(2).getByRole('button', { name: 'ping' });
      await opener.click();
      const drawer = page.getByRole('dialog', { name: 'Execution detail' });
      await drawer.waitFor();
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null))
        .toBe(true);
      await page.keyboard.press('Escape');
      await expect(drawer.count()).resolves.toBe(0);
      await expect.poll(() => opener.evaluate((element) => element === document.activeElement)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "filters by the voice platform's call id and links each execution to its call",
    async () => {
      const { page } = member;
      const rows = page.getByTestId('execution-row');
      await page.getByLabel('Platform call id').fill(CALL_SID);
      await expect.poll(() => rows.count()).toBe(3);
      await page.getByLabel('Platform call id').fill('CA-nobody-knows');
      await page.getByText('No call with the id “CA-nobody-knows” in this organization.').waitFor();
      await page.getByLabel('Platform call id').fill(CALL_SID);
      await expect.poll(() => rows.count()).toBe(3);
      await rows.first().getByTestId('execution-call').click();
      await page.getByRole('heading', { name: `Call ${CALL_SID}` }).waitFor();
    },
    TIMEOUT,
  );
});
