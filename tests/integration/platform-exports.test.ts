/**
 * One definition, every platform: a wired assistant's tools exported over REST
 * and GraphQL for Vapi, Retell, ElevenLabs, OpenAI and MCP — URLs, spoken
 * messages, timeouts, async tools, strict, built-ins — and never a secret.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import {
  createToolVia,
  serverSecret,
  startUpstream,
  wireAssistant,
  type Upstream,
  type WiredAssistant,
} from '../helpers/integrations.ts';

type Json = Record<string, unknown>;
type Export = { platform: string; endpoint: string; authentication: string; notes: string[]; tools: Json[] } & Json;

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;
let otherWired: WiredAssistant;
let secret: string;

const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename ... on ToolAssignment { id } ... on Error { message } } }`;
const EXPORT = `query ($assistantId: ID!, $platform: ToolExportPlatform!, $baseUrl: String) {
  assistantToolExport(assistantId: $assistantId, platform: $platform, baseUrl: $baseUrl) }`;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Exports');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  wired = await wireAssistant(t, org, upstream.url);
  otherWired = await wireAssistant(t, other, upstream.url);
  // An async tool with retries: platforms must wait for every attempt.
  const ticket = await createToolVia(t, org.keys.MEMBER, {
    name: 'create_ticket',
    type: 'ENDPOINT',
    timeoutSeconds: 10,
    retryAttempts: 1,
    configuration: { url: `${upstream.url}/tickets`, method: 'POST', execution_mode: 'async' },
    functionDefinition: {
      name: 'create_ticket',
      description: 'Open a support ticket',
      parameters: {
        type: 'object',
        properties: {
          topic: { type: 'string', description: 'What it is about' },
          urgency: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
        },
        required: ['topic'],
      },
    },
  });
  const assigned = await t.gql<{ assignTool: { __typename: string } }>(
    ASSIGN,
    { input: { assistantId: wired.assistantId, toolId: ticket, enabled: true } },
    { apiKey: org.keys.ADMIN },
  );
  expect(assigned.data?.assignTool.__typename).toBe('ToolAssignment');
  secret = await serverSecret(t, org, wired.assistantId);
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

async function rest(path: string, key = org.keys.VIEWER): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as Json };
}

async function exported(platform: string, query = ''): Promise<Export> {
  const { status, body } = await rest(`/v1/assistants/${wired.assistantId}/export/${platform}${query}`);
  expect(status).toBe(200);
  expect(JSON.stringify(body)).not.toContain(secret);
  return body as Export;
}

const byName = (tools: Json[]) => Object.fromEntries(tools.map((tool) => [String(tool.name ?? tool.type), tool]));

describe('Vapi', () => {
  test('function tools point at the assistant’s Vapi server URL with its messages; built-ins are Vapi’s own', async () => {
    const body = await exported('vapi');
    expect(body.endpoint).toBe(`${t.url}/v1/vapi/${wired.assistantId}`);
    expect(body.authentication).toMatch(/credential/i);
    const tools = Object.fromEntries(
      body.tools.map((tool) => [String((tool.function as Json | undefined)?.name ?? tool.type), tool]),
    );
    expect(Object.keys(tools).sort()).toEqual([
      'broken_tool',
      'create_ticket',
      'endCall',
      'lookup_order',
      'transferCall',
    ]);
    expect(tools.lookup_order).toEqual({
      type: 'function',
      function: {
        name: 'lookup_order',
        description: 'Look up the status of an order (front desk wording)',
        parameters: {
          type: 'object',
          properties: { order_id: { type: 'string' } },
          required: ['order_id'],
          additionalProperties: false,
        },
        strict: true,
      },
      server: { url: `${t.url}/v1/vapi/${wired.assistantId}`, timeoutSeconds: 32 },
      messages: [
        { type: 'request-start', content: 'Checking your order.' },
        { type: 'request-response-delayed', content: 'Still looking.', timingMilliseconds: 2000 },
        { type: 'request-complete', content: 'Found it.' },
      ],
    });
    expect(tools.create_ticket).toMatchObject({ async: true, server: { timeoutSeconds: 22 } });
    expect(tools.broken_tool).not.toHaveProperty('async');
    expect(tools.transferCall).toMatchObject({
      destinations: [{ type: 'number', number: '+15550001111', description: 'new orders' }],
    });
    expect(body.notes.join(' ')).toContain('create_ticket: urgency');
  });
});

describe('Retell', () => {
  test('custom functions get per-tool URLs, the start message as static text and the timeout in ms', async () => {
    const body = await exported('retell');
    const tools = byName(body.tools);
    expect(tools.lookup_order).toEqual({
      type: 'custom',
      name: 'lookup_order',
      description: 'Look up the status of an order (front desk wording)',
      url: `${t.url}/v1/retell/${wired.assistantId}/lookup_order`,
      method: 'POST',
      speak_during_execution: true,
      execution_message_description: 'Checking your order.',
      execution_message_type: 'static_text',
      speak_after_execution: true,
      timeout_ms: 32_000,
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    });
    expect(tools.broken_tool).toMatchObject({ speak_during_execution: false });
    expect(tools.endCall).toMatchObject({ type: 'end_call' });
    expect(tools.transferCall).toMatchObject({
      type: 'transfer_call',
      transfer_destination: { type: 'predefined', number: '+15550001111' },
    });
    expect(body.notes.join(' ')).toContain('lookup_order');
  });
});

describe('ElevenLabs', () => {
  test('webhook tools carry the URL, body schema, secret reference, system variables and async mode', async () => {
    const body = await exported('elevenlabs', '?secret_id=sec_123');
    const tools = byName(body.tools);
    expect(tools.lookup_order).toMatchObject({
      type: 'webhook',
      response_timeout_secs: 32,
      pre_tool_speech: 'force',
      execution_mode: 'immediate',
      api_schema: {
        url: `${t.url}/v1/elevenlabs/${wired.assistantId}/lookup_order`,
        method: 'POST',
        request_body_schema: {
          type: 'object',
          properties: { order_id: { type: 'string', description: 'order_id' } },
          required: ['order_id'],
        },
        request_headers: {
          'X-Switchboard-Secret': { secret_id: 'sec_123' },
          'X-ElevenLabs-Conversation-Id': { variable_name: 'system__conversation_id' },
          'X-ElevenLabs-Caller-Id': { variable_name: 'system__caller_id' },
          'X-ElevenLabs-Called-Number': { variable_name: 'system__called_number' },
          'X-ElevenLabs-Call-Sid': { variable_name: 'system__call_sid' },
        },
      },
    });
    expect(tools.create_ticket).toMatchObject({ execution_mode: 'async', pre_tool_speech: 'auto' });
    expect(tools.end_call).toEqual({
      type: 'system',
      name: 'end_call',
      description: expect.any(String),
      params: { system_tool_type: 'end_call' },
    });
    expect(tools.transfer_to_number).toMatchObject({
      params: {
        system_tool_type: 'transfer_to_number',
        transfers: [
          { transfer_destination: { type: 'phone', phone_number: '+15550001111' }, condition: 'Sales: new orders' },
        ],
      },
    });
  });

  test('without a secret id the reference is a placeholder the authentication note names', async () => {
    const body = await exported('elevenlabs');
    const webhook = body.tools.find((tool) => tool.type === 'webhook') as { api_schema: { request_headers: Json } };
    expect(webhook.api_schema.request_headers['X-Switchboard-Secret']).toEqual({
      secret_id: 'SWITCHBOARD_SERVER_SECRET_ID',
    });
    expect(body.authentication).toContain('SWITCHBOARD_SERVER_SECRET_ID');
  });
});

describe('OpenAI and MCP', () => {
  test('OpenAI gets Chat Completions and Responses tools, built-ins included, and the tool-calls endpoint', async () => {
    const body = await exported('openai');
    expect(body.endpoint).toBe(`${t.url}/v1/assistants/${wired.assistantId}/tool-calls`);
    const names = body.tools.map((tool) => (tool.function as Json).name);
    expect(names).toEqual(expect.arrayContaining(['lookup_order', 'create_ticket', 'endCall', 'transferCall']));
    expect(names).not.toContain('sms_only');
    expect(body.tools.find((tool) => (tool.function as Json).name === 'lookup_order')).toMatchObject({
      function: { strict: true, parameters: { additionalProperties: false } },
    });
    expect(body.responsesTools).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'function', name: 'lookup_order', strict: true })]),
    );
    expect(body.messages).toMatchObject({ lookup_order: { requestComplete: 'Found it.' } });
  });

  test('MCP names its endpoint and lists the tools with input schemas', async () => {
    const body = await exported('mcp');
    expect(body).toMatchObject({ endpoint: `${t.url}/mcp/${wired.assistantId}`, transport: 'streamable-http' });
    expect(byName(body.tools).lookup_order).toMatchObject({ inputSchema: { type: 'object', required: ['order_id'] } });
  });
});

describe('the export API', () => {
  test('GraphQL gives what REST gives; a base URL moves every URL under it', async () => {
    const response = await t.gql<{ assistantToolExport: Export }>(
      EXPORT,
      { assistantId: wired.assistantId, platform: 'VAPI', baseUrl: 'https://switchboard.example.com/voice/' },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.errors).toBeUndefined();
    const viaRest = await exported('vapi', '?base_url=https://switchboard.example.com/voice');
    expect(response.data!.assistantToolExport).toEqual(viaRest);
    expect(viaRest.endpoint).toBe(`https://switchboard.example.com/voice/v1/vapi/${wired.assistantId}`);
    expect(await exported('VAPI', '')).toEqual(await exported('vapi'));
    const byFormat = await rest(`/v1/assistants/${wired.assistantId}/export?format=retell`);
    expect(byFormat).toEqual({ status: 200, body: await exported('retell') });
  });

  test('openai-chat and openai-responses give the OpenAI tools in the one form each API takes', async () => {
    const openai = await exported('openai');
    const chat = await rest(`/v1/assistants/${wired.assistantId}/export?format=openai-chat`);
    const responses = await rest(`/v1/assistants/${wired.assistantId}/export?format=openai-responses`);
    expect(chat.status).toBe(200);
    expect(responses.status).toBe(200);
    expect(chat.body).toMatchObject({ platform: 'openai-chat', tools: openai.tools });
    expect(chat.body).not.toHaveProperty('responsesTools');
    expect(responses.body).toMatchObject({
      platform: 'openai-responses',
      tools: openai.responsesTools,
    });
    const viaGraphql = await t.gql<{ assistantToolExport: Export }>(
      EXPORT,
      { assistantId: wired.assistantId, platform: 'OPENAI_RESPONSES' },
      { apiKey: org.keys.VIEWER },
    );
    expect(viaGraphql.data!.assistantToolExport.tools).toEqual(responses.body.tools);
  });

  test("another organization's assistant is not found, exactly like a missing one", async () => {
    const response = await t.gql(
      EXPORT,
      { assistantId: otherWired.assistantId, platform: 'RETELL' },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const viaRest = await rest(`/v1/assistants/${otherWired.assistantId}/export/retell`);
    const missing = await rest(`/v1/assistants/00000000-0000-4000-8000-000000000000/export/retell`);
    expect(viaRest).toEqual({ status: 404, body: missing.body });
  });

  test('bad platforms, bad base URLs and missing keys are refused with typed errors', async () => {
    const unknown = await rest(`/v1/assistants/${wired.assistantId}/export/zoom`);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain(
      'vapi, retell, elevenlabs, openai, openai-chat, openai-responses, mcp',
    );
    const badBase = await rest(`/v1/assistants/${wired.assistantId}/export/vapi?base_url=ftp://x`);
    expect(badBase).toMatchObject({ status: 400, body: { error: { issues: [{ field: 'baseUrl' }] } } });
    const anonymous = await fetch(`${t.url}/v1/assistants/${wired.assistantId}/export/vapi`);
    expect(anonymous.status).toBe(401);
    const gqlBad = await t.gql(
      EXPORT,
      { assistantId: wired.assistantId, platform: 'VAPI', baseUrl: 'https://user:pw@x.example' },
      { apiKey: org.keys.VIEWER },
    );
    expect(gqlBad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
