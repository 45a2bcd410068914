/**
 * The call view in Chromium against a real Switchboard: calls made through the
 * API are listed on /calls and filtered by the platform's call id; a call's
 * page shows its tool calls live (with where each result was delivered), and
 * "End call" shows the hangup with the pending approval cancelled.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { openPage, screenshot, signIn } from '../helpers/browser.ts';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { callId } from '../helpers/integrations.ts';

const EXECUTE = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { status } } }`;
let ordersUrl = '';
let assistantId: string;
const liveCall = callId('CA-live');
const endedCall = callId('CA-ended');

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Calls E2E',
  async before({ serve }) {
    ordersUrl = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ found: true, status_text: `Order ${(req.url ?? '').split('/').pop()} has shipped` }));
    });
  },
  async seed({ app, org }) {
    assistantId = await createAssistant(app, org, 'Front desk');
    const parameters = { type: 'object', properties: { order_id: { type: 'string' } } };
    for (const [name, extra] of [
      ['order_lookup', {}],
      ['refund', { requireConfirmation: true }],
    ] as const) {
      await addTool(app, org, assistantId, {
        name,
        type: 'ENDPOINT',
        timeoutSeconds: 10,
        configuration: { url: `${ordersUrl}/orders/\${parameters.order_id}`, method: 'GET' },
        functionDefinition: { name, parameters },
        ...extra,
      });
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
  },
});

async function execute(externalId: string, toolName: string, toolCallId: string): Promise<string | undefined> {
  const result = await e2e.app.gql<{ executeTool: { __typename: string; status: string } }>(
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
    { apiKey: e2e.org.keys.MEMBER },
  );
  return result.data?.executeTool.status;
}

async function startCall(externalId: string): Promise<string> {
  const result = await e2e.app.gql<{ startCall: { __typename: string; id: string } }>(
    `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename ... on Call { id } } }`,
    { input: { externalId, assistantId, fromNumber: '+15550000000' } },
    { apiKey: e2e.org.keys.MEMBER },
  );
  expect(result.data?.startCall.__typename).toBe('Call');
  return result.data!.startCall.id;
}

function login(page: Page, user: { email: string; password: string } = e2e.org.users.OWNER): Promise<void> {
  return signIn(page, e2e.app.url, user, { path: '/calls', heading: 'Calls' });
}

describe('calls', () => {
  it(
    'lists calls newest first and filters them by call id, status, start time and assistant',
    async () => {
      const { page } = e2e.pages.owner;
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
      const { page } = e2e.pages.owner;
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
      const { page } = e2e.pages.owner;
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
      const viewer = await openPage(e2e.browser);
      try {
        const { page } = viewer;
        await login(page, e2e.org.users.VIEWER);
        await page.goto(`${e2e.app.url}/calls/${id}`);
        await page.getByTestId('live-indicator').getByText('Live').waitFor();
        await expect(page.getByTestId('call-status').textContent()).resolves.toContain('In progress');
        await expect(page.getByRole('button', { name: 'End call' }).count()).resolves.toBe(0);
        await page.goto(`${e2e.app.url}/calls/00000000-0000-0000-0000-000000000000`);
        await page.getByText('This call does not exist in this organization.').waitFor();
        expect(viewer.errors).toEqual([]);
      } finally {
        await viewer.context.close();
      }
    },
    TIMEOUT,
  );
});
