import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import {
  callId,
  createToolVia,
  lookupOrderInput,
  startUpstream,
  wireAssistant,
  type Upstream,
  type WiredAssistant,
} from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Acme');
  other = await createOrganization(t.app.services.prisma, 'Other');
  wired = await wireAssistant(t, org, upstream.url);
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const DEFINITIONS = `query ($id: ID!, $context: TriggerContext) {
  assistantToolDefinitions(assistantId: $id, context: $context) { type name function messages source toolId }
}`;
const HANDLE = `mutation ($input: HandleToolCallsInput!) { handleToolCalls(input: $input) {
  __typename
  ... on HandleToolCallsPayload { messages outcomes { toolCallId name ok status executionId error } }
  ... on NotFoundError { entity }
  ... on ValidationError { issues { field message } }
} }`;

type Definition = {
  type: string;
  name: string;
  function: { name: string; description: string; parameters: unknown };
  messages: unknown;
  source: string;
};
type ToolMessage = { role: string; tool_call_id: string; content: string };

function toolCall(name: string, args: unknown, id = callId()) {
  return {
    id,
    type: 'function',
    function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
  };
}

async function handle(
  toolCalls: unknown,
  key = org.keys.MEMBER,
  assistantId = wired.assistantId,
  context: Record<string, unknown> = {},
) {
  const response = await t.gql<{
    handleToolCalls: { __typename: string; messages: ToolMessage[]; outcomes: Array<Record<string, unknown>> };
  }>(HANDLE, { input: { assistantId, toolCalls, context } }, { apiKey: key });
  return response;
}

