/**
 * Everything wired together as a Vapi integrator sees it: an async tool
 * answers the tool call at once with its acknowledgement, its endpoint
 * reports progress that is spoken into the live call (Vapi control URL,
 * `say`), and its result is added to the conversation (`add-message`) and
 * sent to the assistant's signed webhook. After hangup, a tool that must
 * finish still reports to the webhook (callEnded) but not into the call.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startDeliveryReceiver, type DeliveryReceiver } from '../helpers/delivery-receiver.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { createToolVia, serverSecret } from '../helpers/integrations.ts';

const WAIT = { timeout: 15_000, interval: 20 };
let t: TestApp;
let org: TestOrganization;
let vapi: DeliveryReceiver;
let consumer: DeliveryReceiver;
let bookings: Server;
let assistantId: string;
let secret: string;
let webhookSecret: string;
/** Each booking request waits for its release, after posting its progress. */
const releases = new Map<string, () => void>();
const arrived = new Map<string, PromiseWithResolvers<void>>();

function release(reference: string): void {
  const answer = releases.get(reference);
  releases.delete(reference);
  answer?.();
}

function arrival(reference: string): PromiseWithResolvers<void> {
  let entry = arrived.get(reference);
  if (!entry) {
    entry = Promise.withResolvers<void>();
    arrived.set(reference, entry);
  }
  return entry;
}

beforeAll(async () => {
  bookings = createServer((req, res) => {
    const reference = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    req.resume();
    req.on('end', () => {
      const progressUrl = req.headers['switchboard-progress-url'] as string;
      const token = req.headers['switchboard-progress-token'] as string;
      void fetch(progressUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: `Checking availability for ${reference}` }),
      }).then(() => {
        releases.set(reference, () =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reference, table: 7 })),
        );
        arrival(reference).resolve();
      });
    });
  });
  bookings.listen(0, '127.0.0.1');
  await once(bookings, 'listening');
  vapi = await startDeliveryReceiver();
  consumer = await startDeliveryReceiver();
  t = await startTestApp({
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_DELIVERY_POLL_MS: '50',
    SWITCHBOARD_DELIVERY_RETRY_BASE_MS: '20',
  });
  org = await createOrganization(t.app.services.prisma, 'Live call results');
  const created = await t.gql<{ createAssistant: { id: string } }>(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`,
    { input: { name: 'Reservations' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const port = (bookings.address() as AddressInfo).port;
  for (const [name, extra] of [
    ['book_table', {}],
    ['file_complaint', { continue_after_hangup: true }],
  ] as const) {
    const toolId = await createToolVia(t, org.keys.MEMBER, {
      name,
      type: 'ENDPOINT',
      timeoutSeconds: 20,
      configuration: {
        url: `http://127.0.0.1:${port}/book/\${parameters.reference}`,
        method: 'POST',
        execution_mode: 'async',
        ...extra,
      },
      functionDefinition: {
        name,
        parameters: { type: 'object', properties: { reference: { type: 'string' } }, required: ['reference'] },
      },
      messages: { requestStart: 'Let me book that for you, one moment.' },
    });
    await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId, toolId } },
      { apiKey: org.keys.ADMIN },
    );
  }
  secret = await serverSecret(t, org, assistantId);
  const callback = await t.gql<{ setAssistantCallback: { secret: string } }>(
    `mutation ($input: SetAssistantCallbackInput!) { setAssistantCallback(input: $input) { ... on AssistantCallback { secret } } }`,
    { input: { assistantId, url: `${consumer.url}/switchboard` } },
    { apiKey: org.keys.ADMIN },
  );
  webhookSecret = callback.data!.setAssistantCallback.secret;
});

afterAll(async () => {
  for (const reference of [...releases.keys()]) release(reference);
  await t?.close();
  await Promise.all([vapi?.close(), consumer?.close()]);
  await new Promise((resolve) => bookings?.close(resolve));
});

function vapiMessage(callSid: string, message: Record<string, unknown>) {
  return {
    message: {
      ...message,
      call: { id: callSid, type: 'inboundPhoneCall', monitor: { controlUrl: `${vapi.url}/${callSid}/control` } },
    },
  };
}

