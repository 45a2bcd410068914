/**
 * Redis is an accelerator, never a dependency of staying up: with its Redis
 * SIGKILLed (or never there), an instance keeps running tools, delivers live
 * events locally, reports degraded health, and rejoins Redis when it returns.
 * Each test owns its redis-server (the shared one must stay up for other files).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, startSecondInstance, until, type LiveSubscription } from '../helpers/live.ts';
import { ownRedis, type OwnRedis } from '../helpers/redis-server.ts';

const EXECUTE_TOOL = `mutation ($input: ExecuteToolInput!) {
  executeTool(input: $input) { __typename ... on ToolExecution { id status } ... on Error { message } }
}`;
const EVENTS = `subscription { toolExecutionEvents { kind executionId } }`;

interface Health {
  status: string;
  redis?: string;
}

const cleanups: Array<() => Promise<unknown>> = [];
let upstream: Upstream;

beforeAll(async () => {
  upstream = await startUpstream();
});

afterAll(async () => {
  await disposeLive();
  while (cleanups.length) await cleanups.pop()?.();
  await upstream?.close();
});

async function health(url: string): Promise<{ status: number; body: Health }> {
  const response = await fetch(`${url}/health`);
  return { status: response.status, body: (await response.json()) as Health };
}

async function startWired(redis: OwnRedis): Promise<{ t: TestApp; org: TestOrganization; assistantId: string }> {
  const t = await startTestApp({
    REDIS_URL: redis.url,
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}`,
  });
  cleanups.push(() => t.close());
  const prisma = t.app.services.prisma;
  const org = await createOrganization(prisma, 'Outage');
  const tool = await prisma.tool.create({
    data: {
      organizationId: org.id,
      name: 'lookup_order',
      displayName: 'lookup_order',
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}/echo`, method: 'POST' },
      functionDefinition: { name: 'lookup_order', parameters: { type: 'object', properties: {} } },
    },
  });
  const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'Desk' } });
  await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
  return { t, org, assistantId: assistant.id };
}

async function execute(
  t: TestApp,
  org: TestOrganization,
  assistantId: string,
): Promise<{ id: string; status: string }> {
  const response = await t.gql<{ executeTool: { __typename: string; id: string; status: string } }>(
    EXECUTE_TOOL,
    { input: { assistantId, toolName: 'lookup_order', parameters: {} } },
    { apiKey: org.keys.MEMBER },
  );
  expect(response.errors).toBeUndefined();
  expect(response.data!.executeTool.__typename).toBe('ToolExecution');
  return response.data!.executeTool;
}

type Events = { toolExecutionEvents: { kind: string; executionId: string } };

/**
 * Subscribes on `subscriberUrl` and proves delivery: an execution run after the
 * subscription is in place must arrive there, through to FINISHED. Until the
 * subscription is in place an execution may pass unseen, so each attempt runs a new one.
 */
async function expectEventsReach(
  subscriber: string | LiveSubscription<Events>,
  org: TestOrganization,
  run: () => Promise<{ id: string }>,
) {
  const live =
    typeof subscriber === 'string'
      ? connectWs(subscriber, { apiKey: org.keys.VIEWER }).subscribe<Events>(EVENTS)
      : subscriber;
  const finished = (id: string) =>
    live.results.some(
      (result) =>
        result.data?.toolExecutionEvents.executionId === id && result.data.toolExecutionEvents.kind === 'FINISHED',
    );
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { id } = await run();
    try {
      await until(() => finished(id), 1_000, 'the FINISHED event');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
  if (typeof subscriber === 'string') live.close();
}

async function waitForHealth(url: string, status: string): Promise<Health> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { body } = await health(url);
    if (body.status === status) return body;
    if (Date.now() > deadline) throw new Error(`health stayed ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('losing Redis', () => {
  test('a running instance keeps executing tools, reports degraded, delivers locally, and recovers', async () => {
    const redis = await ownRedis();
    cleanups.push(() => redis.stop());
    const { t, org, assistantId } = await startWired(redis);
    const b = await startSecondInstance(t, { REDIS_URL: redis.url });
    expect(await health(t.url)).toEqual({ status: 200, body: { status: 'ok', redis: 'up' } });
    await expectEventsReach(b.url, org, () => execute(t, org, assistantId));

    // Held open through the outage: its Redis subscription must be renewed when Redis returns.
    const held = connectWs(b.url, { apiKey: org.keys.VIEWER }).subscribe<Events>(EVENTS);
    await expectEventsReach(held, org, () => execute(t, org, assistantId));

    await redis.kill();
    const downSince = Date.now();
    const during = await Promise.all(Array.from({ length: 20 }, () => execute(t, org, assistantId)));
    expect(during.map((execution) => execution.status)).toEqual(Array(20).fill('SUCCESS'));
    expect(await waitForHealth(t.url, 'degraded')).toEqual({ status: 'degraded', redis: 'down' });
    // Degraded, not dead: a load balancer keeps sending traffic to an instance that serves it.
    expect((await health(t.url)).status).toBe(200);
    // Live events still reach subscribers of the instance the execution ran on.
    await expectEventsReach(t.url, org, () => execute(t, org, assistantId));
    // Still serving well after the outage began (the old code exited half a second in).
    while (Date.now() - downSince < 1_500) expect((await execute(t, org, assistantId)).status).toBe('SUCCESS');

    await redis.start();
    expect(await waitForHealth(t.url, 'ok')).toEqual({ status: 'ok', redis: 'up' });
    // Events cross instances again, to new subscriptions and to the one held through the outage.
    await expectEventsReach(b.url, org, () => execute(t, org, assistantId));
    await expectEventsReach(held, org, () => execute(t, org, assistantId));
  });

  test('an instance started while Redis is down runs tools, reports degraded, and joins Redis when it comes up', async () => {
    const redis = await ownRedis({ running: false });
    cleanups.push(() => redis.stop());
    const { t, org, assistantId } = await startWired(redis);
    expect((await execute(t, org, assistantId)).status).toBe('SUCCESS');
    expect(await health(t.url)).toEqual({ status: 200, body: { status: 'degraded', redis: 'down' } });
    await expectEventsReach(t.url, org, () => execute(t, org, assistantId));

    await redis.start();
    const b = await startSecondInstance(t, { REDIS_URL: redis.url });
    expect(await waitForHealth(t.url, 'ok')).toEqual({ status: 'ok', redis: 'up' });
    await expectEventsReach(b.url, org, () => execute(t, org, assistantId));
  });
});
