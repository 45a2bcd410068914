/**
 * Hangup reaches async executions on every instance: with two instances on
 * one PostgreSQL database (and Redis between them), a call ended on the
 * instance that is not running the call's async job aborts it where it runs
 * (the upstream sees the connection closed), and the job does not run it again.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.ts';
import { callId, createToolVia, serverSecret } from '../helpers/integrations.ts';
import { disposeLive, startSecondInstance } from '../helpers/live.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

const ENV = { REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' };
let t: TestApp;
let upstream: HeldUpstream;
let org: TestOrganization;
let assistantId: string;
let secret: string;

beforeAll(async () => {
  upstream = await startHeldUpstream();
  t = await startTestApp(ENV, { engine: 'postgresql' });
  org = await createOrganization(t.app.services.prisma, 'Async calls');
  const created = await t.gql<{ createAssistant: { id: string } }>(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { ... on Assistant { id } } }`,
    { input: { name: 'Front desk' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const toolId = await createToolVia(t, org.keys.MEMBER, {
    name: 'book',
    type: 'ENDPOINT',
    timeoutSeconds: 30,
    configuration: { url: `${upstream.url}/book`, method: 'POST', execution_mode: 'async' },
    functionDefinition: { name: 'book', parameters: { type: 'object', properties: {} } },
  });
  await t.gql(
    `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
    { input: { assistantId, toolId } },
    { apiKey: org.keys.ADMIN },
  );
  secret = await serverSecret(t, org, assistantId);
});
afterAll(async () => {
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

test('a call ended on one instance aborts its async execution running on the other', async (context) => {
  await requireRedis(context);
  const b = await startSecondInstance(t, ENV);
  const callSid = callId('async-two-instances');
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: callId('book'), type: 'function', function: { name: 'book', arguments: {} } }],
        call: { id: callSid },
      },
    }),
  });
  const { results } = (await response.json()) as { results: Array<{ result?: string }> };
  expect(JSON.parse(results[0]!.result!)).toMatchObject({ success: true, data: { status: 'queued' } });
  const held = await upstream.arrival('/book');

  const { prisma } = t.app.services;
  const running = await prisma.toolExecution.findFirstOrThrow({ where: { call: { callSid } } });
  expect(running.status).toBe('RUNNING');
  // Whichever instance's worker took the job, the hangup arrives at the other one.
  const other = running.instanceId === t.app.services.engine.instanceId ? b.url : t.url;
  const ended = await fetch(`${other}/v1/calls/${encodeURIComponent(callSid)}/end`, {
    method: 'POST',
    headers: { authorization: `Bearer ${org.keys.MEMBER}` },
  });
  expect(ended.status).toBe(200);
  await held.closed;

  const until = Date.now() + 15_000;
  let row = running;
  while (row.status === 'RUNNING' && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    row = await prisma.toolExecution.findUniqueOrThrow({ where: { id: running.id } });
  }
  expect(row).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED', instanceId: running.instanceId });
  await expect
    .poll(() => t.app.services.sql.query(`SELECT 1 FROM "graphile_worker"."jobs" WHERE "key" = $1`, [running.id]))
    .toEqual([]);
});