describe('assistantToolDefinitions', () => {
  test('OpenAI definitions in execution order, only runnable tools, override and messages applied, built-ins last', async () => {
    const response = await t.gql<{ assistantToolDefinitions: Definition[] }>(
      DEFINITIONS,
      { id: wired.assistantId },
      { apiKey: org.keys.VIEWER },
    );
    const definitions = response.data!.assistantToolDefinitions;
    expect(definitions.map((d) => d.name)).toEqual(['broken_tool', 'lookup_order', 'endCall', 'transferCall']);
    const lookup = definitions[1]!;
    expect(lookup).toMatchObject({
      type: 'function',
      source: 'TOOL',
      function: {
        name: 'lookup_order',
        description: 'Look up the status of an order (front desk wording)',
        parameters: { type: 'object', required: ['order_id'] },
      },
      messages: {
        requestStart: 'Checking your order.',
        requestDelayed: { message: 'Still looking.', afterMs: 2000 },
        requestComplete: 'Found it.',
      },
    });
    expect(definitions[3]!.function.description).toContain('Sales');
  });

  test('the context filters tools by their allowed contexts', async () => {
    const response = await t.gql<{ assistantToolDefinitions: Definition[] }>(
      DEFINITIONS,
      { id: wired.assistantId, context: 'SMS' },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.data!.assistantToolDefinitions.map((d) => d.name)).toContain('sms_only');
  });

  test('another organization sees null, exactly like an unknown id', async () => {
    const cross = await t.gql(DEFINITIONS, { id: wired.assistantId }, { apiKey: other.keys.OWNER });
    const unknown = await t.gql(
      DEFINITIONS,
      { id: '00000000-0000-4000-8000-000000000000' },
      { apiKey: org.keys.OWNER },
    );
    expect(cross.data).toEqual({ assistantToolDefinitions: null });
    expect(unknown.data).toEqual({ assistantToolDefinitions: null });
  });

  test('GET /v1/assistants/:id/tools gives the OpenAI tools array and the messages by name', async () => {
    const response = await fetch(`${t.url}/v1/assistants/${wired.assistantId}/tools?context=call`, {
      headers: { authorization: `Bearer ${org.keys.VIEWER}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      tools: Array<{ type: string; function: { name: string } }>;
      messages: Record<string, unknown>;
    };
    expect(body.tools.map((tool) => tool.function.name)).toEqual([
      'broken_tool',
      'lookup_order',
      'endCall',
      'transferCall',
    ]);
    expect(Object.keys(body.tools[0]!)).toEqual(['type', 'function']);
    expect(body.messages.lookup_order).toMatchObject({ requestStart: 'Checking your order.' });
  });

  test('REST refuses missing or bad keys, bad contexts and other organizations', async () => {
    const url = `${t.url}/v1/assistants/${wired.assistantId}/tools`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer sb_nope' } })).status).toBe(401);
    expect(
      (await fetch(`${url}?context=pager`, { headers: { authorization: `Bearer ${org.keys.VIEWER}` } })).status,
    ).toBe(400);
    expect((await fetch(url, { headers: { authorization: `Bearer ${other.keys.OWNER}` } })).status).toBe(404);
  });
});

describe('handleToolCalls', () => {
  test('runs calls in parallel and answers one tool message per call, in order', async () => {
    const ids = [callId(), callId()];
    const started = Date.now();
    const response = await handle([
      toolCall('lookup_order', { order_id: 'A-1' }, ids[0]),
      toolCall('lookup_order', { order_id: 'B-2' }, ids[1]),
    ]);
    expect(response.errors).toBeUndefined();
    const { messages, outcomes } = response.data!.handleToolCalls;
    expect(messages.map((m) => [m.role, m.tool_call_id])).toEqual([
      ['tool', ids[0]],
      ['tool', ids[1]],
    ]);
    expect(JSON.parse(messages[0]!.content)).toMatchObject({ success: true, data: { id: 'A-1', status: 'shipped' } });
    expect(JSON.parse(messages[1]!.content)).toMatchObject({ data: { id: 'B-2' } });
    expect(outcomes.every((o) => o.status === 'SUCCESS' && o.executionId)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('malformed arguments, unknown tools and failing tools become explanatory messages', async () => {
    const response = await handle([
      toolCall('lookup_order', '{"order_id": '),
      toolCall('no_such_tool', {}),
      toolCall('broken_tool', {}),
      toolCall('lookup_order', { wrong: 1 }),
      toolCall('lookup_order', '[1,2]'),
      toolCall('switched_off', {}),
      toolCall('lookup_order', { order_id: 'C-3' }),
    ]);
    expect(response.errors).toBeUndefined();
    const contents = response.data!.handleToolCalls.messages.map(
      (m) => JSON.parse(m.content) as { success: boolean; error?: string },
    );
    expect(contents[0]).toMatchObject({ success: false, error: expect.stringContaining('not valid JSON') });
    expect(contents[1]!.error).toMatch(
      /no tool named "no_such_tool".*Available tools: broken_tool, lookup_order, endCall, transferCall/,
    );
    expect(contents[2]).toMatchObject({ success: false, error: expect.stringMatching(/500|failed|error/i) });
    expect(contents[3]).toMatchObject({ success: false });
    expect(contents[4]!.error).toContain('must be a JSON object');
    expect(contents[5]!.error).toContain('disabled for this assistant');
    expect(contents[6]).toMatchObject({ success: true });
  });

  test('built-ins run from the legacy settings', async () => {
    const response = await handle([
      toolCall('transferCall', { destination: 'Sales' }),
      toolCall('endCall', { reason: 'done' }),
    ]);
    const [transfer, end] = response.data!.handleToolCalls.messages.map((m) => JSON.parse(m.content));
    expect(transfer).toMatchObject({ success: true, data: { action: 'transfer_call', number: '+15550001111' } });
    expect(end).toMatchObject({ success: true, data: { action: 'end_call' } });
  });

  test('the call context creates a Call row the executions link to', async () => {
    const response = await handle([toolCall('lookup_order', { order_id: 'D-4' })], org.keys.MEMBER, wired.assistantId, {
      callSid: 'CA-openai-1',
      from: '+15551230000',
      to: '+15559870000',
    });
    const executionId = response.data!.handleToolCalls.outcomes[0]!.executionId as string;
    const row = await t.app.services.prisma.toolExecution.findUniqueOrThrow({
      where: { id: executionId },
      include: { call: true },
    });
    expect(row.call).toMatchObject({
      callSid: 'CA-openai-1',
      fromNumber: '+15551230000',
      toNumber: '+15559870000',
      assistantId: wired.assistantId,
    });
  });

  test('POST /v1/assistants/:id/tool-calls takes tool_calls and returns messages', async () => {
    const id = callId();
    const response = await fetch(`${t.url}/v1/assistants/${wired.assistantId}/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        tool_calls: [toolCall('lookup_order', { order_id: 'E-5' }, id), toolCall('nope', '{}')],
        context: { call_sid: 'CA-rest-1' },
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { messages: ToolMessage[] };
    expect(body.messages[0]).toMatchObject({ role: 'tool', tool_call_id: id });
    expect(JSON.parse(body.messages[1]!.content).error).toContain('no tool named');
  });

  test('refuses viewers, other organizations and envelopes that are not a tool_calls array', async () => {
    const viewer = await handle([toolCall('lookup_order', { order_id: 'x' })], org.keys.VIEWER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const cross = await handle([toolCall('lookup_order', { order_id: 'x' })], other.keys.OWNER);
    expect(cross.data!.handleToolCalls).toMatchObject({ __typename: 'NotFoundError' });
    const bad = await handle({ not: 'an array' });
    expect(bad.data!.handleToolCalls.__typename).toBe('ValidationError');
    const rest = await fetch(`${t.url}/v1/assistants/${wired.assistantId}/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.VIEWER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rest.status).toBe(403);
    const count = await t.app.services.prisma.toolExecution.count({ where: { organizationId: other.id } });
    expect(count).toBe(0);
  });
});

describe('feature flags', () => {
  const SET_FLAG = `mutation ($input: SetFeatureFlagInput!) { setFeatureFlag(input: $input) { featureFlags } }`;

  test('a disabled type cannot be created or run, and disappears from the definitions', async () => {
    const flags = await createOrganization(t.app.services.prisma, 'Flags');
    const toolId = await createToolVia(t, flags.keys.MEMBER, lookupOrderInput(upstream.url, 'flagged_lookup'));
    const member = await t.gql(
      SET_FLAG,
      { input: { toolType: 'ENDPOINT', enabled: false } },
      { apiKey: flags.keys.MEMBER },
    );
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await t.gql<{ setFeatureFlag: { featureFlags: unknown } }>(
      SET_FLAG,
      { input: { toolType: 'ENDPOINT', enabled: false } },
      { apiKey: flags.keys.ADMIN },
    );
    expect(set.data!.setFeatureFlag.featureFlags).toEqual({ ENDPOINT: false });

    const created = await t.gql<{ createTool: { __typename: string; feature?: string } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on FeatureDisabledError { feature message } } }`,
      { input: lookupOrderInput(upstream.url, 'refused_lookup') },
      { apiKey: flags.keys.MEMBER },
    );
    expect(created.data!.createTool).toMatchObject({ __typename: 'FeatureDisabledError', feature: 'ENDPOINT' });

    const run = await t.gql<{ testTool: { __typename: string } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on Error { message } } }`,
      { input: { toolId, parameters: { order_id: '1' } } },
      { apiKey: flags.keys.MEMBER },
    );
    expect(run.data!.testTool).toMatchObject({
      __typename: 'FeatureDisabledError',
      message: 'ENDPOINT tools are not enabled for this organization',
    });
    expect(await t.app.services.prisma.toolExecution.count({ where: { organizationId: flags.id } })).toBe(0);

    const assistant = await t.gql<{ createAssistant: { id: string } }>(
      `mutation { createAssistant(input: { name: "Flagged" }) { ... on Assistant { id } } }`,
      {},
      { apiKey: flags.keys.ADMIN },
    );
    const assistantId = assistant.data!.createAssistant.id;
    await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId, toolId } },
      { apiKey: flags.keys.ADMIN },
    );
    const defs = await t.gql<{ assistantToolDefinitions: Definition[] }>(
      DEFINITIONS,
      { id: assistantId },
      { apiKey: flags.keys.VIEWER },
    );
    expect(defs.data!.assistantToolDefinitions).toEqual([]);
    const call = await handle([toolCall('flagged_lookup', { order_id: '1' })], flags.keys.MEMBER, assistantId);
    expect(JSON.parse(call.data!.handleToolCalls.messages[0]!.content).error).toContain('not enabled');

    await t.gql(SET_FLAG, { input: { toolType: 'ENDPOINT', enabled: true } }, { apiKey: flags.keys.OWNER });
    const again = await handle([toolCall('flagged_lookup', { order_id: '1' })], flags.keys.MEMBER, assistantId);
    expect(JSON.parse(again.data!.handleToolCalls.messages[0]!.content)).toMatchObject({ success: true });
  });
});

describe('spoken messages', () => {
  test('are validated on tools and assignments', async () => {
    const response = await t.gql<{ createTool: { __typename: string; issues: Array<{ field: string }> } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on ValidationError { issues { field message } } } }`,
      {
        input: {
          ...lookupOrderInput(upstream.url, 'bad_messages'),
          messages: { requestDelayed: { message: 'x', afterMs: -1 }, shout: 'hi' },
        },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(response.data!.createTool.__typename).toBe('ValidationError');
    expect(response.data!.createTool.issues.map((issue) => issue.field).sort()).toEqual([
      'messages.requestDelayed.afterMs',
      'messages.shout',
    ]);
    const assignment = await t.gql<{ configureToolAssignment: { __typename: string } }>(
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { __typename } }`,
      { input: { assignmentId: wired.assignments.broken_tool, messages: { requestStart: '' } } },
      { apiKey: org.keys.ADMIN },
    );
    expect(assignment.data!.configureToolAssignment.__typename).toBe('ValidationError');
  });
});

describe('legacy custom_tools', () => {
  const MIGRATE = `mutation ($input: AssistantIdInput!) { migrateLegacyToolSettings(input: $input) {
    __typename ... on LegacyMigrationReport { created reused skipped { name reason } } ... on NotFoundError { entity }
  } }`;

  test('become tools and assignments, idempotently, preserving their configuration', async () => {
    const legacy = await createOrganization(t.app.services.prisma, 'Legacy');
    const settings = {
      end_call: { enabled: true },
      custom_tools: [
        {
          name: 'legacy_seed',
          description: 'Seed style',
          url: `${upstream.url}/orders/\${parameters.order_id}`,
          method: 'GET',
          parameters: { type: 'object', properties: { order_id: { type: 'string' } } },
          timeout: 7,
        },
        {
          type: 'function',
          function: { name: 'legacy_vapi', description: 'Vapi style', parameters: { type: 'object', properties: {} } },
          server: { url: `${upstream.url}/orders/v` },
        },
        {
          name: 'legacy_typed',
          type: 'code',
          configuration: {
            runtime: 'javascript',
            code: 'export default async function execute() { return { success: true, message: "hi", data: null }; }',
          },
          enabled: false,
        },
        { name: 'has spaces', url: 'https://example.com' },
      ],
    };
    const created = await t.gql<{ createAssistant: { id: string } }>(
      `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { ... on Assistant { id } } }`,
      { input: { name: 'Old bot', toolsSettings: settings } },
      { apiKey: legacy.keys.ADMIN },
    );
    const assistantId = created.data!.createAssistant.id;
    const first = await t.gql<{
      migrateLegacyToolSettings: { created: string[]; reused: string[]; skipped: Array<{ name: string }> };
    }>(MIGRATE, { input: { assistantId } }, { apiKey: legacy.keys.ADMIN });
    expect(first.data!.migrateLegacyToolSettings).toMatchObject({
      created: ['legacy_seed', 'legacy_vapi', 'legacy_typed'],
      reused: [],
      skipped: [{ name: 'has spaces' }],
    });
    const second = await t.gql<{ migrateLegacyToolSettings: { created: string[]; reused: string[] } }>(
      MIGRATE,
      { input: { assistantId } },
      { apiKey: legacy.keys.ADMIN },
    );
    expect(second.data!.migrateLegacyToolSettings).toMatchObject({
      created: [],
      reused: ['legacy_seed', 'legacy_vapi', 'legacy_typed'],
    });

    const tools = await t.app.services.prisma.tool.findMany({
      where: { organizationId: legacy.id },
      include: { assignments: true },
      orderBy: { name: 'asc' },
    });
    expect(tools).toHaveLength(3);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(byName.legacy_seed).toMatchObject({
      type: 'ENDPOINT',
      timeoutSeconds: 7,
      configuration: { url: `${upstream.url}/orders/\${parameters.order_id}`, method: 'GET' },
    });
    expect(byName.legacy_vapi!.configuration).toMatchObject({ method: 'POST', body_template: '${parameters}' });
    expect(byName.legacy_typed!.assignments[0]!.enabled).toBe(false);
    expect(tools.every((tool) => tool.assignments.length === 1)).toBe(true);

    const defs = await t.gql<{ assistantToolDefinitions: Definition[] }>(
      DEFINITIONS,
      { id: assistantId },
      { apiKey: legacy.keys.VIEWER },
    );
    expect(defs.data!.assistantToolDefinitions.map((d) => d.name)).toEqual(['legacy_seed', 'legacy_vapi', 'endCall']);
    const run = await handle([toolCall('legacy_seed', { order_id: 'L-1' })], legacy.keys.MEMBER, assistantId);
    expect(JSON.parse(run.data!.handleToolCalls.messages[0]!.content)).toMatchObject({
      success: true,
      data: { id: 'L-1' },
    });

    const cross = await t.gql<{ migrateLegacyToolSettings: { __typename: string } }>(
      MIGRATE,
      { input: { assistantId } },
      { apiKey: other.keys.OWNER },
    );
    expect(cross.data!.migrateLegacyToolSettings.__typename).toBe('NotFoundError');
  });
});
