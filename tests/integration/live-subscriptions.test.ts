import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, rawSocket, sleep, subscribeSse, until } from '../helpers/live.ts';
import { executionTopic, type ExecutionEvent } from '../../server/realtime/pubsub.ts';

const EVENTS = `subscription ($filter: ToolExecutionEventFilter) {
  toolExecutionEvents(filter: $filter) {
    kind status executionId
    execution { id status durationMs errorCode tool { id name } assistant { id } }
  }
}`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { id status } } }`;

interface EventData {
  toolExecutionEvents: {
    kind: string;
    status: string;
    executionId: string;
    execution: {
      id: string;
      status: string;
      durationMs: number | null;
      errorCode: string | null;
      tool: { id: string; name: string } | null;
    } | null;
  };
}

let upstream: Upstream;
let t: TestApp;
let acme: TestOrganization;
let other: TestOrganization;
let echoToolId: string;
let brokenToolId: string;
let otherToolId: string;

async function createTool(org: TestOrganization, name: string, path: string): Promise<string> {
  const tool = await t.app.services.prisma.tool.create({
    data: {
      organizationId: org.id,
      name,
      displayName: name,
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}${path}`, method: 'POST' },
      functionDefinition: { name, parameters: { type: 'object', properties: {} } },
    },
  });
  return tool.id;
}

async function runTool(org: TestOrganization, toolId: string): Promise<{ id: string; status: string }> {
  const response = await t.gql<{ testTool: { id: string; status: string } }>(
    TEST_TOOL,
    { input: { toolId, parameters: {} } },
    { apiKey: org.keys.MEMBER },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.testTool;
}

/** graphql-ws has no "subscribed" acknowledgement: give the server a moment to attach the listener. */
const ATTACH_MS = 150;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  acme = await createOrganization(t.app.services.prisma, 'Acme');
  other = await createOrganization(t.app.services.prisma, 'Other');
  echoToolId = await createTool(acme, 'lookup_order', '/echo');
  brokenToolId = await createTool(acme, 'broken', '/status/400');
  otherToolId = await createTool(other, 'other_lookup', '/echo');
});

