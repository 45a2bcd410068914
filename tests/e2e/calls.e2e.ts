/**
 * The call view in Chromium against a real Switchboard: calls made through the
 * API are listed on /calls and filtered by the platform's call id; a call's
 * page shows its tool calls live (with where each result was delivered), and
 * "End call" shows the hangup with the pending approval cancelled.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  ensureDashboardBuilt,
  launchChromium,
  openPage,
  screenshot,
  signIn,
  type WatchedPage,
} from '../helpers/browser.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { callId, createToolVia } from '../helpers/integrations.ts';

const TIMEOUT = 120_000;
const EXECUTE = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { status } } }`;
let app: TestApp;
let org: TestOrganization;
let orders: Server;
let browser: Browser;
let owner: WatchedPage;
let assistantId: string;
const liveCall = callId('CA-live');
const endedCall = callId('CA-ended');

async function execute(externalId: string, toolName: string, toolCallId: string): Promise<string | undefined> {
  const result = await app.gql<{ executeTool: { __typename: string; status: string } }>(
    EXECUTE,
    {
      input: {
        assistantId,
        toolName,
        toolCallId,
        parameters: { order_id: toolCallId },
        context: { callSid: externalId, from: '+15551112222', to: '+15553334444' },
      },
    },
    { apiKey: org.keys.MEMBER },
  );
  return result.data?.executeTool.status;
}

async function startCall(externalId: string): Promise<string> {
  const result = await app.gql<{ startCall: { __typename: string; id: string } }>(
    `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename ... on Call { id } } }`,
    { input: { externalId, assistantId, fromNumber: '+15550000000' } },
    { apiKey: org.keys.MEMBER },
  );
  expect(result.data?.startCall.__typename).toBe('Call');
  return result.data!.startCall.id;
}

function login(page: Page, user: { email: string; password: string } = org.users.OWNER): Promise<void> {
  return signIn(page, app.url, user, { path: '/calls', heading: 'Calls' });
}

beforeAll(async () => {
  ensureDashboardBuilt();
  orders = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ found: true, status_text: `Order ${(req.url ?? '').split('/').pop()} has shipped` }));
  });
  await new Promise<void>((resolve) => orders.listen(0, '127.0.0.1', resolve));
  const ordersUrl = `http://127.0.0.1:${(orders.address() as AddressInfo).port}`;
  app = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(app.db.database.prisma, 'Calls E2E');
  const created = await app.gql<{ createAssistant: { id: string } }>(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`,
    { input: { name: 'Front desk' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const parameters = { type: 'object', properties: { order_id: { type: 'string' } } };
  for (const [name, extra] of [
    ['order_lookup', {}],
    ['refund', { requireConfirmation: true }],
  ] as const) {
    const toolId = await createToolVia(app, org.keys.MEMBER, {
      name,
      type: 'ENDPOINT',
      timeoutSeconds: 10,
      configuration: { url: `${ordersUrl}/orders/\${parameters.order_id}`, method: 'GET' },
      functionDefinition: { name, parameters },
      ...extra,
    });
    const assigned = await app.gql<{ assignTool: { __typename: string } }>(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId, toolId } },
      { apiKey: org.keys.ADMIN },
    );
    expect(assigned.data?.assignTool.__typename).toBe('ToolAssignment');
  }
  // One call that already ended, and one in progress with a tool call and a pending approval.
  expect(await execute(endedCall, 'order_lookup', 'old-1')).toBe('SUCCESS');
  const ended = await app.gql<{ endCall: { __typename: string } }>(
    `mutation ($input: EndCallInput!) { endCall(input: $input) { __typename } }`,
    { input: { externalId: endedCall, reason: 'customer-ended-call' } },
    { apiKey: org.keys.MEMBER },
  );
  expect(ended.data?.endCall.__typename).toBe('Call');
  // The ended call took place two days ago, for the "since" filter.
  const twoDaysAgo = Date.now() - 48 * 3600 * 1000;
  await app.db.database.prisma.call.updateMany({
    where: { organizationId: org.id, callSid: endedCall },
    data: { startedAt: new Date(twoDaysAgo), endedAt: new Date(twoDaysAgo + 95_000) },
  });
  await app.gql(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename } }`,
    { input: { name: 'Back office' } },
    { apiKey: org.keys.ADMIN },
  );
  expect(await execute(liveCall, 'order_lookup', 'A-1')).toBe('SUCCESS');
  // Its result goes to the assistant's callback webhook (the orders server answers 200 to anything).
  await app.gql(
    `mutation ($input: SetAssistantCallbackInput!) { setAssistantCallback(input: $input) { __typename } }`,
    { input: { assistantId, url: `${ordersUrl}/hooks` } },
    { apiKey: org.keys.ADMIN },
  );
  const prisma = app.db.database.prisma;
  const first = await prisma.toolExecution.findFirstOrThrow({ where: { toolCallId: 'A-1' } });
  await app.app.services.deliveries.enqueueResult(first);
  await vi.waitUntil(
    async () => (await prisma.resultDelivery.findFirst({ where: { executionId: first.id } }))?.status === 'DELIVERED',
    { timeout: 10_000, interval: 20 },
  );
  expect(await execute(liveCall, 'refund', 'R-1')).toBe('PENDING_APPROVAL');
  browser = await launchChromium();
  owner = await openPage(browser);
}, TIMEOUT);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await new Promise((resolve) => orders?.close(resolve));
});

afterEach(() => {
  expect(owner.errors, 'console errors').toEqual([]);
});

describe('calls', () => {
  it(
    'lists calls newest first and filters them by call id, status, start time and assistant',
    async () => {
      const { page } = owner;
      await login(page);
      const rows = page.getByTestId('call-row');
      await expect.poll(() => rows.count()).toBe(2);
      await expect(rows.first().textContent()).resolves.toContain(liveCall);
      await expect(rows.nth(1).textContent()).resolves.toContain('customer-ended-call');
      await expect(rows.first().getByRole('cell').last().textContent()).resolves.toBe('2');
      await screenshot(page, 'calls');

      await page.getByLabel('Status').selectOption('ENDED');
      await expect.poll(() => rows.count()).toBe(1);
      await expect(rows.first().textContent()).resolves.toContain(endedCall);
      await page.getByLabel('Status').selectOption('');
      await expect.poll(() => rows.count()).toBe(2);
      await expect(rows.nth(1).textContent()).resolves.toContain('1 min 35 s');

      await page.getByLabel('Started').selectOption({ label: 'Last 24 hours' });
      await expect.poll(() => rows.count()).toBe(1);
      await expect(rows.first().textContent()).resolves.toContain(liveCall);
      await page.getByLabel('Started').selectOption({ label: 'Last 7 days' });
      await expect.poll(() => rows.count()).toBe(2);

      await page.getByLabel('Assistant').selectOption({ label: 'Back office' });
      await page.getByText('No calls match these filters.').waitFor();
      await page.getByLabel('Assistant').selectOption({ label: 'Front desk' });
      await expect.poll(() => rows.count()).toBe(2);

      await page.getByLabel('Platform call id').fill(liveCall);
      await expect.poll(() => rows.count()).toBe(1);
      await expect(rows.first().textContent()).resolves.toContain(liveCall);
      await expect(rows.first().textContent()).resolves.toContain('In progress');
      await page.getByLabel('Platform call id').fill('no-such-call');
      await page.getByText('No calls match these filters.').waitFor();
      await page.getByLabel('Platform call id').fill(liveCall);
      await rows.first().getByRole('link', { name: liveCall }).click();
      await page.getByRole('heading', { name: `Call ${liveCall}` }).waitFor();
    },
    TIMEOUT,
  );

  it(
    'shows a new tool call live, then ends the call and shows the hangup and the cancelled approval',
    async () => {
      const { page } = owner;
      const items = page.getByTestId('timeline-execution');
      await expect.poll(() => items.count()).toBe(2);
      await expect(page.getByTestId('call-status').textContent()).resolves.toContain('In progress');
      await expect(items.nth(1).textContent()).resolves.toContain('Waiting for approval');
      const delivery = items.first().getByTestId('timeline-delivery');
      await expect(delivery.textContent()).resolves.toMatch(/Result → Webhook\s*Delivered\s*1\s+attempt\b/);
      await page.getByTestId('live-indicator').getByText('Live').waitFor();

      expect(await execute(liveCall, 'order_lookup', 'B-2')).toBe('SUCCESS');
      await expect.poll(() => items.count(), { timeout: 10_000 }).toBe(3);
      await expect(items.nth(2).textContent()).resolves.toContain('SUCCESS');
      await screenshot(page, 'call-live');

      await page.getByRole('button', { name: 'End call' }).click();
      await page.getByTestId('timeline-hangup').waitFor();
      await expect(page.getByTestId('timeline-hangup').textContent()).resolves.toContain('ended-from-dashboard');
      await expect(page.getByTestId('call-status').textContent()).resolves.toContain('Ended');
      await expect(items.nth(1).getByTestId('timeline-status').textContent()).resolves.toBe('CANCELLED');
      await expect(items.nth(1).textContent()).resolves.toContain('CALL_ENDED');
      await expect(page.getByRole('button', { name: 'End call' }).count()).resolves.toBe(0);
      await items.nth(0).getByRole('button').click();
      await expect(page.getByTestId('execution-output').textContent()).resolves.toContain('Order A-1 has shipped');
      await screenshot(page, 'call-ended');
    },
    TIMEOUT,
  );

  it(
    'pages through calls with the connection cursors',
    async () => {
      const { page } = owner;
      // With the two calls above: 27 calls, one full page of 25 and 2 older ones.
      for (let index = 0; index < 25; index += 1) await startCall(callId(`CA-page-${index}`));
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calls' }).click();
      const rows = page.getByTestId('call-row');
      await expect.poll(() => rows.count()).toBe(25);
      await expect(rows.first().textContent()).resolves.toContain('CA-page-24');
      await page.getByRole('button', { name: 'Older' }).click();
      await expect.poll(() => rows.count()).toBe(2);
      await expect(rows.nth(0).textContent()).resolves.toContain(liveCall);
      await expect(rows.nth(1).textContent()).resolves.toContain(endedCall);
      await expect(page.getByRole('button', { name: 'Older' }).isDisabled()).resolves.toBe(true);
      await page.getByRole('button', { name: 'Newer' }).click();
      await expect.poll(() => rows.count()).toBe(25);
      await expect(rows.first().textContent()).resolves.toContain('CA-page-24');
      await expect(rows.last().textContent()).resolves.toContain('CA-page-0');
    },
    TIMEOUT,
  );

  it(
    'shows a viewer the call without the End call button',
    async () => {
      const id = await startCall(callId('CA-viewer'));
      const viewer = await openPage(browser);
      try {
        const { page } = viewer;
        await login(page, org.users.VIEWER);
        await page.goto(`${app.url}/calls/${id}`);
        await page.getByTestId('live-indicator').getByText('Live').waitFor();
        await expect(page.getByTestId('call-status').textContent()).resolves.toContain('In progress');
        await expect(page.getByRole('button', { name: 'End call' }).count()).resolves.toBe(0);
        await page.goto(`${app.url}/calls/00000000-0000-0000-0000-000000000000`);
        await page.getByText('This call does not exist in this organization.').waitFor();
        expect(viewer.errors).toEqual([]);
      } finally {
        await viewer.context.close();
      }
    },
    TIMEOUT,
  );
});
