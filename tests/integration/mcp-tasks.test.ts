/** MCP tasks (2025-11-25) for async tools, exercised with the SDK's own client against a held upstream. */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addTool } from '../helpers/assistant-tools.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.ts';
import { startUpstream, wireAssistant, type Upstream, type WiredAssistant } from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let held: HeldUpstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;
let otherWired: WiredAssistant;
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  held = await startHeldUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'McpTasks');
  other = await createOrganization(t.app.services.prisma, 'NotMcpTasks');
  wired = await wireAssistant(t, org, upstream.url);
  otherWired = await wireAssistant(t, other, upstream.url);
  await addTool(t, org, wired.assistantId, {
    name: 'slow_lookup',
    type: 'ENDPOINT',
    configuration: { url: `${held.url}/slow/\${parameters.ref}`, method: 'GET', execution_mode: 'async' },
    timeoutSeconds: 60,
    functionDefinition: {
      name: 'slow_lookup',
      description: 'A slow lookup',
      parameters: { type: 'object', properties: { ref: { type: 'string' } }, required: ['ref'] },
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t?.close();
  await held?.close();
  await upstream?.close();
});

async function connect(key: string, assistantId = wired.assistantId): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp/${assistantId}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'switchboard-tasks-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function answer(res: ServerResponse, ref: string): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ref, status: 'booked' }));
}

async function startTask(client: Client, ref: string): Promise<string> {
  const created = await client.request(
    { method: 'tools/call', params: { name: 'slow_lookup', arguments: { ref }, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
  expect(created.task).toMatchObject({ status: 'working', ttl: null });
  expect(created.task.pollInterval).toBeGreaterThan(0);
  return created.task.taskId;
}

describe('MCP tasks', () => {
  test('tools/list marks async tools taskSupport optional; the server declares the tasks capability', async () => {
    const client = await connect(org.keys.VIEWER);
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'slow_lookup')?.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((tool) => tool.name === 'lookup_order')?.execution).toBeUndefined();
  });

  test('a task answers at once, is working while the upstream holds, then completed with the sync result', async () => {
    const client = await connect(org.keys.MEMBER);
    const taskId = await startTask(client, 'A-1');
    const arrival = await held.arrival('/slow/A-1');
    const execution = await t.app.services.prisma.toolExecution.findUnique({ where: { id: taskId } });
    expect(execution).toMatchObject({ status: 'RUNNING', toolName: 'slow_lookup', organizationId: org.id });
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('working');

    answer(arrival.res, 'A-1');
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('completed');
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });

    // The same call without a task blocks until the tool ends and returns the same result.
    const sync = client.callTool({ name: 'slow_lookup', arguments: { ref: 'A-1' } });
    answer((await held.arrival('/slow/A-1')).res, 'A-1');
    const { _meta: _ignored, ...taskResult } = result;
    expect(taskResult).toEqual(await sync);
    expect(taskResult.structuredContent).toMatchObject({ success: true, data: { ref: 'A-1', status: 'booked' } });

    const listed = await client.experimental.tasks.listTasks();
    expect(listed.tasks.map((task) => task.taskId)).toContain(taskId);
    expect(listed.tasks).toHaveLength(1);
    await expect(client.experimental.tasks.listTasks('not-a-cursor')).rejects.toMatchObject({ code: -32602 });
  });

  test('cancelling a working task aborts its upstream request; a finished task cannot be cancelled', async () => {
    const client = await connect(org.keys.MEMBER);
    const taskId = await startTask(client, 'C-1');
    const arrival = await held.arrival('/slow/C-1');
    const cancelled = await client.experimental.tasks.cancelTask(taskId);
    expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
    await arrival.closed;
    expect((await client.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    const viewer = await connect(org.keys.VIEWER);
    expect((await viewer.experimental.tasks.getTask(taskId)).status).toBe('cancelled');
    await expect(viewer.experimental.tasks.cancelTask(taskId)).rejects.toThrow(/MEMBER/);
    await expect(client.experimental.tasks.cancelTask(taskId)).rejects.toMatchObject({ code: -32602 });
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/cancelled/);
  });

  test("another organization's task id behaves exactly like an unknown one", async () => {
    const client = await connect(org.keys.MEMBER);
    const taskId = await startTask(client, 'O-1');
    const arrival = await held.arrival('/slow/O-1');
    const stranger = await connect(other.keys.OWNER, otherWired.assistantId);
    const unknown = randomUUID();
    const tasks = stranger.experimental.tasks;
    const errorOf = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (error: { code: number; message: string }) => ({ code: error.code, message: error.message }),
      );
    for (const call of [
      (id: string) => tasks.getTask(id),
      (id: string) => tasks.getTaskResult(id, CallToolResultSchema),
      (id: string) => tasks.cancelTask(id),
    ]) {
      const theirs = await errorOf(call(taskId));
      expect(theirs).toMatchObject({ code: -32602 });
      expect(theirs).toEqual(await errorOf(call(unknown)));
    }
    expect((await tasks.listTasks()).tasks).toEqual([]);
    // Untouched by the stranger: still running, then completes.
    answer(arrival.res, 'O-1');
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result.isError).toBeFalsy();
  });

  test('a task for a sync tool is refused; a plain call with a progress token gets progress, then the result', async () => {
    const client = await connect(org.keys.MEMBER);
    await expect(
      client.request(
        { method: 'tools/call', params: { name: 'lookup_order', arguments: { order_id: 'X' }, task: {} } },
        CreateTaskResultSchema,
      ),
    ).rejects.toMatchObject({ code: -32601 });

    const progress: Array<{ progress: number; message?: string }> = [];
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((resolve) => (resolveFirst = resolve));
    const call = client.callTool({ name: 'slow_lookup', arguments: { ref: 'P-1' } }, CallToolResultSchema, {
      onprogress: (notification) => {
        progress.push(notification);
        resolveFirst();
      },
    });
    const arrival = await held.arrival('/slow/P-1');
    await first;
    answer(arrival.res, 'P-1');
    const result = await call;
    expect(result.structuredContent).toMatchObject({ success: true, data: { ref: 'P-1' } });
    expect(progress[0]).toMatchObject({ progress: 1, message: 'Running' });
  });

  test("plain JSON-RPC over HTTP (the README's curl): start a task, then read its result", async () => {
    const post = async (body: unknown) => {
      const response = await fetch(`${t.url}/mcp/${wired.assistantId}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${org.keys.MEMBER}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(body),
      });
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      return (await response.json()) as { result: Record<string, unknown> & { task?: { taskId: string } } };
    };
    const started = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'slow_lookup', arguments: { ref: 'R-1' }, task: { ttl: 600_000 } },
    });
    const taskId = started.result.task!.taskId;
    answer((await held.arrival('/slow/R-1')).res, 'R-1');
    const result = await post({ jsonrpc: '2.0', id: 2, method: 'tasks/result', params: { taskId } });
    expect(result.result).toMatchObject({
      structuredContent: { success: true, data: { ref: 'R-1' } },
      _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
    });
  });
});
