/**
 * The ElevenLabs webhook-tool endpoint driven the way ElevenLabs calls it: the
 * exported tool config is read back, its `request_body_schema` filled like the
 * LLM would and its `request_headers` resolved like ElevenLabs does (workspace
 * secret, system dynamic variables), then POSTed to its `api_schema.url`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import {
  serverSecret,
  startUpstream,
  wireAssistant,
  type Upstream,
  type WiredAssistant,
} from '../helpers/integrations.ts';

type HeaderValue = string | { secret_id: string } | { variable_name: string };
interface WebhookTool {
  type: 'webhook';
  name: string;
  api_schema: {
    url: string;
    method: string;
    request_body_schema: { properties: Record<string, unknown>; required?: string[] };
    request_headers: Record<string, HeaderValue>;
  };
}

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;
let otherWired: WiredAssistant;
let secret: string;
let tools: Record<string, WebhookTool>;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'ElevenLabs');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  wired = await wireAssistant(t, org, upstream.url);
  otherWired = await wireAssistant(t, other, upstream.url);
  secret = await serverSecret(t, org, wired.assistantId);
  await serverSecret(t, other, otherWired.assistantId);
  const response = await fetch(
    `${t.url}/v1/assistants/${wired.assistantId}/export/elevenlabs?secret_id=workspace_secret_1`,
    { headers: { authorization: `Bearer ${org.keys.VIEWER}` } },
  );
  const exported = (await response.json()) as { tools: Array<WebhookTool | { type: 'system' }> };
  tools = Object.fromEntries(
    exported.tools.filter((tool): tool is WebhookTool => tool.type === 'webhook').map((tool) => [tool.name, tool]),
  );
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

/** What ElevenLabs sends: each header resolved from its workspace secrets and the conversation's variables. */
function resolvedHeaders(
  tool: WebhookTool,
  variables: Record<string, string>,
  secrets: Record<string, string> = { workspace_secret_1: secret },
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(tool.api_schema.request_headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if ('secret_id' in value) headers[name] = secrets[value.secret_id] ?? '';
    else if (variables[value.variable_name] !== undefined) headers[name] = variables[value.variable_name]!;
  }
  return headers;
}

const phoneCall = {
  system__conversation_id: 'conv_01jxk2',
  system__call_sid: 'CA1234567890abcdef',
  system__caller_id: '+15551112222',
  system__called_number: '+15553334444',
};

async function call(tool: WebhookTool, body: string, headers: Record<string, string>, url = tool.api_schema.url) {
  const response = await fetch(url, { method: tool.api_schema.method, headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('ElevenLabs webhook tools', () => {
  test('the body the api_schema describes runs the tool, and the system variables link a Call', async () => {
    const tool = tools.lookup_order!;
    expect(tool.api_schema.request_body_schema.required).toEqual(['order_id']);
    const { status, body } = await call(tool, JSON.stringify({ order_id: 'E-1' }), resolvedHeaders(tool, phoneCall));
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, data: { id: 'E-1', status: 'shipped' } });
    const linked = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: org.id, callSid: 'conv_01jxk2' } },
      include: { executions: true },
    });
    expect(linked).toMatchObject({
      platform: 'ELEVENLABS',
      assistantId: wired.assistantId,
      fromNumber: '+15551112222',
      toNumber: '+15553334444',
    });
    expect(linked.executions.map((execution) => execution.toolName)).toEqual(['lookup_order']);
  });

  test('unresolved or missing variables are left out; a web conversation is linked by its id alone', async () => {
    const tool = tools.lookup_order!;
    const headers = resolvedHeaders(tool, { system__conversation_id: 'conv_web_1' });
    headers['X-ElevenLabs-Call-Sid'] = '{{system__call_sid}}';
    const { status, body } = await call(tool, JSON.stringify({ order_id: 'E-2' }), headers);
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true });
    const linked = await t.app.services.prisma.call.findUniqueOrThrow({
      where: { organizationId_callSid: { organizationId: org.id, callSid: 'conv_web_1' } },
    });
    expect(linked).toMatchObject({ platform: 'ELEVENLABS', fromNumber: null, toNumber: null });
  });

  test('a tool without parameters may be called with no body at all', async () => {
    const tool = tools.lookup_order!;
    const url = tool.api_schema.url.replace(/lookup_order$/, 'endCall');
    const { status, body } = await call(tool, '', resolvedHeaders(tool, phoneCall), url);
    expect(status).toBe(200);
    expect(body).toMatchObject({ success: true, data: { action: 'end_call' } });
  });

  test('an unknown tool, bad arguments and a failing tool answer HTTP 200 with an explanatory error', async () => {
    const tool = tools.lookup_order!;
    const headers = resolvedHeaders(tool, phoneCall);
    const unknown = await call(tool, '{}', headers, tool.api_schema.url.replace(/lookup_order$/, 'summon_dragon'));
    expect(unknown.status).toBe(200);
    expect(unknown.body.error).toMatch(/no tool named "summon_dragon".*Available tools: .*lookup_order/);
    const missing = await call(tool, '{}', headers);
    expect(missing).toMatchObject({ status: 200, body: { error: expect.stringContaining('order_id') } });
    const broken = tools.broken_tool!;
    const failed = await call(broken, '{}', resolvedHeaders(broken, phoneCall));
    expect(failed.status).toBe(200);
    expect(typeof failed.body.error).toBe('string');
  });

  test('a wrong secret and an unknown assistant are the same 401; malformed JSON is a 400', async () => {
    const tool = tools.lookup_order!;
    const wrong = await call(
      tool,
      JSON.stringify({ order_id: 'E-3' }),
      resolvedHeaders(tool, phoneCall, { workspace_secret_1: 'sbs_wrong' }),
    );
    const elsewhere = await call(
      tool,
      JSON.stringify({ order_id: 'E-3' }),
      resolvedHeaders(tool, phoneCall),
      tool.api_schema.url.replace(wired.assistantId, otherWired.assistantId),
    );
    const nobody = await call(
      tool,
      JSON.stringify({ order_id: 'E-3' }),
      resolvedHeaders(tool, phoneCall),
      tool.api_schema.url.replace(wired.assistantId, '00000000-0000-4000-8000-000000000000'),
    );
    expect(wrong.status).toBe(401);
    expect(elsewhere).toEqual(wrong);
    expect(nobody).toEqual(wrong);
    expect(upstream.requests.some((request) => request.url.endsWith('/E-3'))).toBe(false);
    const malformed = await call(tool, '{"order_id":', resolvedHeaders(tool, phoneCall));
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const bearer = await call(tool, JSON.stringify({ order_id: 'E-4' }), {
      'content-type': 'application/json',
      authorization: `Bearer ${secret}`,
    });
    expect(bearer).toMatchObject({ status: 200, body: { success: true } });
  });
});
