/**
 * A call's live channel for agents that hold a connection: the `callEvents`
 * subscription over graphql-ws and `GET /v1/calls/:callId/events` (SSE) carry
 * that call's execution events and its end, then complete; nothing of another
 * call or organization reaches them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SlowConsumerError } from '../../server/realtime/bounded-stream.ts';
import { openCallEvents } from '../../server/realtime/call-events.ts';
import { executionTopic } from '../../server/realtime/pubsub.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { callId, serverSecret, startUpstream, wireAssistant, type Upstream } from '../helpers/integrations.ts';
import {
  connectWs,
  disposeLive,
  gaugeReaches as reaches,
  openSubscriptions,
  sseFrames,
  until,
} from '../helpers/live.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
const assistants = new Map<TestOrganization, { id: string; secret: string }>();

const REAUTH_MS = 100;
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { ... on CreateApiKeyPayload { key apiKey { id } } }
}`;
const REVOKE_KEY = `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { ... on ApiKey { revokedAt } } }`;
const START = `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename ... on Call { id } } }`;
const EVENTS = `subscription ($callId: ID!) { callEvents(callId: $callId) {
  kind at callId executionId status endedAt reason execution { id status toolName call { externalId } }
} }`;

interface CallEventData {
  callEvents: {
    kind: string;
    callId: string;
    executionId: string | null;
    status: string | null;
    endedAt: string | null;
    reason: string | null;
    execution: { id: string; status: string; toolName: string; call: { externalId: string } } | null;
  };
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    SWITCHBOARD_LIVE_REAUTH_INTERVAL_MS: String(REAUTH_MS),
  });
  org = await createOrganization(t.app.services.prisma, 'Calls live');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  for (const organization of [org, other]) {
    const { assistantId } = await wireAssistant(t, organization, upstream.url);
    assistants.set(organization, { id: assistantId, secret: await serverSecret(t, organization, assistantId) });
  }
});
afterAll(async () => {
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

async function startCall(organization: TestOrganization, externalId: string): Promise<string> {
  const response = await t.gql<{ startCall: { __typename: string; id: string } }>(
    START,
    { input: { externalId, assistantId: assistants.get(organization)!.id } },
    { apiKey: organization.keys.MEMBER },
  );
  expect(response.data?.startCall.__typename).toBe('Call');
  return response.data!.startCall.id;
}

/** A Vapi tool call of lookup_order in `callSid`; answers once the execution has finished. */
async function toolCall(organization: TestOrganization, callSid: string, orderId: string): Promise<void> {
  const assistant = assistants.get(organization)!;
  const response = await fetch(`${t.url}/v1/vapi/${assistant.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${assistant.secret}` },
    body: JSON.stringify({
      message: {
        type: 'tool-calls',
        toolCallList: [
          { id: callId('tc'), type: 'function', function: { name: 'lookup_order', arguments: { order_id: orderId } } },
        ],
        call: { id: callSid },
      },
    }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { results: Array<{ result?: string; error?: string }> };
  expect(body.results[0]!.result).toContain(orderId);
}

async function endViaApi(callSid: string, key: string, reason: string): Promise<number> {
  const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/end`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ reason }),
  });
  await response.body?.cancel();
  return response.status;
}

const openCallEventSubscriptions = (): Promise<number> => openSubscriptions(t.app, 'callEvents');
const gaugeReaches = (check: (open: number) => boolean): Promise<void> => reaches(t.app, 'callEvents', check);

interface SseFrame {
  event: string;
  data: Record<string, unknown>;
}

/** A plain fetch reading the stream: the frames, and whether the server closed it. */
function readSse(response: Response): { frames: SseFrame[]; comments: string[]; closed: Promise<void> } {
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  const closed = (async () => {
    for await (const frame of sseFrames(response.body!)) {
      comments.push(...frame.comments);
      if (frame.event) frames.push({ event: frame.event, data: JSON.parse(frame.data) as Record<string, unknown> });
    }
  })();
  return { frames, comments, closed };
}

describe('callEvents over graphql-ws', () => {
  test("a tool call's events and the end arrive, then the subscription completes; nothing of another call or organization", async () => {
    const externalId = callId('livekit');
    const neighbour = callId('neighbour');
    const id = await startCall(org, externalId);
    await startCall(org, neighbour);
    // The same platform call id in another organization is another call.
    await startCall(other, externalId);

    const before = await openCallEventSubscriptions();
    const ws = connectWs(t.url, { apiKey: org.keys.VIEWER });
    const sub = ws.subscribe<CallEventData>(EVENTS, { callId: externalId });
    // Positive sentinel for "attached": the open-subscription gauge counts it once its listeners are on.
    await gaugeReaches((open) => open > before);

    await toolCall(org, neighbour, 'N-1');
    await toolCall(other, externalId, 'O-1');
    await toolCall(org, externalId, 'A-1');
    expect(await endViaApi(externalId, org.keys.MEMBER, 'agent hung up')).toBe(200);
    // The end is the positive sentinel: the other calls' events were published before it.
    await until(() => sub.ended, 5_000, 'the subscription to complete');

    expect(sub.error).toBeUndefined();
    const events = sub.results.map((result) => {
      expect(result.errors).toBeUndefined();
      return result.data!.callEvents;
    });
    expect(events.map((event) => [event.kind, event.status])).toEqual([
      ['CREATED', 'RUNNING'],
      ['RUNNING', 'RUNNING'],
      ['FINISHED', 'SUCCESS'],
      ['CALL_ENDED', null],
    ]);
    expect(events.every((event) => event.callId === id)).toBe(true);
    expect(events[2]!.execution).toMatchObject({
      status: 'SUCCESS',
      toolName: 'lookup_order',
      call: { externalId },
    });
    expect(events[3]).toMatchObject({ reason: 'agent hung up', executionId: null, execution: null });
    const row = await t.app.services.prisma.call.findUniqueOrThrow({ where: { id } });
    expect(new Date(events[3]!.endedAt!).getTime()).toBe(row.endedAt!.getTime());
    await gaugeReaches((open) => open === before);
  });

  test("an ended call delivers its end at once; another organization's call id is NOT_FOUND", async () => {
    const externalId = callId('ended');
    await startCall(org, externalId);
    expect(await endViaApi(externalId, org.keys.MEMBER, 'done')).toBe(200);
    const ws = connectWs(t.url, { apiKey: org.keys.VIEWER });
    const ended = ws.subscribe<CallEventData>(EVENTS, { callId: externalId });
    await until(() => ended.ended, 5_000, 'the subscription to complete');
    expect(ended.results.map((result) => result.data?.callEvents.kind)).toEqual(['CALL_ENDED']);

    const foreign = connectWs(t.url, { apiKey: other.keys.OWNER }).subscribe<CallEventData>(EVENTS, {
      callId: externalId,
    });
    await until(() => foreign.ended, 5_000, 'the foreign subscription to end');
    const errors = (foreign.error ?? foreign.results[0]?.errors) as Array<{ extensions?: { code?: string } }>;
    expect(errors[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('GET /v1/calls/:callId/events (SSE)', () => {
  test('the same events as JSON with event names; the stream closes after POST /v1/calls/:callId/end', async () => {
    const externalId = callId('pipecat');
    const neighbour = callId('neighbour');
    const id = await startCall(org, externalId);
    await startCall(org, neighbour);
    await startCall(other, externalId);

    const controller = new AbortController();
    const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(externalId)}/events`, {
      headers: { authorization: `Bearer ${org.keys.VIEWER}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = readSse(response);

    await toolCall(org, neighbour, 'N-2');
    await toolCall(other, externalId, 'O-2');
    await toolCall(org, externalId, 'A-2');
    expect(await endViaApi(externalId, org.keys.MEMBER, 'caller left')).toBe(200);
    // The server closing the stream is the sentinel: everything published before the end has been written.
    await stream.closed;

    expect(stream.comments).toContain(': connected');
    expect(stream.frames.map((frame) => [frame.event, frame.data.status ?? null])).toEqual([
      ['created', 'RUNNING'],
      ['running', 'RUNNING'],
      ['finished', 'SUCCESS'],
      ['call_ended', null],
    ]);
    expect(stream.frames.every((frame) => frame.data.callId === id)).toBe(true);
    expect(stream.frames[2]!.data.execution).toMatchObject({
      status: 'SUCCESS',
      toolName: 'lookup_order',
      outputResult: expect.objectContaining({ success: true }),
    });
    expect(stream.frames[3]!.data).toMatchObject({ kind: 'call_ended', reason: 'caller left' });
  });

  test("an unknown call, or another organization's, is a 404 JSON; no key is a 401", async () => {
    const externalId = callId('mine');
    await startCall(org, externalId);
    for (const [path, key] of [
      [callId('unknown'), org.keys.VIEWER],
      [externalId, other.keys.OWNER],
    ] as const) {
      const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(path)}/events`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
    const anonymous = await fetch(`${t.url}/v1/calls/${encodeURIComponent(externalId)}/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });

  test('a client that goes away releases its subscription', async () => {
    const externalId = callId('gone');
    await startCall(org, externalId);
    const before = await openCallEventSubscriptions();
    const controller = new AbortController();
    const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(externalId)}/events`, {
      headers: { authorization: `Bearer ${org.keys.VIEWER}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(await openCallEventSubscriptions()).toBe(before + 1);
    controller.abort();
    await gaugeReaches((open) => open === before);
  });

  test('revoking the API key ends the stream with a FORBIDDEN error event', async () => {
    const created = await t.gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(
      CREATE_KEY,
      { input: { name: 'call follower', role: 'VIEWER' } },
      { apiKey: org.keys.ADMIN },
    );
    const { key, apiKey } = created.data!.createApiKey;
    const externalId = callId('revoked');
    await startCall(org, externalId);
    const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(externalId)}/events`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    const stream = readSse(response);
    await toolCall(org, externalId, 'R-1');
    await until(() => stream.frames.length >= 3, 5_000, 'the tool call on the stream');
    const revoked = await t.gql(REVOKE_KEY, { input: { id: apiKey.id } }, { apiKey: org.keys.ADMIN });
    expect(revoked.errors).toBeUndefined();
    await stream.closed;
    expect(stream.frames.map((frame) => frame.event)).toEqual(['created', 'running', 'finished', 'error']);
    expect(stream.frames[3]!.data).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

describe('bounded', () => {
  test('a reader that falls more than the limit behind is cut, once', async () => {
    const externalId = callId('slow');
    const id = await startCall(org, externalId);
    const { prisma, pubsub } = t.app.services;
    let overflowed = 0;
    let ended = 0;
    const stream = openCallEvents(
      { prisma, pubsub },
      { id, organizationId: org.id },
      { limit: 2, onOverflow: () => (overflowed += 1), onEnd: () => (ended += 1) },
    );
    const event = (n: number) => ({
      kind: 'created' as const,
      organizationId: org.id,
      executionId: `00000000-0000-4000-8000-00000000000${n}`,
      toolId: null,
      assistantId: null,
      callId: id,
      status: 'RUNNING',
      at: new Date().toISOString(),
    });
    for (const n of [1, 2, 3]) pubsub.publish(executionTopic(org.id), event(n));
    expect(overflowed).toBe(1);
    expect(ended).toBe(1);
    await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    // The stream stays finished: a later event is not queued.
    pubsub.publish(executionTopic(org.id), event(4));
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
