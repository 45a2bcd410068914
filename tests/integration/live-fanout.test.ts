import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, rawSocket, sleep, startSecondInstance, until } from '../helpers/live.ts';
import { executionTopic, type ExecutionEvent } from '../../server/realtime/pubsub.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

const REDIS_URL = TEST_REDIS_URL;
const QUEUE_LIMIT = 4;
const EVENTS = `subscription ($filter: ToolExecutionEventFilter) {
  toolExecutionEvents(filter: $filter) { kind status executionId execution { id status tool { id } } }
}`;

let t: TestApp;
let org: TestOrganization;
let toolId: string;

beforeAll(async () => {
  t = await startTestApp({ REDIS_URL, SWITCHBOARD_SUBSCRIPTION_QUEUE_LIMIT: String(QUEUE_LIMIT) });
  org = await createOrganization(t.app.services.prisma, 'Fanout');
  const tool = await t.app.services.prisma.tool.create({
    data: {
      organizationId: org.id,
      name: 'noop',
      displayName: 'noop',
      type: 'ENDPOINT',
      // Inactive: the engine records a refusal (CREATED then FINISHED) without any network call.
      isActive: false,
      configuration: { url: 'https://api.example.com/noop', method: 'GET' },
      functionDefinition: { name: 'noop', parameters: { type: 'object', properties: {} } },
    },
  });
  toolId = tool.id;
});

afterAll(async () => {
  await disposeLive();
  await t?.close();
});

describe('several instances over Redis', () => {
  test('an execution on instance A reaches a subscriber on instance B, and only its organization', async (context) => {
    await requireRedis(context);
    const b = await startSecondInstance(t, { REDIS_URL });
    expect(b.app.services.pubsub.kind).toBe('redis');
    const stranger = await createOrganization(t.app.services.prisma, 'Stranger');
    const onB = connectWs(b.url, { apiKey: org.keys.VIEWER }).subscribe<{
      toolExecutionEvents: { kind: string; executionId: string };
    }>(EVENTS);
    const strangerSocket = connectWs(b.url, { apiKey: stranger.keys.VIEWER });
    const strangerOnB = strangerSocket.subscribe(EVENTS, { filter: { toolId } });
    const strangerOwn = strangerSocket.subscribe<{ toolExecutionEvents: { executionId: string } }>(EVENTS);
    const strangerTool = await t.app.services.prisma.tool.create({
      data: {
        organizationId: stranger.id,
        name: 'noop',
        displayName: 'noop',
        type: 'ENDPOINT',
        isActive: false,
        configuration: { url: 'https://api.example.com/noop', method: 'GET' },
        functionDefinition: { name: 'noop', parameters: { type: 'object', properties: {} } },
      },
    });
    await sleep(300);
    const run = await t.gql<{ testTool: { id: string } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { id } } }`,
      { input: { toolId, parameters: {} } },
      { apiKey: org.keys.MEMBER },
    );
    const id = run.data!.testTool.id;
    await onB.waitFor(2);
    expect(
      onB.results.map((result) => [
        result.data!.toolExecutionEvents.kind,
        result.data!.toolExecutionEvents.executionId,
      ]),
    ).toEqual([
      ['CREATED', id],
      ['FINISHED', id],
    ]);
    // The sentinel: the stranger's own execution on A, run after ours, reaching the stranger's socket on B.
    const own = await t.gql<{ testTool: { id: string } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { id } } }`,
      { input: { toolId: strangerTool.id, parameters: {} } },
      { apiKey: stranger.keys.MEMBER },
    );
    await strangerOwn.waitFor(2);
    expect(strangerOwn.results.map((result) => result.data!.toolExecutionEvents.executionId)).toEqual([
      own.data!.testTool.id,
      own.data!.testTool.id,
    ]);
    expect(strangerOnB.results).toEqual([]);
  });
});

