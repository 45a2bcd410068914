/**
 * MCP tasks are stateless across instances: a task started through one
 * instance is polled, awaited and cancelled through another (shared
 * PostgreSQL and Redis), as behind a load balancer.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.ts';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { disposeLive, startSecondInstance } from '../helpers/live.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

let t: TestApp;
let upstream: HeldUpstream;
let org: TestOrganization;
let assistantId: string;
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startHeldUpstream();
  t = await startTestApp({ REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'McpTasksInstances');
  assistantId = await createAssistant(t, org, 'Front desk');
  await addTool(t, org, assistantId, {
    name: 'book',
    type: 'ENDPOINT',
    timeoutSeconds: 60,
    configuration: { url: `${upstream.url}/book/\${parameters.ref}`, method: 'POST', execution_mode: 'async' },
    functionDefinition: {
      name: 'book',
      parameters: { type: 'object', properties: { ref: { type: 'string' } }, required: ['ref'] },
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

async function connect(baseUrl: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp/${assistantId}`), {
    requestInit: { headers: { authorization: `Bearer ${org.keys.MEMBER}` } },
  });
  const client = new Client({ name: 'switchboard-tasks-instances', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

test('a task started on one instance is polled, awaited and cancelled on another', async (context) => {
  await requireRedis(context);
  const b = await startSecondInstance(t, { REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  const onA = await connect(t.url);
  const onB = await connect(b.url);
  const start = (ref: string) =>
    onA.request(
      { method: 'tools/call', params: { name: 'book', arguments: { ref }, task: {} } },
      CreateTaskResultSchema,
    );

  const { task } = await start('I-1');
  const held = await upstream.arrival('/book/I-1');
  expect((await onB.experimental.tasks.getTask(task.taskId)).status).toBe('working');
  // B waits for the result the tool running on A produces; its finished event reaches B through Redis.
  const result = onB.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
  held.res.writeHead(200, { 'content-type': 'application/json' }).end('{"ref":"I-1","booked":true}');
  expect((await result).structuredContent).toMatchObject({ success: true, data: { ref: 'I-1', booked: true } });
  expect((await onB.experimental.tasks.listTasks()).tasks.map((listed) => listed.taskId)).toEqual([task.taskId]);

  const second = await start('I-2');
  await upstream.arrival('/book/I-2');
  expect(await onB.experimental.tasks.cancelTask(second.task.taskId)).toMatchObject({ status: 'cancelled' });
  expect((await onA.experimental.tasks.getTask(second.task.taskId)).status).toBe('cancelled');
});
