/**
 * Async tools on PostgreSQL with graphile-worker: the adapter answers at once
 * with the acknowledgement while the row and its job were written together;
 * the worker runs it with the tool's retries under one Idempotency-Key (the
 * execution id); hangup cancels a queued job unless the tool continues after
 * hangup; an approved async tool is enqueued, not run inline.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startIdempotentReceiver, type IdempotentReceiver } from '../helpers/idempotent-receiver.ts';
import { callId, createToolVia, serverSecret } from '../helpers/integrations.ts';

let t: TestApp;
let receiver: IdempotentReceiver;
let org: TestOrganization;
let assistantId: string;
let secret: string;
const settled: ToolExecution[] = [];

const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`;
const DEADLINE_MS = 20_000;

function asyncTool(name: string, extra: Record<string, unknown> = {}) {
  const { configuration, ...rest } = extra;
  return {
    name,
    type: 'ENDPOINT',
    timeoutSeconds: 30,
    configuration: {
      url: `${receiver.url}/${name}`,
      method: 'POST',
      execution_mode: 'async',
      ...(configuration as object),
    },
    functionDefinition: { name, parameters: { type: 'object', properties: { n: { type: 'string' } } } },
    ...rest,
  };
}

// PostgreSQL is required (graphile-worker): startTestApp fails without it rather than skipping.
beforeAll(async () => {
  receiver = await startIdempotentReceiver();
  // One worker: a held job keeps the next one queued, which the hangup test needs.
  t = await startTestApp(
    { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', SWITCHBOARD_ASYNC_CONCURRENCY: '1' },
    { engine: 'postgresql', onAsyncSettled: async (row) => void settled.push(row) },
  );
  org = await createOrganization(t.app.services.prisma, 'Async');
  const created = await t.gql<{ createAssistant: { id: string } }>(
    CREATE_ASSISTANT,
    { input: { name: 'Bookings' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const tools = [
    asyncTool('book', { messages: { requestStart: 'Booking that for you now.' } }),
    asyncTool('flaky', { retryAttempts: 2 }),
    asyncTool('blocker'),
    asyncTool('lookup'),
    asyncTool('ticket', { configuration: { continue_after_hangup: true } }),
    asyncTool('refund', { requireConfirmation: true }),
    asyncTool('slow'),
  ];
  for (const input of tools) {
    const toolId = await createToolVia(t, org.keys.MEMBER, input);
    const assigned = await t.gql<{ assignTool: { __typename: string } }>(
      ASSIGN,
      { input: { assistantId, toolId } },
      { apiKey: org.keys.ADMIN },
    );
    expect(assigned.data?.assignTool.__typename).toBe('ToolAssignment');
  }
  secret = await serverSecret(t, org, assistantId);
}, 60_000);

afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

function vapiToolCall(callSid: string, name: string) {
  return {
    message: {
      type: 'tool-calls',
      toolCallList: [{ id: callId(name), type: 'function', function: { name, arguments: { n: name } } }],
      call: { id: callSid, type: 'inboundPhoneCall' },
    },
  };
}

async function postVapi(body: unknown): Promise<Array<Record<string, string>>> {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: Array<Record<string, string>> }).results;
}

function executionsOf(callSid: string) {
  return t.app.services.prisma.toolExecution.findMany({
    where: { organizationId: org.id, call: { callSid } },
    orderBy: { startedAt: 'asc' },
  });
}

/** Polls the row until `done` holds (the worker writes it), failing after the deadline. */
async function rowWhen(id: string, done: (row: ToolExecution) => boolean): Promise<ToolExecution> {
  const until = Date.now() + DEADLINE_MS;
  for (;;) {
    const row = await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id } });
    if (done(row)) return row;
    if (Date.now() > until) throw new Error(`execution ${id} stayed ${row.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function jobsFor(id: string): Promise<Array<{ key: string; max_attempts: number; task_identifier: string }>> {
  return t.app.services.sql.query(
    `SELECT "key", "max_attempts", "task_identifier" FROM "graphile_worker"."jobs" WHERE "key" = $1`,
    [id],
  );
}

describe('async tools on graphile-worker', () => {
  test('the adapter answers at once with the acknowledgement; the row and its job exist together; the worker finishes it', async () => {
    receiver.plan('/book', ['hold']);
    const callSid = callId('book');
    const toolCall = vapiToolCall(callSid, 'book');
    const [result] = await postVapi(toolCall);
    const answer = JSON.parse(result!.result!) as { success: boolean; message: string; data: Record<string, string> };
    expect(answer.success).toBe(true);
    expect(answer.message).toMatch(/^Booking that for you now\./);
    expect(answer.message).toMatch(/do not call it again/);
    expect(answer.data.status).toBe('queued');

    // The upstream is still holding the request: the answer above did not wait for it.
    const [request] = await receiver.arrived('/book');
    const [row] = await executionsOf(callSid);
    expect(answer.data.executionId).toBe(row!.id);
    expect(row!.queuedAt).not.toBeNull();
    expect(await jobsFor(row!.id)).toEqual([
      expect.objectContaining({ key: row!.id, task_identifier: 'execute_tool', max_attempts: 3 }),
    ]);
    expect(request!.key).toBe(row!.id);
    expect(row!.status).toBe('RUNNING');
    // The platform repeating the same tool call meanwhile is acknowledged at once with the same execution.
    const [repeat] = await postVapi(toolCall);
    expect(JSON.parse(repeat!.result!)).toMatchObject({ success: true, data: { executionId: row!.id } });

    receiver.release('/book');
    const done = await rowWhen(row!.id, (current) => current.status !== 'RUNNING');
    expect(done).toMatchObject({ status: 'SUCCESS', instanceId: t.app.services.engine.instanceId });
    expect(done.startedAt.getTime()).toBeGreaterThanOrEqual(done.queuedAt!.getTime());
    await expect.poll(() => settled.filter((s) => s.id === row!.id).map((s) => s.status)).toEqual(['SUCCESS']);
    await expect.poll(() => jobsFor(row!.id)).toEqual([]);
  });

  test('GraphQL executeTool returns the QUEUED execution', async () => {
    const response = await t.gql<{ executeTool: { status: string; queuedAt: string | null; id: string } }>(
      `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { id status queuedAt } } }`,
      { input: { assistantId, toolName: 'lookup', parameters: { n: 'x' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(response.data?.executeTool).toMatchObject({ status: 'QUEUED' });
    expect(response.data?.executeTool.queuedAt).not.toBeNull();
    const done = await rowWhen(response.data!.executeTool.id, (row) => row.status === 'SUCCESS');
    expect(receiver.requests('/lookup').map((r) => r.key)).toContain(done.id);
  });

  test("failed attempts are retried with the tool's retries under the same Idempotency-Key", async () => {
    receiver.plan('/flaky', [503, 503, 200]);
    const callSid = callId('flaky');
    await postVapi(vapiToolCall(callSid, 'flaky'));
    const [row] = await executionsOf(callSid);
    const done = await rowWhen(row!.id, (current) => current.status !== 'QUEUED' && current.status !== 'RUNNING');
    expect(done).toMatchObject({ status: 'SUCCESS', retryCount: 2 });
    const keys = receiver.requests('/flaky').map((request) => request.key);
    expect(keys).toEqual([row!.id, row!.id, row!.id]);
    expect(receiver.completions(row!.id)).toBe(1);
  });

  test('hangup cancels a queued job (it never runs) and keeps one that continues after hangup', async () => {
    // The only worker is busy with the blocker, so the next two stay QUEUED.
    receiver.plan('/blocker', ['hold']);
    const blockerCall = callId('blocker');
    await postVapi(vapiToolCall(blockerCall, 'blocker'));
    await receiver.arrived('/blocker');

    const callSid = callId('hangup');
    await postVapi(vapiToolCall(callSid, 'lookup'));
    await postVapi(vapiToolCall(callSid, 'ticket'));
    const queued = await executionsOf(callSid);
    expect(queued.map((row) => row.status)).toEqual(['QUEUED', 'QUEUED']);
    const before = receiver.requests('/lookup').length;

    const ended = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    expect(ended.status).toBe(200);
    const [lookup, ticket] = await executionsOf(callSid);
    expect(lookup).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
    expect(ticket!.status).toBe('QUEUED');
    expect(settled.find((row) => row.id === lookup!.id)).toMatchObject({ status: 'CANCELLED' });

    // Jobs run in order: once the ticket (enqueued after the lookup) is done, the lookup's job was seen too.
    receiver.release('/blocker');
    const finished = await rowWhen(ticket!.id, (row) => row.status === 'SUCCESS');
    expect(receiver.requests('/ticket').map((r) => r.key)).toEqual([finished.id]);
    await expect.poll(() => jobsFor(lookup!.id)).toEqual([]);
    expect(receiver.requests('/lookup')).toHaveLength(before);
    expect(await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id: lookup!.id } })).toMatchObject({
      status: 'CANCELLED',
      errorCode: 'CALL_ENDED',
    });
  });

  test('approving an async tool enqueues it instead of running it inline', async () => {
    receiver.plan('/refund', ['hold']);
    const callSid = callId('refund');
    await postVapi(vapiToolCall(callSid, 'refund'));
    const [pending] = await executionsOf(callSid);
    expect(pending!.status).toBe('PENDING_APPROVAL');

    const approved = await t.gql<{ approveExecution: { status: string } }>(
      `mutation ($input: ExecutionIdInput!) { approveExecution(input: $input) { __typename ... on ToolExecution { status } } }`,
      { input: { id: pending!.id } },
      { apiKey: org.keys.ADMIN },
    );
    expect(approved.data?.approveExecution.status).toBe('QUEUED');
    await receiver.arrived('/refund');
    receiver.release('/refund');
    // Run inline, the approval would have waited for the held upstream; it answered QUEUED before.
    const done = await rowWhen(pending!.id, (row) => row.status === 'SUCCESS');
    expect(receiver.requests('/refund').map((r) => r.key)).toEqual([done.id]);
  });

  test('hangup aborts a running async execution like a sync one; its job then completes without running it again', async () => {
    receiver.plan('/slow', ['hold']);
    const callSid = callId('slow');
    await postVapi(vapiToolCall(callSid, 'slow'));
    await receiver.arrived('/slow');
    const ended = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/end`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    expect(ended.status).toBe(200);
    const [row] = await executionsOf(callSid);
    const done = await rowWhen(row!.id, (current) => current.status !== 'RUNNING');
    expect(done).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
    await expect.poll(() => jobsFor(row!.id)).toEqual([]);
    expect(receiver.requests('/slow')).toHaveLength(1);
    expect(settled.filter((s) => s.id === row!.id).map((s) => s.status)).toEqual(['CANCELLED']);
  });

  test("the sweeps leave a dead instance's async executions to their jobs, and mark its sync ones interrupted", async () => {
    const { prisma, engine } = t.app.services;
    const dead = await prisma.instance.create({
      data: { id: randomUUID(), hostname: 'gone', pid: 1, stoppedAt: new Date() },
    });
    const base = {
      organizationId: org.id,
      toolName: 'lookup',
      toolVersion: 1,
      inputParameters: {},
      status: 'RUNNING' as const,
      triggerContext: 'test',
      instanceId: dead.id,
    };
    const asyncRow = await prisma.toolExecution.create({ data: { ...base, queuedAt: new Date() } });
    const syncRow = await prisma.toolExecution.create({ data: base });
    await engine.sweep();
    expect(await prisma.toolExecution.findUniqueOrThrow({ where: { id: syncRow.id } })).toMatchObject({
      status: 'ERROR',
      errorCode: 'INTERRUPTED',
    });
    expect((await prisma.toolExecution.findUniqueOrThrow({ where: { id: asyncRow.id } })).status).toBe('RUNNING');
  });
});