describe('slow consumers', () => {
  test('a subscriber that stops reading is closed with 4429 while another keeps receiving everything', async () => {
    // Big rows make the socket's buffers fill after a few dozen events.
    const blob = 'x'.repeat(256 * 1024);
    const row = await t.app.services.prisma.toolExecution.create({
      data: {
        organizationId: org.id,
        toolId,
        toolName: 'noop',
        toolVersion: 1,
        inputParameters: { blob },
        status: 'SUCCESS',
        triggerContext: 'test',
      },
    });
    const fast = connectWs(t.url, { apiKey: org.keys.VIEWER }).subscribe<{
      toolExecutionEvents: { executionId: string };
    }>(`subscription { toolExecutionEvents { executionId } }`);
    const slow = await rawSocket(t.url, { apiKey: org.keys.VIEWER });
    expect(await slow.acked).toBe(true);
    slow.socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: `subscription { toolExecutionEvents { execution { inputParameters } } }` },
      }),
    );
    await sleep(300);
    slow.socket.pause();

    const disconnects = t.app.services.metrics.prometheus.slowConsumerDisconnects;
    const dropped = async () => ((await disconnects.get()).values[0]?.value ?? 0) > 0;
    const event: ExecutionEvent = {
      kind: 'running',
      organizationId: org.id,
      executionId: row.id,
      toolId,
      assistantId: null,
      callId: null,
      status: 'RUNNING',
      at: new Date().toISOString(),
    };
    let published = 0;
    const MAX_EVENTS = 2_000;
    while (!(await dropped()) && published < MAX_EVENTS) {
      t.app.services.pubsub.publish(executionTopic(org.id), event);
      published += 1;
      // Paced to the fast subscriber, so only the stalled one falls behind.
      await until(() => fast.results.length >= published, 10_000, 'the fast subscriber');
    }
    expect(await dropped()).toBe(true);
    expect(published).toBeGreaterThan(QUEUE_LIMIT);
    // Publishing goes on undisturbed for everyone else.
    for (let i = 0; i < 20; i += 1) {
      t.app.services.pubsub.publish(executionTopic(org.id), event);
      await fast.waitFor(published + i + 1);
    }
    expect(fast.ended).toBe(false);

    slow.socket.resume();
    const closed = await slow.closed;
    expect(closed).toEqual({ code: 4429, reason: 'subscriber too slow' });
  }, 60_000);
});

describe('tool health across instances', () => {
  test('a change judged by two instances is announced once, with the previous health they agree on', async (context) => {
    await requireRedis(context);
    const fast = { REDIS_URL, SWITCHBOARD_HEALTH_CHECK_INTERVAL_MS: '50' };
    const a = await startSecondInstance(t, fast);
    const b = await startSecondInstance(t, fast);
    const prisma = t.app.services.prisma;
    const tool = await prisma.tool.create({
      data: {
        organizationId: org.id,
        name: 'flaky_shared',
        displayName: 'flaky',
        type: 'ENDPOINT',
        configuration: { url: 'https://api.example.com/flaky', method: 'GET' },
        functionDefinition: { name: 'flaky_shared', parameters: { type: 'object', properties: {} } },
      },
    });
    const changes = connectWs(t.url, { apiKey: org.keys.VIEWER }).subscribe<{
      toolHealthChanged: { toolId: string; health: string; previous: string };
    }>('subscription { toolHealthChanged { toolId health previous } }');
    await sleep(300);

    const record = async (statuses: Array<'SUCCESS' | 'ERROR'>) => {
      const now = Date.now();
      await prisma.toolExecution.createMany({
        data: statuses.map((status, i) => ({
          organizationId: org.id,
          toolId: tool.id,
          toolName: 'flaky_shared',
          toolVersion: 1,
          inputParameters: {},
          status,
          errorCode: status === 'ERROR' ? 'UPSTREAM_ERROR' : null,
          durationMs: 50,
          startedAt: new Date(now - i),
          triggerContext: 'call',
        })),
      });
      // Both instances ran some of them: each re-judges the tool.
      for (const instance of [a, b]) {
        instance.app.services.pubsub.publish(executionTopic(org.id), {
          kind: 'finished',
          organizationId: org.id,
          executionId: '00000000-0000-0000-0000-000000000000',
          toolId: tool.id,
          assistantId: null,
          callId: null,
          status: statuses[0]!,
          at: new Date().toISOString(),
        });
      }
    };

    await record(Array.from({ length: 10 }, () => 'ERROR' as const));
    await changes.waitFor(1);
    await sleep(500);
    await record(Array.from({ length: 400 }, () => 'SUCCESS' as const));
    await changes.waitFor(2);
    // The sentinel: a third change. A repeated announcement of either would have come before it.
    await prisma.toolExecution.deleteMany({ where: { toolId: tool.id } });
    await record(Array.from({ length: 10 }, () => 'ERROR' as const));
    await changes.waitFor(3);
    expect(changes.results.map((result) => result.data!.toolHealthChanged)).toEqual([
      { toolId: tool.id, health: 'FAILING', previous: 'OK' },
      { toolId: tool.id, health: 'OK', previous: 'FAILING' },
      { toolId: tool.id, health: 'FAILING', previous: 'OK' },
    ]);
  });
});
