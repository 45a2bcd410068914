/**
 * Results and progress go back into the live call: Vapi's control URL (a local
 * receiver checks the documented request body), the assistant's signed webhook
 * (a consumer verifies the signature with its own HMAC code), retries with the
 * same delivery id, permanent refusals, idempotent enqueueing, hangup rules,
 * the SSRF guard, and a PENDING delivery surviving a restart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { revealControlUrl } from '../../server/deliveries/control-url.ts';
import { createResultDeliveries } from '../../server/deliveries/result-deliveries.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { testConfig, type TestApp } from '../helpers/app.ts';
import { startDeliveryReceiver, type DeliveryReceiver } from '../helpers/delivery-receiver.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { callId, startWiredApp, type WiredApp } from '../helpers/integrations.ts';

const DELIVERY_ENV = {
  SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
  SWITCHBOARD_DELIVERY_RETRY_BASE_MS: '20',
  SWITCHBOARD_DELIVERY_RETRY_MAX_MS: '100',
  SWITCHBOARD_DELIVERY_POLL_MS: '50',
  SWITCHBOARD_DELIVERY_MAX_ATTEMPTS: '4',
  SWITCHBOARD_DELIVERY_TIMEOUT_MS: '5000',
};
const WAIT = { timeout: 10_000, interval: 10 };

let wiredApp: WiredApp;
let t: TestApp;
let vapi: DeliveryReceiver;
let consumer: DeliveryReceiver;
let org: TestOrganization;
let assistantId: string;
let vapiSecret: string;
let callbackSecret: string;

const SET_CALLBACK = `mutation ($input: SetAssistantCallbackInput!) {
  setAssistantCallback(input: $input) {
    __typename
    ... on AssistantCallback { secret assistant { id callbackUrl } }
    ... on ValidationError { message }
  }
}`;

async function setCallback(url: string | null) {
  const response = await t.gql<{
    setAssistantCallback: { __typename: string; secret?: string | null; message?: string };
  }>(SET_CALLBACK, { input: { assistantId, url } }, { apiKey: org.keys.ADMIN });
  return response.data!.setAssistantCallback;
}

beforeAll(async () => {
  vapi = await startDeliveryReceiver();
  consumer = await startDeliveryReceiver();
  wiredApp = await startWiredApp('Deliveries', DELIVERY_ENV);
  ({ t, org, secret: vapiSecret } = wiredApp);
  assistantId = wiredApp.wired.assistantId;
  const callback = await setCallback(`${consumer.url}/hooks`);
  expect(callback.secret).toMatch(/^whsec_/);
  callbackSecret = callback.secret!;
});

afterAll(async () => {
  await wiredApp?.close();
  await Promise.all([vapi?.close(), consumer?.close()]);
});

function vapiMessage(callSid: string, message: Record<string, unknown>, controlUrl: unknown) {
  return {
    message: {
      ...message,
      timestamp: Date.now(),
      call: {
        id: callSid,
        orgId: 'c7f1b2f0-0000-4000-8000-000000000000',
        type: 'inboundPhoneCall',
        status: 'in-progress',
        monitor: { listenUrl: `wss://example.invalid/${callSid}/listen`, controlUrl },
      },
      customer: { number: '+15551112222' },
      phoneNumber: { number: '+15553334444' },
    },
  };
}

async function postVapi(body: unknown) {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${vapiSecret}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { results?: Array<Record<string, string>> } };
}

/** A Vapi call whose tool call ran `lookup_order` through the engine; returns the execution row. */
async function runOnVapiCall(callSid: string, controlUrl: unknown = `${vapi.url}/${callSid}/control`) {
  const toolCall = {
    id: callId('lookup'),
    type: 'function',
    function: { name: 'lookup_order', arguments: { order_id: 'A1' } },
  };
  const answer = await postVapi(vapiMessage(callSid, { type: 'tool-calls', toolCallList: [toolCall] }, controlUrl));
  expect(answer.status).toBe(200);
  expect(answer.body.results?.[0]?.result).toContain('shipped');
  return t.app.services.prisma.toolExecution.findFirstOrThrow({
    where: { organizationId: org.id, call: { callSid } },
    orderBy: { startedAt: 'desc' },
  });
}