async function postVapi(body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function verified(request: { headers: Record<string, unknown>; body: string }): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['switchboard-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', webhookSecret).update(`${match[1]}.${request.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

interface ControlBody {
  type: string;
  content?: string;
  message?: { role: string; content: string };
  triggerResponseEnabled?: boolean;
  endCallAfterSpoken?: boolean;
}
const bodies = (requests: Array<{ body: string }>) =>
  requests.map((request) => JSON.parse(request.body) as ControlBody);

describe('an async tool on a live Vapi call', () => {
  test('acknowledged at once, progress spoken, the result added to the call and sent to the signed webhook', async () => {
    const callSid = 'vapi-live-results-1';
    const answer = await postVapi(
      vapiMessage(callSid, {
        type: 'tool-calls',
        toolCallList: [{ id: 'tc-book-1', name: 'book_table', arguments: { reference: 'R-100' } }],
      }),
    );
    const [result] = answer.results as Array<{ toolCallId: string; result: string }>;
    expect(result!.toolCallId).toBe('tc-book-1');
    expect(JSON.parse(result!.result)).toMatchObject({
      success: true,
      message: expect.stringContaining('Let me book that for you, one moment.'),
      data: { status: 'queued' },
    });

    await arrival('R-100').promise;
    const control = () => bodies(vapi.to(`/${callSid}/control`));
    await vi.waitUntil(() => control().some((body) => body.type === 'say'), WAIT);
    expect(control()).toContainEqual({
      type: 'say',
      content: 'Checking availability for R-100',
      endCallAfterSpoken: false,
    });

    release('R-100');
    await vi.waitUntil(() => control().some((body) => body.type === 'add-message'), WAIT);
    const spoken = control().find((body) => body.type === 'add-message')!;
    expect(spoken).toMatchObject({ triggerResponseEnabled: true, message: { role: 'system' } });
    expect(spoken.message!.content).toContain('R-100');

    const hooks = () =>
      consumer
        .to('/switchboard')
        .filter((request) => (JSON.parse(request.body) as { event: string }).event === 'execution.result');
    await vi.waitUntil(() => hooks().length === 1, WAIT);
    expect(verified(hooks()[0]!)).toBe(true);
    expect(JSON.parse(hooks()[0]!.body)).toMatchObject({
      callEnded: false,
      call: { externalId: callSid, platform: 'VAPI' },
      execution: { toolName: 'book_table', status: 'SUCCESS', result: { data: { reference: 'R-100', table: 7 } } },
    });
  });

  test('after hangup a tool that must finish reports to the webhook (callEnded) but not into the call', async () => {
    const callSid = 'vapi-live-results-2';
    await postVapi(
      vapiMessage(callSid, {
        type: 'tool-calls',
        toolCallList: [{ id: 'tc-complaint-1', name: 'file_complaint', arguments: { reference: 'C-200' } }],
      }),
    );
    await arrival('C-200').promise;
    await postVapi(vapiMessage(callSid, { type: 'end-of-call-report', endedReason: 'customer-ended-call' }));
    release('C-200');

    const execution = await vi.waitUntil(
      () =>
        t.app.services.prisma.toolExecution.findFirst({
          where: { organizationId: org.id, toolName: 'file_complaint', status: 'SUCCESS' },
        }),
      WAIT,
    );
    const results = () =>
      t.app.services.prisma.resultDelivery.findMany({ where: { executionId: execution.id, event: 'result' } });
    await vi.waitUntil(
      async () => (await results()).every((row) => row.status !== 'PENDING') && (await results()).length === 2,
      WAIT,
    );
    const byChannel = Object.fromEntries((await results()).map((row) => [row.channel, row]));
    expect(byChannel.VAPI_CONTROL).toMatchObject({ status: 'UNDELIVERED', callEnded: true });
    expect(byChannel.WEBHOOK).toMatchObject({ status: 'DELIVERED', callEnded: true });
    expect(bodies(vapi.to(`/${callSid}/control`)).filter((body) => body.type === 'add-message')).toEqual([]);
  });
});
