/**
 * The Vapi and Retell tool servers, driven with the request bodies those
 * platforms document (Vapi's `tool-calls` server message, Retell's custom
 * function `{ name, call, args }` with `x-retell-signature`).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { retellSignature } from '../../server/integrations/assistant-secrets.ts';
import type { TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import {
  callId,
  serverSecret,
  startWiredApp,
  wireAssistant,
  type Upstream,
  type WiredApp,
  type WiredAssistant,
} from '../helpers/integrations.ts';

let wiredApp: WiredApp;
let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;
let otherWired: WiredAssistant;
let secret: string;
let otherSecret: string;

beforeAll(async () => {
  wiredApp = await startWiredApp('Voice');
  ({ t, upstream, org, wired, secret } = wiredApp);
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  otherWired = await wireAssistant(t, other, upstream.url);
  otherSecret = await serverSecret(t, other, otherWired.assistantId);
});
afterAll(() => wiredApp?.close());

/** Vapi's documented tool-calls message (trimmed to the fields Switchboard reads, plus some it ignores). */
function vapiMessage(calls: Array<{ id: string; name: string; arguments: unknown }>, callSid = 'vapi-call-1') {
  const toolCallList = calls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  return {
    message: {
      timestamp: 1_739_726_889_788,
      type: 'tool-calls',
      toolCallList,
      toolWithToolCallList: toolCallList.map((toolCall) => ({
        type: 'function',
        function: { name: toolCall.function.name },
        toolCall,
      })),
      artifact: { messages: [] },
      assistant: { name: 'Front desk' },
      customer: { number: '+15551112222' },
      phoneNumber: { number: '+15553334444' },
      call: { id: callSid, orgId: 'vapi-org', type: 'inboundPhoneCall', customer: { number: '+15551112222' } },
    },
  };
}

