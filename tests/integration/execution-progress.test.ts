/**
 * Progress from running tools: `context.progress()` in JavaScript and Python
 * code tools, and endpoint tools POSTing to the per-execution URL with the
 * token they were sent. Reports reach the call's live channel (graphql-ws
 * `callEvents`, the SSE route), the execution's logs and the `onProgress` hook;
 * a bad token is a 401, a finished execution a 409.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import type { JsonObject } from '../../server/executors/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, createToolRow, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, gaugeReaches as gaugeReachesOf, sseFrames, until } from '../helpers/live.ts';

let t: TestApp;
let org: TestOrganization;
let upstream: Server;
let upstreamUrl: string;
const hookCalls: Array<{ executionId: string; message: string; sequence: number }> = [];
/** What the upstream saw and got back when it posted progress during its held request. */
const upstreamSaw: Array<{ url: string; token: string; progressStatus: number; badTokenStatus: number }> = [];

const EVENTS = `subscription ($callId: ID!) { callEvents(callId: $callId) { kind executionId message sequence status } }`;

const MONITOR = `subscription ($filter: ToolExecutionEventFilter) {
  toolExecutionEvents(filter: $filter) { kind message sequence }
}`;

interface CallEventData {
  callEvents: { kind: string; executionId: string | null; message: string | null; sequence: number | null };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  // An upstream that reports progress while it holds the tool's request, then answers.
  upstream = createServer((req, res) => {
    void (async () => {
      await readBody(req);
      const url = String(req.headers['switchboard-progress-url'] ?? '');
      const token = String(req.headers['switchboard-progress-token'] ?? '');
      const post = (authorization: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ message: 'Checking the warehouse' }),
        });
      const progress = await post(`Bearer ${token}`);
      const bad = await post(`Bearer ${token.slice(0, -2)}xx`);
      upstreamSaw.push({ url, token, progressStatus: progress.status, badTokenStatus: bad.status });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: true, message: 'in stock', data: { stock: 3 } }));
    })();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  t = await startTestApp(
    { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', SWITCHBOARD_PYTHON_POOL_SIZE: '1' },
    {
      hooks: {
        onProgress: async (row, message, sequence) => {
          hookCalls.push({ executionId: row.id, message, sequence });
          // A failing hook is logged and never reaches the tool.
          if (message.includes('hook fails')) throw new Error('outbox down');
        },
      },
    },
  );
  org = await createOrganization(t.app.services.prisma, 'Progress');
}, 120_000);

