/**
 * Hangup reaches every instance: a call ended on instance A aborts the tool
 * call instance B is running for it, and B refuses the call's next tool call
 * although it had the call cached as in progress.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.ts';
import { callId, createToolVia, serverSecret } from '../helpers/integrations.ts';
import { disposeLive, startSecondInstance } from '../helpers/live.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

let t: TestApp;
let upstream: HeldUpstream;
let org: TestOrganization;
let assistantId: string;
let secret: string;

beforeAll(async () => {
  upstream = await startHeldUpstream();
  t = await startTestApp({ REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Calls');
  const created = await t.gql<{ createAssistant: { id: string } }>(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { ... on Assistant { id } } }`,
    { input: { name: 'Front desk' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const toolId = await createToolVia(t, org.keys.MEMBER, {
    name: 'hang',
    type: 'ENDPOINT',
    timeoutSeconds: 30,
    configuration: { url: `${upstream.url}/hang`, method: 'POST' },
    functionDefinition: { name: 'hang', parameters: { type: 'object', properties: {} } },
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

async function vapiOn(url: string, callSid: string) {
  const response = await fetch(`${url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: callId('hang'), type: 'function', function: { name: 'hang', arguments: {} } }],
        call: { id: callSid },
      },
    }),
  });
  return (await response.json()) as { results: Array<Record<string, string>> };
}

test('a call ended on one instance settles the tool call another instance runs, and that instance refuses the next', async (context) => {
  await requireRedis(context);
  const b = await startSecondInstance(t, { REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  const callSid = callId('two-instances');
  const answer = vapiOn(b.url, callSid);
  const held = await upstream.arrival('/hang');

  const ended = await fetch(`${t.url}/v1/calls/${callSid}/end`, {
    method: 'POST',
    headers: { authorization: `Bearer ${org.keys.MEMBER}` },
  });
  expect(ended.status).toBe(200);
  await held.closed;
  expect((await answer).results[0]!.error).toMatch(/call has ended/i);

  const late = await vapiOn(b.url, callSid);
  expect(late.results[0]!.error).toMatch(/call has ended/i);
  const executions = await t.app.services.prisma.toolExecution.findMany({
    where: { organizationId: org.id, call: { callSid } },
    orderBy: { startedAt: 'asc' },
  });
  expect(executions.map((e) => [e.status, e.errorCode])).toEqual([
    ['CANCELLED', 'CALL_ENDED'],
    ['CANCELLED', 'CALL_ENDED'],
  ]);
});