async function postVapi(body: unknown, headers: Record<string, string>, assistantId = wired.assistantId) {
  const response = await fetch(`${t.url}/v1/vapi/${assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { results?: Array<Record<string, string>>; error?: unknown },
  };
}

describe('Vapi tool server', () => {
  test('answers HTTP 200 with results by toolCallId as single-line strings, and links a Call', async () => {
    const ids = [callId('vapi'), callId('vapi')];
    const { status, body } = await postVapi(
      vapiMessage([
        { id: ids[0]!, name: 'lookup_order', arguments: { order_id: 'V-1' } },
        { id: ids[1]!, name: 'transferCall', arguments: { destination: 'Sales' } },
      ]),
      { authorization: `Bearer ${secret}` },
    );
    expect(status).toBe(200);
    expect(body.results!.map((r) => r.toolCallId)).toEqual(ids);
    const [lookup, transfer] = body.results!;
    expect(lookup).toMatchObject({ name: 'lookup_order' });
    expect(lookup!.result).not.toMatch(/\n/);
    expect(JSON.parse(lookup!.result!)).toMatchObject({
      success: true,
      data: { id: 'V-1', note: 'line one\nline two' },
    });
    expect(JSON.parse(transfer!.result!)).toMatchObject({ data: { number: '+15550001111' } });
    const call = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: org.id, callSid: 'vapi-call-1' } },
      include: { executions: true },
    });
    expect(call).toMatchObject({
      assistantId: wired.assistantId,
      fromNumber: '+15551112222',
      toNumber: '+15553334444',
    });
    expect(call.executions.map((e) => e.toolName).sort()).toEqual(['lookup_order', 'transferCall']);
  });

  test('accepts X-Vapi-Secret, string arguments and toolWithToolCallList alone', async () => {
    const id = callId('vapi');
    const message = vapiMessage([{ id, name: 'lookup_order', arguments: '{"order_id":"V-2"}' }]);
    const { toolCallList: _dropped, ...rest } = message.message;
    const { status, body } = await postVapi({ message: rest }, { 'x-vapi-secret': secret });
    expect(status).toBe(200);
    expect(JSON.parse(body.results![0]!.result!)).toMatchObject({ data: { id: 'V-2' } });
  });

  test('malformed arguments, unknown tools and failures come back as per-call errors with HTTP 200', async () => {
    const calls = [
      { id: callId('vapi'), name: 'lookup_order', arguments: '{not json' },
      { id: callId('vapi'), name: 'summon_dragon', arguments: {} },
      { id: callId('vapi'), name: 'broken_tool', arguments: {} },
      { id: callId('vapi'), name: 'lookup_order', arguments: {} },
    ];
    const { status, body } = await postVapi(vapiMessage(calls, 'vapi-call-2'), { authorization: `Bearer ${secret}` });
    expect(status).toBe(200);
    expect(body.results!.map((r) => r.toolCallId)).toEqual(calls.map((c) => c.id));
    for (const result of body.results!) {
      expect(result.result).toBeUndefined();
      expect(typeof result.error).toBe('string');
      expect(result.error).not.toMatch(/[\r\n]/);
    }
    expect(body.results![0]!.error).toContain('not valid JSON');
    expect(body.results![1]!.error).toContain('no tool named "summon_dragon"');
  });

  test('a retried tool call id runs once', async () => {
    const id = callId('vapi');
    const first = await postVapi(
      vapiMessage([{ id, name: 'lookup_order', arguments: { order_id: 'R-1' } }], 'vapi-call-3'),
      { authorization: `Bearer ${secret}` },
    );
    const before = upstream.requests.length;
    const again = await postVapi(
      vapiMessage([{ id, name: 'lookup_order', arguments: { order_id: 'R-1' } }], 'vapi-call-3'),
      { authorization: `Bearer ${secret}` },
    );
    expect(upstream.requests.length).toBe(before);
    expect(JSON.parse(again.body.results![0]!.result!)).toEqual(JSON.parse(first.body.results![0]!.result!));
  });

  test("refuses missing and wrong secrets, and another assistant's secret, with the same 401", async () => {
    const body = vapiMessage([{ id: callId('vapi'), name: 'lookup_order', arguments: { order_id: 'X' } }]);
    expect((await postVapi(body, {})).status).toBe(401);
    expect((await postVapi(body, { authorization: 'Bearer sbs_wrong' })).status).toBe(401);
    expect((await postVapi(body, { 'x-vapi-secret': otherSecret })).status).toBe(401);
    expect((await postVapi(body, { authorization: `Bearer ${secret}` }, otherWired.assistantId)).status).toBe(401);
    expect((await postVapi(body, { authorization: `Bearer ${secret}` }, 'not-a-uuid')).status).toBe(401);
    const executions = await t.app.services.prisma.toolExecution.count({ where: { organizationId: other.id } });
    expect(executions).toBe(0);
  });

  test('malformed bodies are 400; other server messages are acknowledged; end-of-call closes the Call', async () => {
    expect((await postVapi('{"message":', { authorization: `Bearer ${secret}` })).status).toBe(400);
    expect((await postVapi({ hello: 'world' }, { authorization: `Bearer ${secret}` })).status).toBe(400);
    expect((await postVapi({ message: { type: 'tool-calls' } }, { authorization: `Bearer ${secret}` })).status).toBe(
      400,
    );
    expect(
      await postVapi({ message: { type: 'speech-update', status: 'started' } }, { authorization: `Bearer ${secret}` }),
    ).toEqual({ status: 200, body: {} });
    await postVapi(
      { message: { type: 'end-of-call-report', call: { id: 'vapi-call-1' } } },
      { authorization: `Bearer ${secret}` },
    );
    const call = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: org.id, callSid: 'vapi-call-1' } },
    });
    expect(call.status).toBe('ENDED');
    expect(call.endedAt).not.toBeNull();
  });

  test('rotating the secret retires the old one', async () => {
    const rotated = await serverSecret(t, org, wired.assistantId);
    const body = vapiMessage([{ id: callId('vapi'), name: 'lookup_order', arguments: { order_id: 'Z' } }]);
    expect((await postVapi(body, { authorization: `Bearer ${secret}` })).status).toBe(401);
    expect((await postVapi(body, { authorization: `Bearer ${rotated}` })).status).toBe(200);
    secret = rotated;
  });
});

describe('Retell custom functions', () => {
  const RETELL_KEY = 'key_retell_test_webhook_badge';
  const SET_KEY = `mutation ($input: SetAssistantRetellKeyInput!) { setAssistantRetellKey(input: $input) { __typename ... on Assistant { hasRetellKey } } }`;

  function retellBody(args: unknown, callSid = 'retell-call-1') {
    return JSON.stringify({
      name: 'lookup_order',
      call: {
        call_id: callSid,
        agent_id: 'agent_1',
        direction: 'inbound',
        from_number: '+15557770000',
        to_number: '+15558880000',
        call_status: 'ongoing',
      },
      args,
    });
  }

  async function postRetell(
    raw: string,
    headers: Record<string, string>,
    tool = 'lookup_order',
    assistantId = wired.assistantId,
  ) {
    const response = await fetch(`${t.url}/v1/retell/${assistantId}/${tool}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test('with a Retell key set, a valid x-retell-signature runs the function', async () => {
    const set = await t.gql<{ setAssistantRetellKey: { hasRetellKey: boolean } }>(
      SET_KEY,
      { input: { assistantId: wired.assistantId, apiKey: RETELL_KEY } },
      { apiKey: org.keys.ADMIN },
    );
    expect(set.data!.setAssistantRetellKey.hasRetellKey).toBe(true);
    const raw = retellBody({ order_id: 'RT-1' });
    const { status, body } = await postRetell(raw, {
      'x-retell-signature': retellSignature(raw, RETELL_KEY, Date.now()),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, data: { id: 'RT-1' } });
    const call = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: org.id, callSid: 'retell-call-1' } },
    });
    expect(call).toMatchObject({ fromNumber: '+15557770000', toNumber: '+15558880000' });
  });

  test('refuses tampered bodies, stale or foreign signatures and missing credentials', async () => {
    const raw = retellBody({ order_id: 'RT-2' });
    const good = retellSignature(raw, RETELL_KEY, Date.now());
    expect((await postRetell(retellBody({ order_id: 'RT-3' }), { 'x-retell-signature': good })).status).toBe(401);
    expect(
      (await postRetell(raw, { 'x-retell-signature': retellSignature(raw, RETELL_KEY, Date.now() - 10 * 60_000) }))
        .status,
    ).toBe(401);
    expect(
      (await postRetell(raw, { 'x-retell-signature': retellSignature(raw, 'another-key', Date.now()) })).status,
    ).toBe(401);
    expect((await postRetell(raw, { 'x-retell-signature': 'garbage' })).status).toBe(401);
    expect((await postRetell(raw, {})).status).toBe(401);
    expect((await postRetell(raw, { 'x-retell-signature': good }, 'lookup_order', otherWired.assistantId)).status).toBe(
      401,
    );
  });

  test('accepts the digest in upper case, as retell-sdk verify() does', async () => {
    const raw = retellBody({ order_id: 'RT-UP' }, 'retell-call-upper');
    const signature = retellSignature(raw, RETELL_KEY, Date.now()).replace(
      /d=([0-9a-f]+)$/,
      (_, d: string) => `d=${d.toUpperCase()}`,
    );
    expect(signature).toMatch(/d=[0-9A-F]{64}$/);
    const { status, body } = await postRetell(raw, { 'x-retell-signature': signature });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, data: { id: 'RT-UP' } });
  });

  test('a re-delivered signed request runs once and gets the first answer; a new signature runs again', async () => {
    const raw = retellBody({ order_id: 'RT-REPLAY' }, 'retell-call-replay');
    const signature = retellSignature(raw, RETELL_KEY, Date.now());
    const first = await postRetell(raw, { 'x-retell-signature': signature });
    const again = await postRetell(raw, { 'x-retell-signature': signature });
    expect(first).toMatchObject({ status: 200, body: { success: true, data: { id: 'RT-REPLAY' } } });
    expect(again).toEqual(first);
    const runs = () =>
      t.app.services.prisma.toolExecution.count({
        where: { organizationId: org.id, call: { callSid: 'retell-call-replay' } },
      });
    expect(await runs()).toBe(1);
    // The same function asked again later in the call is a new request, signed anew.
    const later = await postRetell(raw, { 'x-retell-signature': retellSignature(raw, RETELL_KEY, Date.now() + 1) });
    expect(later.status).toBe(200);
    expect(await runs()).toBe(2);
  });

  test('the server secret works as well (for setups without a Retell key), args-only bodies too', async () => {
    const { status, body } = await postRetell(JSON.stringify({ order_id: 'RT-4' }), {
      authorization: `Bearer ${secret}`,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, data: { id: 'RT-4' } });
  });

  test('malformed args, unknown functions and failures answer 200 with success: false', async () => {
    const auth = { authorization: `Bearer ${secret}` };
    expect(await postRetell(retellBody('not an object'), auth)).toMatchObject({
      status: 200,
      body: { success: false, error: expect.stringContaining('JSON object') },
    });
    expect(await postRetell(retellBody({}), auth, 'summon_dragon')).toMatchObject({
      status: 200,
      body: { success: false, error: expect.stringContaining('no tool named') },
    });
    expect(await postRetell(retellBody({}), auth, 'broken_tool')).toMatchObject({
      status: 200,
      body: { success: false },
    });
    expect((await postRetell('{"args":', auth)).status).toBe(400);
  });
});
