/**
 * Calls as sessions: a call ends from Vapi, Retell, GraphQL or the REST end
 * route, and hangup settles everything of it — the running endpoint call is
 * aborted (its upstream sees the connection closed), pending approvals are
 * cancelled, a `continue_after_hangup` tool runs to its end, and later tool
 * calls are refused. Another organization can neither see nor end the call.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { retellSignature } from '../../server/integrations/assistant-secrets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startHeldUpstream, type HeldUpstream } from '../helpers/held-upstream.ts';
import { callId, createToolVia, serverSecret } from '../helpers/integrations.ts';

let t: TestApp;
let upstream: HeldUpstream;
let org: TestOrganization;
let other: TestOrganization;
let assistantId: string;
let secret: string;

const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`;

function endpointTool(name: string, path: string, extra: Record<string, unknown> = {}) {
  const { configuration, ...rest } = extra;
  return {
    name,
    type: 'ENDPOINT',
    timeoutSeconds: 30,
    configuration: { url: `${upstream.url}${path}`, method: 'POST', ...(configuration as object) },
    functionDefinition: { name, parameters: { type: 'object', properties: { n: { type: 'string' } } } },
    ...rest,
  };
}

beforeAll(async () => {
  upstream = await startHeldUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Calls');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  const created = await t.gql<{ createAssistant: { id: string } }>(
    CREATE_ASSISTANT,
    { input: { name: 'Front desk' } },
    { apiKey: org.keys.ADMIN },
  );
  assistantId = created.data!.createAssistant.id;
  const tools = [
    endpointTool('hang', '/hang'),
    endpointTool('ticket', '/ticket', { configuration: { continue_after_hangup: true } }),
    endpointTool('refund', '/refund', { requireConfirmation: true }),
    {
      name: 'spin',
      type: 'CODE',
      timeoutSeconds: 30,
      configuration: { runtime: 'javascript', code: 'export default function execute() {\n  for (;;) {}\n}' },
      functionDefinition: { name: 'spin', parameters: { type: 'object', properties: { n: { type: 'string' } } } },
    },
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
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

function vapiToolCall(callSid: string, name: string, path: string) {
  return {
    message: {
      type: 'tool-calls',
      toolCallList: [{ id: callId(name), type: 'function', function: { name, arguments: { n: path } } }],
      call: { id: callSid, type: 'inboundPhoneCall' },
      customer: { number: '+15551112222' },
      phoneNumber: { number: '+15553334444' },
    },
  };
}

async function postVapi(body: unknown): Promise<{ status: number; body: { results?: Array<Record<string, string>> } }> {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { results?: Array<Record<string, string>> } };
}

async function endViaApi(callSid: string, key: string, reason?: string) {
  const response = await fetch(`${t.url}/v1/calls/${encodeURIComponent(callSid)}/end`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: reason === undefined ? '' : JSON.stringify({ reason }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, Record<string, unknown>> };
}

function executionsOf(callSid: string) {
  return t.app.services.prisma.toolExecution.findMany({
    where: { organizationId: org.id, call: { callSid } },
    orderBy: { startedAt: 'asc' },
  });
}

function callRow(callSid: string) {
  return t.app.services.prisma.call.findUniqueOrThrow({
    where: { organizationId_callSid: { organizationId: org.id, callSid } },
  });
}

describe('hangup settles the call', () => {
  test('POST /v1/calls/:id/end aborts a running endpoint call: the upstream sees the connection closed', async () => {
    const callSid = callId('api-hangup');
    const answer = postVapi(vapiToolCall(callSid, 'hang', 'x'));
    const held = await upstream.arrival('/hang');

    const ended = await endViaApi(callSid, org.keys.MEMBER, 'agent hung up');
    expect(ended.status).toBe(200);
    expect(ended.body.call).toMatchObject({ externalId: callSid, status: 'ENDED', endReason: 'agent hung up' });
    await held.closed;

    const { status, body } = await answer;
    expect(status).toBe(200);
    expect(body.results![0]!.error).toMatch(/call has ended/i);
    const [execution] = await executionsOf(callSid);
    expect(execution).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });

    // Idempotent: a second end keeps the first one's time and reason.
    const again = await endViaApi(callSid, org.keys.MEMBER, 'again');
    expect(again.status).toBe(200);
    expect(again.body.call).toMatchObject({ endedAt: ended.body.call!.endedAt, endReason: 'agent hung up' });

    // A tool call after hangup is refused, and recorded as such.
    const late = await postVapi(vapiToolCall(callSid, 'hang', 'late'));
    expect(late.body.results![0]!.error).toMatch(/call has ended/i);
    const executions = await executionsOf(callSid);
    expect(executions).toHaveLength(2);
    expect(executions[1]).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
  });

  test('hangup stops a code tool spinning in its isolate', async () => {
    const callSid = callId('api-spin');
    const answer = postVapi(vapiToolCall(callSid, 'spin', 's'));
    // The execution is RUNNING once its row is written; the isolate spins from then on.
    for (;;) {
      const [row] = await executionsOf(callSid);
      if (row?.status === 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await endViaApi(callSid, org.keys.MEMBER)).status).toBe(200);
    expect((await answer).body.results![0]!.error).toMatch(/call has ended/i);
    const [execution] = await executionsOf(callSid);
    expect(execution).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
    expect(execution!.durationMs).toBeLessThan(15_000);
  });

  test('Vapi status-update "ended" cancels a pending approval with CALL_ENDED', async () => {
    const callSid = callId('vapi-approval');
    const pending = await postVapi(vapiToolCall(callSid, 'refund', 'r'));
    expect(pending.status).toBe(200);
    const [before] = await executionsOf(callSid);
    expect(before!.status).toBe('PENDING_APPROVAL');

    const update = await postVapi({
      message: { type: 'status-update', status: 'ended', endedReason: 'customer-ended-call', call: { id: callSid } },
    });
    expect(update.status).toBe(200);
    const [after] = await executionsOf(callSid);
    expect(after).toMatchObject({ status: 'CANCELLED', errorCode: 'CALL_ENDED' });
    expect(await callRow(callSid)).toMatchObject({
      status: 'ENDED',
      platform: 'VAPI',
      endReason: 'customer-ended-call',
    });
  });

  test('a continue_after_hangup tool runs to its end after a Vapi end-of-call-report', async () => {
    const callSid = callId('vapi-ticket');
    const answer = postVapi(vapiToolCall(callSid, 'ticket', 't'));
    const held = await upstream.arrival('/ticket');

    const report = await postVapi({
      message: { type: 'end-of-call-report', endedReason: 'assistant-ended-call', call: { id: callSid } },
    });
    expect(report.status).toBe(200);
    expect(await callRow(callSid)).toMatchObject({ status: 'ENDED', endReason: 'assistant-ended-call' });

    held.res.writeHead(200, { 'content-type': 'application/json' }).end('{"ticket":"T-1"}');
    const { body } = await answer;
    expect(JSON.parse(body.results![0]!.result!)).toMatchObject({ success: true, data: { ticket: 'T-1' } });
    const [execution] = await executionsOf(callSid);
    expect(execution).toMatchObject({ status: 'SUCCESS', errorCode: null });
  });

  test('an end-of-call-report for a call without tool calls records the ended call', async () => {
    const callSid = callId('vapi-quiet');
    await postVapi({
      message: { type: 'end-of-call-report', endedReason: 'silence-timed-out', call: { id: callSid } },
    });
    expect(await callRow(callSid)).toMatchObject({
      status: 'ENDED',
      platform: 'VAPI',
      assistantId,
      endReason: 'silence-timed-out',
    });
  });
});

describe('Retell call webhooks', () => {
  const RETELL_KEY = 'key_retell_calls_webhook';

  function webhook(event: string, callSid: string, extra: Record<string, unknown> = {}) {
    return JSON.stringify({
      event,
      call: {
        call_id: callSid,
        agent_id: 'agent_1',
        direction: 'inbound',
        from_number: '+15557770000',
        to_number: '+15558880000',
        ...extra,
      },
    });
  }

  async function postWebhook(raw: string, signature: string) {
    const response = await fetch(`${t.url}/v1/retell/${assistantId}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': signature },
      body: raw,
    });
    return response.status;
  }

  test('signed call_started and call_ended start and end the call; a bad signature is refused', async () => {
    const set = await t.gql<{ setAssistantRetellKey: { __typename: string } }>(
      `mutation ($input: SetAssistantRetellKeyInput!) { setAssistantRetellKey(input: $input) { __typename } }`,
      { input: { assistantId, apiKey: RETELL_KEY } },
      { apiKey: org.keys.ADMIN },
    );
    expect(set.data?.setAssistantRetellKey.__typename).toBe('Assistant');
    const callSid = callId('retell');

    const started = webhook('call_started', callSid);
    expect(await postWebhook(started, retellSignature(started, RETELL_KEY, Date.now()))).toBe(200);
    expect(await callRow(callSid)).toMatchObject({
      status: 'IN_PROGRESS',
      platform: 'RETELL',
      fromNumber: '+15557770000',
    });

    const ended = webhook('call_ended', callSid, { disconnection_reason: 'user_hangup' });
    expect(await postWebhook(ended, retellSignature(ended, 'not-the-key', Date.now()))).toBe(401);
    expect(await postWebhook(ended, 'garbage')).toBe(401);
    expect((await callRow(callSid)).status).toBe('IN_PROGRESS');

    expect(await postWebhook(ended, retellSignature(ended, RETELL_KEY, Date.now()))).toBe(200);
    expect(await callRow(callSid)).toMatchObject({ status: 'ENDED', endReason: 'user_hangup' });

    const analyzed = webhook('call_analyzed', callSid, { disconnection_reason: 'later' });
    expect(await postWebhook(analyzed, retellSignature(analyzed, RETELL_KEY, Date.now()))).toBe(200);
    expect(await callRow(callSid)).toMatchObject({ status: 'ENDED', endReason: 'user_hangup' });
  });
});

describe('GraphQL', () => {
  const START = `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename ... on Call { id externalId status platform assistant { id } } ... on Error { message } } }`;
  const END = `mutation ($input: EndCallInput!) { endCall(input: $input) { __typename ... on Call { id status endReason endedAt } ... on Error { message } } }`;
  const LIST = `query ($filter: CallFilter) { calls(filter: $filter) { edges { node { id externalId status } } } }`;
  const ONE = `query ($id: ID!) { call(id: $id) { id externalId executions { edges { node { toolName status errorCode } } } } }`;

  test('startCall, calls, call with its executions, endCall; another organization sees and ends nothing', async () => {
    const externalId = callId('livekit');
    const start = await t.gql<{ startCall: { __typename: string; id: string; status: string; platform: string } }>(
      START,
      { input: { externalId, assistantId } },
      { apiKey: org.keys.MEMBER },
    );
    expect(start.data!.startCall).toMatchObject({
      __typename: 'Call',
      externalId,
      status: 'IN_PROGRESS',
      platform: 'API',
      assistant: { id: assistantId },
    });
    const id = start.data!.startCall.id;

    const foreignStart = await t.gql<{ startCall: { __typename: string } }>(
      START,
      { input: { externalId: callId('x'), assistantId } },
      { apiKey: other.keys.MEMBER },
    );
    expect(foreignStart.data!.startCall.__typename).toBe('NotFoundError');
    const viewer = await t.gql(START, { input: { externalId: callId('v') } }, { apiKey: org.keys.VIEWER });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const answer = postVapi(vapiToolCall(externalId, 'hang', 'g'));
    await upstream.arrival('/hang');

    const list = await t.gql<{ calls: { edges: Array<{ node: { id: string } }> } }>(
      LIST,
      { filter: { externalId, status: 'IN_PROGRESS' } },
      { apiKey: org.keys.VIEWER },
    );
    expect(list.data!.calls.edges.map((edge) => edge.node.id)).toEqual([id]);
    const foreignList = await t.gql<{ calls: { edges: unknown[] } }>(
      LIST,
      { filter: { externalId } },
      { apiKey: other.keys.VIEWER },
    );
    expect(foreignList.data!.calls.edges).toEqual([]);
    expect((await t.gql<{ call: unknown }>(ONE, { id }, { apiKey: other.keys.VIEWER })).data!.call).toBeNull();

    const foreignEnd = await t.gql<{ endCall: { __typename: string } }>(
      END,
      { input: { externalId } },
      { apiKey: other.keys.MEMBER },
    );
    expect(foreignEnd.data!.endCall.__typename).toBe('NotFoundError');
    expect((await endViaApi(externalId, other.keys.MEMBER)).status).toBe(404);
    expect((await callRow(externalId)).status).toBe('IN_PROGRESS');

    const end = await t.gql<{ endCall: Record<string, unknown> }>(
      END,
      { input: { externalId, reason: 'pipecat session closed' } },
      { apiKey: org.keys.MEMBER },
    );
    expect(end.data!.endCall).toMatchObject({
      __typename: 'Call',
      id,
      status: 'ENDED',
      endReason: 'pipecat session closed',
    });
    await answer;

    const one = await t.gql<{ call: { executions: { edges: Array<{ node: unknown }> } } }>(
      ONE,
      { id },
      { apiKey: org.keys.VIEWER },
    );
    expect(one.data!.call.executions.edges.map((edge) => edge.node)).toEqual([
      { toolName: 'hang', status: 'CANCELLED', errorCode: 'CALL_ENDED' },
    ]);
    const ended = await t.gql<{ calls: { edges: Array<{ node: { id: string } }> } }>(
      LIST,
      { filter: { status: 'ENDED', assistantId } },
      { apiKey: org.keys.VIEWER },
    );
    expect(ended.data!.calls.edges.map((edge) => edge.node.id)).toContain(id);

    const restart = await t.gql<{ startCall: { __typename: string } }>(
      START,
      { input: { externalId } },
      { apiKey: org.keys.MEMBER },
    );
    expect(restart.data!.startCall.__typename).toBe('ConflictError');
  });
});

describe('bad input and other organizations', () => {
  test('the end route refuses VIEWER keys, non-JSON bodies and non-string reasons; unknown calls are 404', async () => {
    const callSid = callId('api-bad');
    await t.gql(
      `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename } }`,
      {
        input: { externalId: callSid },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect((await endViaApi(callSid, org.keys.VIEWER)).status).toBe(403);
    const post = (body: string) =>
      fetch(`${t.url}/v1/calls/${callSid}/end`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.keys.MEMBER}` },
        body,
      });
    expect((await post('{"reason":')).status).toBe(400);
    expect((await post('{"reason":42}')).status).toBe(400);
    expect((await callRow(callSid)).status).toBe('IN_PROGRESS');
    expect((await endViaApi(callId('never-seen'), org.keys.MEMBER)).status).toBe(404);
    const tooLong = await t.gql<{ startCall: { __typename: string } }>(
      `mutation ($input: StartCallInput!) { startCall(input: $input) { __typename } }`,
      { input: { externalId: 'x'.repeat(257) } },
      { apiKey: org.keys.MEMBER },
    );
    expect(tooLong.data!.startCall.__typename).toBe('ValidationError');
  });

  test("another organization's Vapi assistant ending the same call id leaves this organization's call running", async () => {
    const created = await t.gql<{ createAssistant: { id: string } }>(
      CREATE_ASSISTANT,
      { input: { name: 'Theirs' } },
      { apiKey: other.keys.ADMIN },
    );
    const theirs = created.data!.createAssistant.id;
    const theirSecret = await serverSecret(t, other, theirs);
    const callSid = callId('shared-id');
    await postVapi(vapiToolCall(callSid, 'refund', 'r'));
    const response = await fetch(`${t.url}/v1/vapi/${theirs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${theirSecret}` },
      body: JSON.stringify({ message: { type: 'end-of-call-report', call: { id: callSid } } }),
    });
    expect(response.status).toBe(200);
    expect((await callRow(callSid)).status).toBe('IN_PROGRESS');
    const [pending] = await executionsOf(callSid);
    expect(pending!.status).toBe('PENDING_APPROVAL');
    const their = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: other.id, callSid } },
    });
    expect(their.status).toBe('ENDED');
  });
});