afterAll(async () => {
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

describe('toolExecutionEvents over graphql-ws', () => {
  test('every state change of one execution arrives in order, with the execution read fresh', async () => {
    const ws = connectWs(t.url, { apiKey: acme.keys.VIEWER });
    const sub = ws.subscribe<EventData>(EVENTS, { filter: { toolId: echoToolId } });
    await sleep(ATTACH_MS);
    const run = await runTool(acme, echoToolId);
    // Sentinel: a later execution's first event. Anything more of the first run would have come before it.
    const sentinel = await runTool(acme, echoToolId);
    await until(() => sub.results.some((result) => result.data?.toolExecutionEvents.executionId === sentinel.id));
    const results = sub.results.filter((result) => result.data!.toolExecutionEvents.executionId === run.id);
    const events = results.map((result) => result.data!.toolExecutionEvents);
    expect(events.map((event) => [event.kind, event.status])).toEqual([
      ['CREATED', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
      ['FINISHED', 'SUCCESS'],
    ]);
    expect(sub.results.every((result) => result.errors === undefined)).toBe(true);
    expect(sub.results.slice(0, 3)).toEqual(results);
    const finished = events[2]!.execution!;
    expect(finished).toMatchObject({
      id: run.id,
      status: 'SUCCESS',
      errorCode: null,
      tool: { id: echoToolId, name: 'lookup_order' },
    });
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    sub.close();
  });

  test('filters narrow by tool and by status', async () => {
    const ws = connectWs(t.url, { apiKey: acme.keys.VIEWER });
    const failures = ws.subscribe<EventData>(EVENTS, { filter: { statuses: ['ERROR'] } });
    const echoOnly = ws.subscribe<EventData>(EVENTS, { filter: { toolId: echoToolId } });
    await sleep(ATTACH_MS);
    const broken = await runTool(acme, brokenToolId);
    const echo = await runTool(acme, echoToolId);
    // Sentinels run last: what each stream must not receive would have arrived before them.
    const echoSentinel = await runTool(acme, echoToolId);
    const brokenSentinel = await runTool(acme, brokenToolId);
    await echoOnly.waitFor(6);
    await failures.waitFor(2);
    expect(failures.results.map((result) => result.data!.toolExecutionEvents)).toEqual([
      expect.objectContaining({
        kind: 'FINISHED',
        status: 'ERROR',
        executionId: broken.id,
        execution: expect.objectContaining({ errorCode: expect.any(String) }),
      }),
      expect.objectContaining({ kind: 'FINISHED', status: 'ERROR', executionId: brokenSentinel.id }),
    ]);
    expect(echoOnly.results.map((result) => result.data!.toolExecutionEvents.executionId)).toEqual([
      echo.id,
      echo.id,
      echo.id,
      echoSentinel.id,
      echoSentinel.id,
      echoSentinel.id,
    ]);
  });

  test("another organization sees nothing of Acme's executions, even naming Acme's tool", async () => {
    const ws = connectWs(t.url, { apiKey: other.keys.OWNER });
    const spying = ws.subscribe<EventData>(EVENTS, { filter: { toolId: echoToolId } });
    const own = ws.subscribe<EventData>(EVENTS);
    await sleep(ATTACH_MS);
    await runTool(acme, echoToolId);
    await runTool(acme, brokenToolId);
    // The sentinel: the stranger's own execution, run after Acme's, reaching a stream on the same socket.
    const mine = await runTool(other, otherToolId);
    await own.waitFor(3);
    expect(spying.results).toEqual([]);
    expect(new Set(own.results.map((result) => result.data!.toolExecutionEvents.executionId))).toEqual(
      new Set([mine.id]),
    );
  });

  test('bad or missing credentials close the socket with 4403', async () => {
    for (const params of [{ apiKey: 'sb_live_not-a-real-key' }, {}, { authorization: 'Basic abc' }]) {
      const { closed, acked } = await rawSocket(t.url, params);
      expect(await acked).toBe(false);
      expect((await closed).code).toBe(4403);
    }
    const ws = connectWs(t.url, { apiKey: 'sb_live_revoked-or-wrong' });
    expect((await ws.closed).code).toBe(4403);
  });

  test('WebSocket upgrades are only accepted on /graphql', async () => {
    const url = `${t.url.replace(/^http/, 'ws')}/not-graphql`;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const status = await new Promise<number | string>((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => resolve('opened'));
      socket.once('error', (error) => resolve(error.message));
    });
    socket.terminate();
    expect(status).toBe(400);
  });

  test('a session cookie from our own origin authorizes the socket', async () => {
    const login = await t.gql(`mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`, {
      input: { email: acme.users.MEMBER.email, password: acme.users.MEMBER.password },
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const host = new URL(t.url).host;
    const ws = connectWs(t.url, {}, { cookie, origin: `http://${host}` });
    const sub = ws.subscribe<EventData>(EVENTS, { filter: { toolId: echoToolId } });
    await sleep(ATTACH_MS);
    await runTool(acme, echoToolId);
    await sub.waitFor(3);
    const foreign = connectWs(t.url, {}, { cookie, origin: 'https://evil.example' });
    expect((await foreign.closed).code).toBe(4403);
  });

  test('a burst published in one turn reaches every socket whole and in order', async () => {
    // A socket's messages of one event-loop turn go out in one write (graphql-ws-transport.ts).
    const BURST = 100;
    const subs = Array.from({ length: 3 }, () =>
      connectWs(t.url, { apiKey: acme.keys.VIEWER }).subscribe<{ toolExecutionEvents: { at: string } }>(
        `subscription { toolExecutionEvents { at } }`,
      ),
    );
    await sleep(ATTACH_MS);
    const base = Date.parse('2030-01-01T00:00:00.000Z');
    const published = Array.from({ length: BURST }, (_, index) => new Date(base + index).toISOString());
    for (const at of published) {
      const event: ExecutionEvent = {
        kind: 'running',
        organizationId: acme.id,
        executionId: '00000000-0000-4000-8000-000000000000',
        toolId: null,
        assistantId: null,
        callId: null,
        status: 'RUNNING',
        at,
      };
      t.app.services.pubsub.publish(executionTopic(acme.id), event);
    }
    for (const sub of subs) {
      await sub.waitFor(BURST);
      expect(sub.results.map((result) => result.data!.toolExecutionEvents.at)).toEqual(published);
    }
  });
});

describe('toolExecutionEvents over SSE', () => {
  test('the same ordered events reach an SSE subscriber', async () => {
    const sub = subscribeSse<EventData>(
      t.url,
      EVENTS,
      { filter: { toolId: echoToolId } },
      { authorization: `Bearer ${acme.keys.VIEWER}` },
    );
    expect(await sub.status).toBe(200);
    await sleep(ATTACH_MS);
    const run = await runTool(acme, echoToolId);
    await sub.waitFor(3);
    const events = sub.results.map((result) => result.data!.toolExecutionEvents);
    expect(events.map((event) => event.kind)).toEqual(['CREATED', 'RUNNING', 'FINISHED']);
    expect(events[2]!.execution).toMatchObject({ id: run.id, status: 'SUCCESS' });
    sub.close();
  });

  test('SSE without credentials gets UNAUTHENTICATED; another organization sees nothing', async () => {
    const anonymous = subscribeSse(t.url, EVENTS);
    await until(() => anonymous.results.length > 0 || anonymous.ended);
    expect(anonymous.results[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const spying = subscribeSse<EventData>(
      t.url,
      EVENTS,
      { filter: { toolId: echoToolId } },
      { authorization: `Bearer ${other.keys.VIEWER}` },
    );
    // The sentinel: the stranger's own execution, run after Acme's, on a second stream of theirs.
    const own = subscribeSse<EventData>(t.url, EVENTS, {}, { authorization: `Bearer ${other.keys.VIEWER}` });
    await sleep(ATTACH_MS);
    await runTool(acme, echoToolId);
    const mine = await runTool(other, otherToolId);
    await own.waitFor(3);
    expect(own.results.map((result) => result.data!.toolExecutionEvents.executionId)).toEqual([
      mine.id,
      mine.id,
      mine.id,
    ]);
    expect(spying.results).toEqual([]);
    spying.close();
    own.close();
  });
});
