/**
 * The dashboard tells the truth about its connection, in Chromium against a
 * real Switchboard: "Live" only while the WebSocket is connected (offline with
 * a banner while it is blocked, live again after it reconnects, and events
 * flow again), a server that cannot be reached is not taken as signed out,
 * and a failed load shows its error with Retry instead of made-up numbers.
 */
import type { Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { createToolVia } from '../helpers/integrations.ts';

let toolId: string;
let clockUrl = '';

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Live state E2E',
  pages: ['viewer'],
  consoleCheck: 'afterAll',
  /** What Chromium logs while the tests cut the network on purpose; anything else is a real error. */
  expectedConsoleErrors: /WebSocket connection to|Failed to load resource|net::ERR_|status of 500/,
  async before({ serve }) {
    clockUrl = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ now: Date.now() }));
    });
  },
  async seed({ app, org }) {
    toolId = await createToolVia(app, org.keys.MEMBER, {
      name: 'clock',
      type: 'ENDPOINT',
      configuration: { url: `${clockUrl}/now`, method: 'GET' },
      functionDefinition: { name: 'clock', parameters: { type: 'object', properties: {} } },
    });
  },
});

async function runTool(): Promise<void> {
  const result = await e2e.app.gql<{ testTool: { __typename: string; status?: string } }>(
    `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { status } } }`,
    { input: { toolId, parameters: {} } },
    { apiKey: e2e.org.keys.MEMBER },
  );
  expect(result.data?.testTool).toMatchObject({ __typename: 'ToolExecution', status: 'SUCCESS' });
}

describe('honest live state', () => {
  it(
    'shows Offline and a banner while the WebSocket is blocked, then Live again and new executions appear',
    async () => {
      const { page, context } = e2e.pages.viewer;
      let blocked = true;
      await context.routeWebSocket(/\/graphql$/, (socket) => {
        if (blocked) socket.close({ code: 1013, reason: 'blocked by the test' });
        else socket.connectToServer();
      });
      await signIn(page, e2e.app.url, e2e.org.users.VIEWER, { path: '/executions', heading: 'Executions' });
      const indicator = page.getByTestId('live-indicator');
      await page.getByTestId('offline-banner').waitFor();
      await expect(indicator.getAttribute('data-state')).resolves.toBe('offline');
      await expect(indicator.textContent()).resolves.toContain('Offline');

      blocked = false;
      await page.getByTestId('live-indicator').and(page.locator('[data-state="live"]')).waitFor({ timeout: 30_000 });
      await expect(page.getByTestId('offline-banner').count()).resolves.toBe(0);
      const rows = page.getByTestId('execution-row');
      const before = await rows.count();
      await runTool();
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(before + 1);
    },
    TIMEOUT,
  );

  it(
    'a reload while /graphql is unreachable says so with Retry and keeps the session',
    async () => {
      const { page } = e2e.pages.viewer;
      const refuse = (route: Route) => route.abort('connectionrefused');
      await page.route('**/graphql', refuse);
      await page.goto(`${e2e.app.url}/tools`);
      await page.getByRole('heading', { name: "Switchboard can't be reached" }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/tools');
      await page.unroute('**/graphql', refuse);
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect(page.getByTestId('stat-total').textContent()).resolves.toBe('1');
    },
    TIMEOUT,
  );

  it(
    'a failed tools load shows the error with Retry and no counts',
    async () => {
      const { page } = e2e.pages.viewer;
      const failLibrary = (route: Route) =>
        route.request().postData()?.includes('ToolLibrary')
          ? route.fulfill({ status: 500, contentType: 'text/html', body: '<h1>Internal Server Error</h1>' })
          : route.fallback();
      await page.route('**/graphql', failLibrary);
      await page.getByRole('link', { name: 'Assistants' }).click();
      await page.getByRole('link', { name: 'Tools' }).click();
      await page.getByRole('alert').getByRole('button', { name: 'Retry' }).waitFor();
      await expect(page.getByTestId('stat-total').count()).resolves.toBe(0);
      await expect(page.getByText('0 tools').count()).resolves.toBe(0);
      await page.unroute('**/graphql', failLibrary);
      await page.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
      await expect(page.getByTestId('stat-total').textContent()).resolves.toBe('1');
    },
    TIMEOUT,
  );
});
