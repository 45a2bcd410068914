/**
 * A call's live channel crosses instances: an SSE client on instance B sees
 * the tool call instance A runs for the call and the end A receives, then
 * its stream closes (both through Redis).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { callId, serverSecret, startUpstream, wireAssistant, type Upstream } from '../helpers/integrations.ts';
import { connectWs, disposeLive, startSecondInstance } from '../helpers/live.ts';
import { requireRedis, TEST_REDIS_URL } from '../helpers/required-services.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let assistantId: string;
let secret: string;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Calls live');
  ({ assistantId } = await wireAssistant(t, org, upstream.url));
  secret = await serverSecret(t, org, assistantId);
});
afterAll(async () => {
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

async function toolCall(callSid: string, orderId: string): Promise<void> {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
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
  await response.body?.cancel();
}

test('SSE on instance B follows a call instance A runs and ends', async (context) => {
  await requireRedis(context);
  const b = await startSecondInstance(t, { REDIS_URL: TEST_REDIS_URL, SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  // Positive sentinel for B's Redis subscription to the organization's executions: a warm-up call's event reaches B.
  const warmUp = callId('warm-up');
  const watcher = connectWs(b.url, { apiKey: org.keys.VIEWER }).subscribe<{
    toolExecutionEvents: { kind: string };
  }>('subscription { toolExecutionEvents { kind } }');
  const deadline = Date.now() + 5_000;
  while (watcher.results.length === 0) {
    if (Date.now() > deadline) throw new Error("B never saw A's executions");
    await toolCall(warmUp, 'W-1');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const externalId = callId('livekit');
  await t.gql(
    `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename } }`,
    { input: { externalId, assistantId } },
    { apiKey: org.keys.MEMBER },
  );
  const response = await fetch(`${b.url}/v1/calls/${encodeURIComponent(externalId)}/events`, {
    headers: { authorization: `Bearer ${org.keys.VIEWER}` },
  });
  expect(response.status).toBe(200);
  const events: string[] = [];
  const closed = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
    for (const line of text.split('\n')) if (line.startsWith('event:')) events.push(line.slice(6).trim());
  })();

  await toolCall(externalId, 'A-1');
  const ended = await fetch(`${t.url}/v1/calls/${encodeURIComponent(externalId)}/end`, {
    method: 'POST',
    headers: { authorization: `Bearer ${org.keys.MEMBER}` },
  });
  expect(ended.status).toBe(200);
  await closed;
  expect(events).toEqual(['created', 'running', 'finished', 'call_ended']);
});