afterAll(async () => {
  await disposeLive();
  await t?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function createTool(type: 'CODE' | 'ENDPOINT', configuration: JsonObject): Promise<string> {
  return (await createToolRow(t.app.services.prisma, org.id, type, configuration)).id;
}

async function run(toolId: string, callSid: string): Promise<ToolExecution> {
  return t.app.services.engine.run({
    organizationId: org.id,
    toolId,
    parameters: {},
    context: { triggerContext: 'call', callSid },
    actor: { userId: null, apiKeyId: null },
  });
}

const gaugeReaches = (check: (open: number) => boolean): Promise<void> => gaugeReachesOf(t.app, 'callEvents', check);

/** Creates the call and subscribes to its events over graphql-ws, attached once the open-subscription gauge counts it. */
async function subscribeToCall(callSid: string) {
  await t.app.services.prisma.call.create({ data: { organizationId: org.id, callSid } });
  await gaugeReaches((open) => open === 0);
  const sub = connectWs(t.url, { apiKey: org.keys.VIEWER }).subscribe<CallEventData>(EVENTS, { callId: callSid });
  await gaugeReaches((open) => open === 1);
  return sub;
}

function events(sub: { results: Array<{ data?: CallEventData | null }> }, executionId: string) {
  return sub.results.map((result) => result.data!.callEvents).filter((event) => event.executionId === executionId);
}

describe('context.progress in code tools', () => {
  test('JavaScript: reports reach callEvents in order before the finish, the logs and the hook', async () => {
    const callSid = `CA-js-${randomUUID()}`;
    const sub = await subscribeToCall(callSid);
    const toolId = await createTool('CODE', {
      code: `export default async function (parameters, context) {
        context.progress('Looking up\\nyour order');
        context.progress({ step: 2 });
        context.progress('x'.repeat(2000));
        context.progress('hook fails here');
        return { success: true, message: 'done', data: { keys: Object.keys(context).includes('progress') } };
      }`,
    });
    // The organization-wide monitor carries the same reports.
    const monitor = connectWs(t.url, { apiKey: org.keys.VIEWER }).subscribe<{
      toolExecutionEvents: { kind: string; message: string | null; sequence: number | null };
    }>(MONITOR, { filter: { toolId } });
    await gaugeReachesOf(t.app, 'toolExecutionEvents', (open) => open === 1);
    const row = await run(toolId, callSid);
    expect(row.status).toBe('SUCCESS');
    await until(() => monitor.results.some((result) => result.data?.toolExecutionEvents.kind === 'FINISHED'));
    expect(
      monitor.results
        .map((result) => result.data!.toolExecutionEvents)
        .filter((event) => event.kind === 'PROGRESS')
        .map((event) => [event.sequence, event.message?.slice(0, 10)]),
    ).toEqual([
      [1, 'Looking up'],
      [2, '{"step":2}'],
      [3, 'xxxxxxxxxx'],
      [4, 'hook fails'],
    ]);
    monitor.close();
    // progress is not an enumerable field of the context.
    expect(row.outputResult).toMatchObject({ data: { keys: false } });
    await until(() => events(sub, row.id).some((event) => event.kind === 'FINISHED'), 5_000, 'the finish');
    const seen = events(sub, row.id);
    const progress = seen.filter((event) => event.kind === 'PROGRESS');
    expect(progress.map((event) => [event.sequence, event.message?.slice(0, 20)])).toEqual([
      [1, 'Looking up your orde'],
      [2, '{"step":2}'],
      [3, 'xxxxxxxxxxxxxxxxxxxx'],
      [4, 'hook fails here'],
    ]);
    expect(progress[2]!.message!.length).toBeLessThanOrEqual(500);
    expect(seen.findIndex((event) => event.kind === 'FINISHED')).toBeGreaterThan(
      seen.findIndex((event) => event.sequence === 4),
    );
    const stored = await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored.logs).toEqual(expect.arrayContaining(['[progress 1] Looking up your order']));
    await until(() => hookCalls.filter((call) => call.executionId === row.id).length === 4, 5_000, 'the hook');
    expect(hookCalls.filter((call) => call.executionId === row.id).map((call) => call.sequence)).toEqual([1, 2, 3, 4]);
    sub.close();
  });

  test('JavaScript: a loop of reports is cut by the burst limit, counted in the logs, and never fails the tool', async () => {
    const callSid = `CA-loop-${randomUUID()}`;
    const toolId = await createTool('CODE', {
      code: `export default function (parameters, context) {
        for (let i = 0; i < 200; i++) context.progress('step ' + i);
        return 'ok';
      }`,
    });
    const row = await run(toolId, callSid);
    expect(row.status).toBe('SUCCESS');
    const logs = row.logs as string[];
    expect(logs.filter((line) => line.startsWith('[progress '))).toHaveLength(5);
    // The sandbox sends at most 64 of a job's reports; the engine keeps 5 of those at once.
    expect(logs.at(-1)).toMatch(/^\[progress\] 59 report\(s\) dropped/);
  });

  test('Python: reports (awaited or not) reach the SSE route and the logs', async () => {
    const callSid = `CA-py-${randomUUID()}`;
    await t.app.services.prisma.call.create({ data: { organizationId: org.id, callSid } });
    const controller = new AbortController();
    const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/events`, {
      headers: { authorization: `Bearer ${org.keys.VIEWER}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const frames: Array<{ event: string; data: Record<string, unknown> }> = [];
    let connected = false;
    const reading = (async () => {
      for await (const frame of sseFrames(response.body!)) {
        if (frame.comments.includes(': connected')) connected = true;
        if (frame.event) frames.push({ event: frame.event, data: JSON.parse(frame.data) as Record<string, unknown> });
      }
    })().catch(() => undefined);
    await until(() => connected, 5_000, 'the SSE stream to attach');
    const toolId = await createTool('CODE', {
      runtime: 'python',
      code: [
        'async def execute_tool(parameters, context):',
        "    await context.progress('Searching flights')",
        "    context.progress('Comparing fares')",
        "    return {'success': True, 'message': 'found', 'data': {'id': context['executionId']}}",
      ].join('\n'),
    });
    const row = await run(toolId, callSid);
    expect(row.status).toBe('SUCCESS');
    await until(() => frames.some((frame) => frame.event === 'finished' && frame.data.executionId === row.id));
    controller.abort();
    await reading;
    const progress = frames.filter((frame) => frame.event === 'progress' && frame.data.executionId === row.id);
    expect(progress.map((frame) => [frame.data.sequence, frame.data.message])).toEqual([
      [1, 'Searching flights'],
      [2, 'Comparing fares'],
    ]);
    expect(row.logs).toEqual(['[progress 1] Searching flights', '[progress 2] Comparing fares']);
  });
});

describe('POST /v1/executions/:executionId/progress', () => {
  test('an endpoint tool reports through the URL and token it was sent; they stay out of the record', async () => {
    const callSid = `CA-endpoint-${randomUUID()}`;
    const sub = await subscribeToCall(callSid);
    const toolId = await createTool('ENDPOINT', {
      url: `${upstreamUrl}/stock`,
      method: 'POST',
      body_template: { token_in_body: '${context.progress_token}', where: '${context.progress_url}' },
    });
    const row = await run(toolId, callSid);
    expect(row.status).toBe('SUCCESS');
    const saw = upstreamSaw.at(-1)!;
    expect(saw.url).toBe(`${t.url}/v1/executions/${row.id}/progress`);
    expect(saw.progressStatus).toBe(202);
    expect(saw.badTokenStatus).toBe(401);
    await until(() => events(sub, row.id).some((event) => event.kind === 'FINISHED'), 5_000, 'the finish');
    expect(events(sub, row.id).filter((event) => event.kind === 'PROGRESS')).toEqual([
      expect.objectContaining({ message: 'Checking the warehouse', sequence: 1 }),
    ]);
    const stored = await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id: row.id } });
    expect(JSON.stringify(stored)).not.toContain(saw.token);
    expect((stored.request as { headers: Record<string, string> }).headers['Switchboard-Progress-Token']).toBe(
      '[REDACTED]',
    );
    expect(stored.logs).toEqual(['[progress 1] Checking the warehouse']);
    await until(() => hookCalls.some((call) => call.executionId === row.id), 5_000, 'the hook');

    // Finished: the same token is refused with a conflict.
    const late = await fetch(saw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${saw.token}` },
      body: JSON.stringify({ message: 'too late' }),
    });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    sub.close();
  });

  test('a token of another execution, a missing token or a malformed id is a 401; an unknown but signed id a 404', async () => {
    const { tokens } = t.app.services;
    const one = randomUUID();
    const post = (id: string, authorization: string | null, body: unknown = { message: 'hi' }) =>
      fetch(`${t.url}/v1/executions/${id}/progress`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post(one, `Bearer ${tokens.mint(randomUUID(), 'progress')}`)).status).toBe(401);
    expect((await post(one, null)).status).toBe(401);
    expect((await post('not-a-uuid', `Bearer ${tokens.mint('not-a-uuid', 'progress')}`)).status).toBe(401);
    const unknown = await post(one, `Bearer ${tokens.mint(one, 'progress')}`);
    expect(unknown.status).toBe(404);
    // A progress token cannot settle a callback.
    const callback = await fetch(`${t.url}/v1/executions/${one}/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.mint(one, 'progress')}` },
      body: JSON.stringify({ status: 'success', result: 1 }),
    });
    expect(callback.status).toBe(401);
    expect((await post(one, `Bearer ${tokens.mint(one, 'progress')}`, { message: 42 })).status).toBe(400);
  });
});
