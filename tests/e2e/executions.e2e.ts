/**
 * The executions monitor in Chromium against a real Switchboard: filtered by
 * the voice platform's call id, a call column linking to the call view,
 * absolute times on hover, pages past the first 50, and the detail in a
 * drawer that takes focus and gives it back.
 */
import { describe, expect, it } from 'vitest';
import { signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { createToolVia } from '../helpers/integrations.ts';

const CALL_SID = 'CA-e2e-platform-id';
let upstreamUrl = '';

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Executions E2E',
  pages: ['member'],
  consoleCheck: 'afterAll',
  async before({ serve }) {
    upstreamUrl = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
  },
  async seed({ app, org }) {
    const toolId = await createToolVia(app, org.keys.MEMBER, {
      name: 'ping',
      type: 'ENDPOINT',
      configuration: { url: `${upstreamUrl}/ping`, method: 'GET' },
      functionDefinition: { name: 'ping', parameters: { type: 'object', properties: {} } },
    });
    for (let index = 0; index < 3; index += 1) await test(toolId, CALL_SID);
    for (let index = 0; index < 52; index += 1) await test(toolId, null);
  },
});

async function test(toolId: string, callSid: string | null): Promise<void> {
  const result = await e2e.app.gql<{ testTool: { __typename: string } }>(
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename } }`,
    { input: { toolId, parameters: {}, ...(callSid ? { context: { callSid } } : {}) } },
    { apiKey: e2e.org.keys.MEMBER },
  );
  expect(result.data?.testTool.__typename).toBe('ToolExecution');
}

describe('executions monitor', () => {
  it(
    'pages past 50, shows absolute times on hover, and opens the detail in a drawer that takes focus',
    async () => {
      const { page } = e2e.pages.member;
      await signIn(page, e2e.app.url, e2e.org.users.MEMBER, { path: '/executions', heading: 'Executions' });
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
      const { page } = e2e.pages.member;
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
