/**
 * OpenAI's Responses API next to Chat Completions: definitions in its flat
 * function-tool shape with `strict` when the schema qualifies, and a
 * response's `function_call` output items answered with `function_call_output`
 * input items, over REST and GraphQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { responsesFunctionCall } from '../types/openai-shapes.ts';
import { callId, startUpstream, wireAssistant, type Upstream, type WiredAssistant } from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let wired: WiredAssistant;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Responses');
  wired = await wireAssistant(t, org, upstream.url);
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

async function rest(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${t.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A Responses API response's output: a reasoning item, a message and two function calls. */
function responseOutput(orderCall: string, brokenCall: string): unknown[] {
  return [
    { type: 'reasoning', id: 'rs_1', summary: [] },
    responsesFunctionCall(orderCall, 'lookup_order', { order_id: 'R-1' }),
    { type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'One moment.' }] },
    responsesFunctionCall(brokenCall, 'broken_tool', {}),
  ];
}

describe('OpenAI Responses API', () => {
  test('definitions come flat for ?format=responses, strict only where the schema qualifies', async () => {
    const chat = await rest(`/v1/assistants/${wired.assistantId}/tools`);
    const chatTools = chat.body.tools as Array<{ function: { name: string; strict?: boolean } }>;
    expect(chatTools.find((tool) => tool.function.name === 'lookup_order')!.function.strict).toBe(true);
    expect(chatTools.find((tool) => tool.function.name === 'broken_tool')!.function).not.toHaveProperty('strict');

    const { status, body } = await rest(`/v1/assistants/${wired.assistantId}/tools?format=responses`);
    expect(status).toBe(200);
    const tools = body.tools as Array<Record<string, unknown>>;
    expect(tools.find((tool) => tool.name === 'lookup_order')).toEqual({
      type: 'function',
      name: 'lookup_order',
      description: 'Look up the status of an order (front desk wording)',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' } },
        required: ['order_id'],
        additionalProperties: false,
      },
      strict: true,
    });
    expect(tools.find((tool) => tool.name === 'broken_tool')).toMatchObject({ strict: false });
    expect((await rest(`/v1/assistants/${wired.assistantId}/tools?format=xml`)).status).toBe(400);
  });

  test('REST: function_call items run and come back as function_call_output items in order', async () => {
    const [orderCall, brokenCall] = [callId('fc'), callId('fc')];
    const { status, body } = await rest(`/v1/assistants/${wired.assistantId}/tool-calls`, {
      method: 'POST',
      body: JSON.stringify({ output: responseOutput(orderCall, brokenCall), context: { callSid: 'responses-call-1' } }),
    });
    expect(status).toBe(200);
    const items = body.input as Array<{ type: string; call_id: string; output: string }>;
    expect(items.map((item) => [item.type, item.call_id])).toEqual([
      ['function_call_output', orderCall],
      ['function_call_output', brokenCall],
    ]);
    expect(JSON.parse(items[0]!.output)).toMatchObject({ success: true, data: { id: 'R-1' } });
    expect(JSON.parse(items[1]!.output)).toMatchObject({ success: false, error: expect.any(String) });
  });

  test('GraphQL: responseOutput gives inputItems; both forms or neither is a ValidationError', async () => {
    const HANDLE = `mutation ($input: HandleToolCallsInput!) { handleToolCalls(input: $input) {
      __typename
      ... on HandleToolCallsPayload { messages inputItems outcomes { toolCallId ok } }
      ... on ValidationError { issues { field message } }
    } }`;
    type Result = {
      handleToolCalls: { __typename: string; inputItems?: unknown[]; messages?: unknown[]; issues?: unknown[] };
    };
    const orderCall = callId('fc');
    const output = [
      { type: 'function_call', call_id: orderCall, name: 'lookup_order', arguments: '{"order_id":"R-2"}' },
    ];
    const ran = await t.gql<Result>(
      HANDLE,
      { input: { assistantId: wired.assistantId, responseOutput: output } },
      { apiKey: org.keys.MEMBER },
    );
    expect(ran.data!.handleToolCalls).toMatchObject({
      __typename: 'HandleToolCallsPayload',
      messages: [],
      inputItems: [{ type: 'function_call_output', call_id: orderCall, output: expect.stringContaining('R-2') }],
    });
    for (const input of [
      { assistantId: wired.assistantId },
      { assistantId: wired.assistantId, responseOutput: output, toolCalls: [] },
    ]) {
      const refused = await t.gql<Result>(HANDLE, { input }, { apiKey: org.keys.MEMBER });
      expect(refused.data!.handleToolCalls).toMatchObject({
        __typename: 'ValidationError',
        issues: [{ field: 'toolCalls' }],
      });
    }
    const notArray = await t.gql<Result>(
      HANDLE,
      { input: { assistantId: wired.assistantId, responseOutput: { type: 'function_call' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(notArray.data!.handleToolCalls).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'responseOutput' }],
    });
  });
});
