/**
 * Every tool-call form Vapi documents or sends, each kept as a fixture in
 * tests/fixtures/vapi/: the documented `{id, name, arguments}` entries,
 * `toolWithToolCallList[].toolCall.function.parameters`, the OpenAI-style
 * `function.arguments` as a JSON string, and the legacy `function-call` message.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import type { TestOrganization } from '../helpers/fixtures.ts';
import { startWiredApp, type WiredApp, type WiredAssistant } from '../helpers/integrations.ts';

let wiredApp: WiredApp;
let t: TestApp;
let org: TestOrganization;
let wired: WiredAssistant;
let secret: string;

beforeAll(async () => {
  wiredApp = await startWiredApp('Vapi forms');
  ({ t, org, wired, secret } = wiredApp);
});
afterAll(() => wiredApp?.close());

function fixture(name: string): { message: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/vapi/${name}.json`, import.meta.url), 'utf8')) as {
    message: Record<string, unknown>;
  };
}

async function postVapi(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${t.url}/v1/vapi/${wired.assistantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('Vapi tool-call forms', () => {
  test.each([
    ['tool-calls-documented', 'toolu_01DTPAzUm5Gk3zxrpJ969oMF', 'D-1'],
    ['tool-with-tool-call-list-parameters', 'toolu_parameters_only', 'D-2'],
    ['tool-calls-openai-form', 'call_openai_form', 'D-3'],
  ])('%s runs the named tool with its arguments', async (name, toolCallId, orderId) => {
    const { status, body } = await postVapi(fixture(name));
    expect(status).toBe(200);
    const results = body.results as Array<{ name: string; toolCallId: string; result?: string; error?: string }>;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: 'lookup_order', toolCallId });
    expect(results[0]!.error).toBeUndefined();
    expect(JSON.parse(results[0]!.result!)).toMatchObject({ success: true, data: { id: orderId } });
  });

  test('the legacy function-call message is answered with { result }', async () => {
    const { status, body } = await postVapi(fixture('function-call-legacy'));
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['result']);
    expect(JSON.parse(body.result as string)).toMatchObject({ success: true, data: { id: 'D-4' } });
    const execution = await t.app.services.prisma.toolExecution.findFirstOrThrow({
      where: { organizationId: org.id, call: { callSid: 'vapi-forms-legacy' } },
    });
    expect(execution).toMatchObject({
      toolName: 'lookup_order',
      status: 'SUCCESS',
      inputParameters: { order_id: 'D-4' },
    });
  });

  test('a legacy function-call that fails is answered with { error } in words the model can use', async () => {
    const legacy = fixture('function-call-legacy');
    const message = { ...legacy.message, functionCall: { name: 'summon_dragon', parameters: {} } };
    const { status, body } = await postVapi({ message });
    expect(status).toBe(200);
    expect(body.error).toEqual(expect.stringContaining('no tool named "summon_dragon"'));
  });

  test('a function-call message without a function name is a typed 400', async () => {
    const { status, body } = await postVapi({ message: { type: 'function-call', functionCall: {} } });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'BAD_REQUEST', issues: [{ field: 'message.functionCall.name' }] } });
  });
});

describe('Vapi transfer-destination-request', () => {
  const request = (callSid: string) => ({
    message: {
      type: 'transfer-destination-request',
      timestamp: 1_700_000_000_000,
      call: { id: callSid, type: 'inboundPhoneCall' },
    },
  });

  test('answers with the transfer destination the call chose last, else the first configured number', async () => {
    await t.app.services.prisma.assistant.update({
      where: { id: wired.assistantId },
      data: {
        toolsSettings: {
          enabled_tools: ['end_call'],
          transfer_call: {
            enabled: true,
            message: 'Connecting you now.',
            transfer_numbers: [
              { name: 'Sales', number: '+15550001111', description: 'new orders' },
              { name: 'Support', number: '+15550002222', description: 'problems' },
            ],
          },
        },
      },
    });
    const first = await postVapi(request('vapi-transfer-1'));
    expect(first).toEqual({
      status: 200,
      body: {
        destination: {
          type: 'number',
          number: '+15550001111',
          message: 'Connecting you now.',
          description: 'new orders',
        },
      },
    });

    const chosen = await postVapi({
      message: {
        type: 'tool-calls',
        toolCallList: [{ id: 'transfer-1', name: 'transferCall', arguments: { destination: 'Support' } }],
        call: { id: 'vapi-transfer-2', type: 'inboundPhoneCall' },
      },
    });
    expect(JSON.parse((chosen.body.results as Array<{ result: string }>)[0]!.result)).toMatchObject({
      data: { number: '+15550002222' },
    });
    const second = await postVapi(request('vapi-transfer-2'));
    expect(second.body).toMatchObject({ destination: { type: 'number', number: '+15550002222' } });
  });

  test('an assistant without transfer destinations answers with an error Vapi speaks around', async () => {
    await t.app.services.prisma.assistant.update({
      where: { id: wired.assistantId },
      data: { toolsSettings: { enabled_tools: ['end_call'] } },
    });
    const { status, body } = await postVapi(request('vapi-transfer-3'));
    expect(status).toBe(200);
    expect(body).toEqual({ error: expect.stringContaining('No transfer destinations') });
  });
});