function deliveriesOf(execution: ToolExecution) {
  return t.app.services.prisma.resultDelivery.findMany({
    where: { executionId: execution.id },
    orderBy: [{ channel: 'asc' }, { sequence: 'asc' }],
  });
}

async function settled(execution: ToolExecution, expected: number) {
  await vi.waitUntil(async () => {
    const rows = await deliveriesOf(execution);
    return rows.length === expected && rows.every((row) => row.status !== 'PENDING');
  }, WAIT);
  return deliveriesOf(execution);
}

/** The consumer's own check, written from the documentation, not with Switchboard's code. */
function verifies(secret: string, rawBody: string, header: string | undefined): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  if (Math.abs(Date.now() / 1000 - Number(match[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

describe('the Vapi control URL', () => {
  test('the Vapi route stores call.monitor.controlUrl from a real-shaped message; a bad one is ignored', async () => {
    const callSid = callId('vapi-store');
    await runOnVapiCall(callSid, 'javascript:alert(1)');
    const stored = async () => {
      const row = await t.app.services.prisma.call.findFirstOrThrow({ where: { organizationId: org.id, callSid } });
      return { sealed: row.controlUrl, url: revealControlUrl(t.app.services.cipher, row) };
    };
    expect((await stored()).url).toBeNull();

    const controlUrl = `${vapi.url}/${callSid}/control`;
    const update = await postVapi(vapiMessage(callSid, { type: 'status-update', status: 'in-progress' }, controlUrl));
    expect(update.status).toBe(200);
    const after = await stored();
    expect(after.url).toBe(controlUrl);
    // Whoever has it controls the live call: it is not stored in the clear.
    expect(Buffer.from(after.sealed!).toString('latin1')).not.toContain(callSid);

    const tooLong = await postVapi(
      vapiMessage(callSid, { type: 'speech-update' }, `https://vapi.example/${'x'.repeat(2048)}`),
    );
    expect(tooLong.status).toBe(200);
    expect((await stored()).url).toBe(controlUrl);
  });

  test('a result is sent as add-message with a system message and triggerResponseEnabled, progress as say', async () => {
    const callSid = callId('vapi-result');
    const row = await runOnVapiCall(callSid);
    await t.app.services.deliveries.enqueueProgress(row, 'Still checking with the warehouse…', 1);
    await t.app.services.deliveries.enqueueResult(row);
    const rows = await settled(row, 4);
    expect(rows.map((r) => [r.channel, r.event, r.status, r.attempts])).toEqual(
      expect.arrayContaining([
        ['VAPI_CONTROL', 'progress', 'DELIVERED', 1],
        ['VAPI_CONTROL', 'result', 'DELIVERED', 1],
        ['WEBHOOK', 'progress', 'DELIVERED', 1],
        ['WEBHOOK', 'result', 'DELIVERED', 1],
      ]),
    );
    const sent = vapi.to(`/${callSid}/control`).map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(sent).toHaveLength(2);
    expect(sent).toContainEqual({
      type: 'say',
      content: 'Still checking with the warehouse…',
      endCallAfterSpoken: false,
    });
    const result = sent.find((body) => body.type === 'add-message')!;
    expect(Object.keys(result).sort()).toEqual(['message', 'triggerResponseEnabled', 'type']);
    expect(result.triggerResponseEnabled).toBe(true);
    expect(result.message).toEqual({ role: 'system', content: expect.stringContaining('"status":"shipped"') });
    expect(vapi.to(`/${callSid}/control`)[0]!.headers['content-type']).toBe('application/json');
    await expect(t.app.services.deliveries.enqueueProgress(row, 'out of range', -1)).rejects.toThrow(/sequence/);
    await expect(t.app.services.deliveries.enqueueProgress(row, 'out of range', 2 ** 31)).rejects.toThrow(/sequence/);
  });

  test('a control URL to a private host not allowed is refused: FAILED with a clear error, nothing sent', async () => {
    const elsewhere = await startDeliveryReceiver('127.0.0.2');
    try {
      const callSid = callId('vapi-private');
      const row = await runOnVapiCall(callSid, `${elsewhere.url}/control`);
      await t.app.services.deliveries.enqueueResult(row);
      const [vapiRow] = (await settled(row, 2)).filter((r) => r.channel === 'VAPI_CONTROL');
      expect(vapiRow).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(vapiRow!.lastError).toMatch(/not allowed/);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('the signed webhook', () => {
  test('the consumer verifies the signature, refuses a tampered body, and sees the documented body', async () => {
    const callSid = callId('hook');
    const row = await runOnVapiCall(callSid);
    await t.app.services.deliveries.enqueueResult(row);
    const rows = await settled(row, 2);
    const webhookRow = rows.find((r) => r.channel === 'WEBHOOK')!;
    const [request] = consumer.requests.filter((r) => r.headers['switchboard-delivery-id'] === webhookRow.id);
    expect(request).toBeDefined();
    expect(request!.headers['switchboard-event']).toBe('execution.result');
    expect(verifies(callbackSecret, request!.body, request!.headers['switchboard-signature'] as string)).toBe(true);
    const tampered = request!.body.replace('shipped', 'refunded');
    expect(tampered).not.toBe(request!.body);
    expect(verifies(callbackSecret, tampered, request!.headers['switchboard-signature'] as string)).toBe(false);

    const call = await t.app.services.prisma.call.findFirstOrThrow({ where: { organizationId: org.id, callSid } });
    expect(JSON.parse(request!.body)).toEqual({
      id: webhookRow.id,
      event: 'execution.result',
      createdAt: webhookRow.createdAt.toISOString(),
      callEnded: false,
      call: { id: call.id, externalId: callSid, platform: 'VAPI' },
      execution: {
        id: row.id,
        toolName: 'lookup_order',
        status: 'SUCCESS',
        result: row.outputResult,
        error: null,
        errorCode: null,
      },
    });
  });

  test('503 twice then 200: DELIVERED after 3 attempts, the same delivery id each time', async () => {
    await setCallback(`${consumer.url}/flaky`);
    try {
      consumer.script('/flaky', [503, 503, 200]);
      const row = await runOnVapiCall(callId('flaky'));
      await t.app.services.deliveries.enqueueResult(row);
      const webhookRow = (await settled(row, 2)).find((r) => r.channel === 'WEBHOOK')!;
      expect(webhookRow).toMatchObject({ status: 'DELIVERED', attempts: 3 });
      expect(webhookRow.deliveredAt).not.toBeNull();
      const ids = consumer.to('/flaky').map((r) => r.headers['switchboard-delivery-id']);
      expect(ids).toEqual([webhookRow.id, webhookRow.id, webhookRow.id]);
      expect(new Set(consumer.to('/flaky').map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(
        new Set([webhookRow.id]),
      );
    } finally {
      await setCallback(`${consumer.url}/hooks`);
    }
  });

  test('a receiver that keeps answering 503 is FAILED after the last attempt', async () => {
    await setCallback(`${consumer.url}/down`);
    try {
      consumer.script('/down', [503]);
      const row = await runOnVapiCall(callId('down'));
      await t.app.services.deliveries.enqueueResult(row);
      const webhookRow = (await settled(row, 2)).find((r) => r.channel === 'WEBHOOK')!;
      expect(webhookRow).toMatchObject({ status: 'FAILED', attempts: 4 });
      expect(webhookRow.lastError).toMatch(/HTTP 503 \(after 4 attempts\)/);
      expect(consumer.to('/down')).toHaveLength(4);
    } finally {
      await setCallback(`${consumer.url}/hooks`);
    }
  });

  test('a permanent 4xx is FAILED at once', async () => {
    await setCallback(`${consumer.url}/gone`);
    try {
      consumer.script('/gone', [410]);
      const row = await runOnVapiCall(callId('gone'));
      await t.app.services.deliveries.enqueueResult(row);
      const webhookRow = (await settled(row, 2)).find((r) => r.channel === 'WEBHOOK')!;
      expect(webhookRow).toMatchObject({ status: 'FAILED', attempts: 1, lastError: 'The receiver answered HTTP 410' });
      expect(consumer.to('/gone')).toHaveLength(1);
    } finally {
      await setCallback(`${consumer.url}/hooks`);
    }
  });

  test('enqueueing the same result twice is one delivery per channel', async () => {
    const callSid = callId('twice');
    const row = await runOnVapiCall(callSid);
    await Promise.all([t.app.services.deliveries.enqueueResult(row), t.app.services.deliveries.enqueueResult(row)]);
    await settled(row, 2);
    await t.app.services.deliveries.enqueueResult(row);
    // A sentinel enqueued after the repeat: once it is delivered, a second send of the result would have come first.
    await t.app.services.deliveries.enqueueProgress(row, 'sentinel', 1);
    await settled(row, 4);
    const results = vapi.to(`/${callSid}/control`).filter((r) => r.body.includes('add-message'));
    expect(results).toHaveLength(1);
    const hooks = consumer.requests.filter(
      (r) => r.body.includes(row.id) && r.headers['switchboard-event'] === 'execution.result',
    );
    expect(hooks).toHaveLength(1);
  });
});

describe('after hangup', () => {
  test('a result is UNDELIVERED on Vapi (nothing sent) and the webhook fires with callEnded true; progress too', async () => {
    const callSid = callId('hangup');
    const row = await runOnVapiCall(callSid);
    const ended = await postVapi(
      vapiMessage(
        callSid,
        { type: 'end-of-call-report', endedReason: 'customer-ended-call' },
        `${vapi.url}/${callSid}/control`,
      ),
    );
    expect(ended.status).toBe(200);
    await t.app.services.deliveries.enqueueResult(row);
    await t.app.services.deliveries.enqueueProgress(row, 'too late', 1);
    const rows = await settled(row, 4);
    expect(rows.map((r) => [r.channel, r.event, r.status, r.callEnded, r.attempts])).toEqual(
      expect.arrayContaining([
        ['VAPI_CONTROL', 'result', 'UNDELIVERED', true, 0],
        ['VAPI_CONTROL', 'progress', 'UNDELIVERED', true, 0],
        ['WEBHOOK', 'result', 'DELIVERED', true, 1],
        ['WEBHOOK', 'progress', 'DELIVERED', true, 1],
      ]),
    );
    expect(vapi.to(`/${callSid}/control`)).toHaveLength(0);
    const hooks = consumer.requests.filter((r) => r.body.includes(row.id));
    expect(hooks.map((r) => (JSON.parse(r.body) as { callEnded: boolean }).callEnded)).toEqual([true, true]);
  });
});

describe('the timeline', () => {
  test('Call.deliveries and ToolExecution.deliveries list them oldest first, only within the organization', async () => {
    const callSid = callId('timeline');
    const row = await runOnVapiCall(callSid);
    await t.app.services.deliveries.enqueueResult(row);
    await settled(row, 2);
    const call = await t.app.services.prisma.call.findFirstOrThrow({ where: { organizationId: org.id, callSid } });
    const query = `query ($id: ID!) { call(id: $id) {
      deliveries { channel event status attempts lastError createdAt deliveredAt callEnded executionId }
      executions { edges { node { id deliveries { channel status } } } }
    } }`;
    const response = await t.gql<{
      call: {
        deliveries: Array<Record<string, unknown>>;
        executions: { edges: Array<{ node: { deliveries: Array<Record<string, unknown>> } }> };
      };
    }>(query, { id: call.id }, { apiKey: org.keys.VIEWER });
    expect(response.errors).toBeUndefined();
    expect(response.data!.call.deliveries).toHaveLength(2);
    expect(response.data!.call.deliveries[0]).toMatchObject({
      event: 'RESULT',
      status: 'DELIVERED',
      attempts: 1,
      callEnded: false,
      executionId: row.id,
    });
    expect(response.data!.call.executions.edges[0]!.node.deliveries).toHaveLength(2);
    const other = await createOrganization(t.app.services.prisma, 'Elsewhere');
    const outside = await t.gql<{ call: unknown }>(query, { id: call.id }, { apiKey: other.keys.ADMIN });
    expect(outside.data?.call).toBeNull();
  });

  test('setAssistantCallback refuses a URL that is not http(s); Assistant.callbackUrl is readable', async () => {
    const refused = await setCallback('ftp://example.com/hook');
    expect(refused.__typename).toBe('ValidationError');
    const read = await t.gql<{ assistant: { callbackUrl: string } }>(
      `query ($id: ID!) { assistant(id: $id) { callbackUrl } }`,
      { id: assistantId },
      { apiKey: org.keys.VIEWER },
    );
    expect(read.data?.assistant.callbackUrl).toBe(`${consumer.url}/hooks`);
  });
});

describe('secrets and instances', () => {
  test('a rotated secret signs the next deliveries; the old one no longer verifies', async () => {
    const rotated = await t.gql<{ rotateAssistantCallbackSecret: { secret: string } }>(
      `mutation ($input: RotateAssistantCallbackSecretInput!) {
        rotateAssistantCallbackSecret(input: $input) { ... on AssistantCallback { secret } }
      }`,
      { input: { assistantId } },
      { apiKey: org.keys.ADMIN },
    );
    const secret = rotated.data!.rotateAssistantCallbackSecret.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(callbackSecret);
    const row = await runOnVapiCall(callId('rotated'));
    await t.app.services.deliveries.enqueueResult(row);
    const webhookRow = (await settled(row, 2)).find((r) => r.channel === 'WEBHOOK')!;
    const request = consumer.requests.find((r) => r.headers['switchboard-delivery-id'] === webhookRow.id)!;
    const signature = request.headers['switchboard-signature'] as string;
    expect(verifies(secret, request.body, signature)).toBe(true);
    expect(verifies(callbackSecret, request.body, signature)).toBe(false);
    callbackSecret = secret;
  });

  test('two instances polling one outbox send every delivery exactly once', async () => {
    const services = t.app.services;
    const other = createResultDeliveries({
      prisma: services.prisma,
      sql: services.sql,
      cipher: services.cipher,
      policy: createSsrfPolicy({ allowedPrivateHosts: ['127.0.0.1'] }),
      logger: services.logger,
      options: { pollIntervalMs: 20, baseDelayMs: 20, maxDelayMs: 100 },
    });
    other.start();
    try {
      const callSid = callId('two-instances');
      const row = await runOnVapiCall(callSid);
      const messages = Array.from({ length: 20 }, (_, index) => index + 1);
      await Promise.all(
        messages.map((sequence) =>
          (sequence % 2 ? services.deliveries : other).enqueueProgress(row, `step ${sequence}`, sequence),
        ),
      );
      const rows = await settled(row, 40);
      expect(rows.every((r) => r.status === 'DELIVERED' && r.attempts === 1)).toBe(true);
      const hookIds = consumer.requests
        .filter((r) => r.body.includes(row.id))
        .map((r) => r.headers['switchboard-delivery-id']);
      expect(hookIds).toHaveLength(20);
      expect(new Set(hookIds).size).toBe(20);
      expect(vapi.to(`/${callSid}/control`)).toHaveLength(20);
    } finally {
      await other.close();
    }
  });
});

describe('durability', () => {
  test('a delivery left PENDING by a closed app is sent by a new app on the same database', async () => {
    await setCallback(`${consumer.url}/slow`);
    const held = consumer.hold('/slow');
    const row = await runOnVapiCall(callId('restart'));
    await t.app.services.deliveries.enqueueResult(row);
    await held.arrived;
    await t.app.stop();
    const left = (await deliveriesOf(row)).find((r) => r.channel === 'WEBHOOK')!;
    expect(left).toMatchObject({ status: 'PENDING', attempts: 0 });
    held.release();

    const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-deliveries-'));
    const config = testConfig(dataDir, DELIVERY_ENV);
    const next = await buildApp(config, { database: t.db.database, logger: pino({ level: 'silent' }) });
    try {
      await vi.waitUntil(
        async () => (await deliveriesOf(row)).find((r) => r.channel === 'WEBHOOK')?.status === 'DELIVERED',
        WAIT,
      );
      const ids = consumer.to('/slow').map((r) => r.headers['switchboard-delivery-id']);
      expect(ids).toEqual([left.id, left.id]);
      const last = consumer.to('/slow').at(-1)!;
      expect(verifies(callbackSecret, last.body, last.headers['switchboard-signature'] as string)).toBe(true);
    } finally {
      await next.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
