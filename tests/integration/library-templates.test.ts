/** Templates, the public marketplace and replay, over the GraphQL API. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../server/library/templates.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { createToolVia, lookupOrderInput, startUpstream, type Upstream } from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', SWITCHBOARD_PYTHON_POOL_SIZE: '1' });
  org = await createOrganization(t.app.services.prisma, 'Author Co');
  other = await createOrganization(t.app.services.prisma, 'Installer Inc');
}, 120_000);
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const FROM_TEMPLATE = `mutation ($input: CreateToolFromTemplateInput!) { createToolFromTemplate(input: $input) {
  __typename ... on Tool { id name type version configuration messages isTemplate isPublic } ... on Error { message } ... on ValidationError { issues { field message } }
} }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { id status outputResult errorMessage toolVersion triggerContext } } }`;

type ToolResult = { __typename: string; id: string; name: string; type: string; message?: string };

async function fromTemplate(templateId: string, name: string | null, key = org.keys.MEMBER): Promise<ToolResult> {
  const response = await t.gql<{ createToolFromTemplate: ToolResult }>(
    FROM_TEMPLATE,
    { input: { templateId, name } },
    { apiKey: key },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.createToolFromTemplate;
}

async function testTool(toolId: string, parameters: Record<string, unknown>, key = org.keys.MEMBER) {
  const response = await t.gql<{
    testTool: {
      status: string;
      outputResult: { success: boolean; message: string; data: Record<string, unknown> };
      id: string;
      toolVersion: number;
    };
  }>(TEST_TOOL, { input: { toolId, parameters } }, { apiKey: key });
  return response.data!.testTool;
}

describe('templates', () => {
  test('the built-in catalog has at least 8 tools across all three types, listed with required secrets', async () => {
    const response = await t.gql<{
      toolTemplates: Array<{ id: string; source: string; type: string; requiredSecrets: string[] }>;
    }>(
      `{ toolTemplates { id source category name displayName type configuration functionDefinition messages requiredSecrets } }`,
      {},
      { apiKey: org.keys.VIEWER },
    );
    const builtins = response.data!.toolTemplates.filter((template) => template.source === 'BUILTIN');
    expect(builtins.length).toBeGreaterThanOrEqual(8);
    expect(new Set(builtins.map((template) => template.type))).toEqual(new Set(['ENDPOINT', 'CODE', 'LAMBDA']));
    expect(builtins.find((template) => template.id === 'builtin:order-status')!.requiredSecrets).toEqual([
      'ORDERS_API_TOKEN',
      'ORDERS_API_URL',
    ]);
    expect(builtins.find((template) => template.id === 'builtin:sms-send')!.requiredSecrets).toEqual([
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_FROM_NUMBER',
    ]);
  });

  test('installing a template tells which of its secrets are missing, until they are set', async () => {
    const own = await createOrganization(t.app.services.prisma, 'Secret Step Co');
    const listed = await t.gql<{
      toolTemplates: Array<{
        id: string;
        secrets: Array<{ name: string; description: string; helpUrl: string; isSet: boolean }>;
      }>;
    }>(`{ toolTemplates { id secrets { name description helpUrl isSet } } }`, {}, { apiKey: own.keys.VIEWER });
    const twilio = listed.data!.toolTemplates.find((template) => template.id === 'builtin:sms-send')!;
    expect(twilio.secrets.map((secret) => [secret.name, secret.isSet])).toEqual([
      ['TWILIO_ACCOUNT_SID', false],
      ['TWILIO_AUTH_TOKEN', false],
      ['TWILIO_FROM_NUMBER', false],
    ]);
    expect(twilio.secrets[0]).toMatchObject({
      description: expect.stringContaining('Account SID'),
      helpUrl: expect.stringMatching(/^https:\/\/www\.twilio\.com\//),
    });

    const installed = await t.gql<{
      createToolFromTemplate: { __typename: string; id: string; missingSecrets: string[] };
    }>(
      `mutation ($input: CreateToolFromTemplateInput!) { createToolFromTemplate(input: $input) { __typename ... on Tool { id missingSecrets } } }`,
      { input: { templateId: 'builtin:sms-send' } },
      { apiKey: own.keys.MEMBER },
    );
    expect(installed.data!.createToolFromTemplate).toMatchObject({
      __typename: 'Tool',
      missingSecrets: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'],
    });
    const set = await t.gql(
      `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`,
      { input: { name: 'TWILIO_AUTH_TOKEN', value: 'tok' } },
      { apiKey: own.keys.ADMIN },
    );
    expect(set.errors).toBeUndefined();
    const after = await t.gql<{ tool: { missingSecrets: string[] } }>(
      `query ($id: ID!) { tool(id: $id) { missingSecrets } }`,
      { id: installed.data!.createToolFromTemplate.id },
      { apiKey: own.keys.VIEWER },
    );
    expect(after.data!.tool.missingSecrets).toEqual(['TWILIO_ACCOUNT_SID', 'TWILIO_FROM_NUMBER']);
    const relisted = await t.gql<{
      toolTemplates: Array<{ id: string; secrets: Array<{ name: string; isSet: boolean }> }>;
    }>(`{ toolTemplates { id secrets { name isSet } } }`, {}, { apiKey: own.keys.VIEWER });
    expect(relisted.data!.toolTemplates.find((template) => template.id === 'builtin:sms-send')!.secrets).toContainEqual(
      {
        name: 'TWILIO_AUTH_TOKEN',
        isSet: true,
      },
    );
  });

  test('every built-in template clones into a valid tool', async () => {
    for (const template of BUILTIN_TEMPLATES) {
      const tool = await fromTemplate(template.id, `tpl_${template.name}`);
      expect(tool, template.id).toMatchObject({
        __typename: 'Tool',
        name: `tpl_${template.name}`,
        type: template.type,
      });
    }
  }, 120_000);

  test('the code templates work as shipped (JavaScript and Python)', async () => {
    const hours = await fromTemplate('builtin:business-hours', 'hours_check');
    const open = await testTool(hours.id, { at: '2025-03-12T15:00:00Z' }); // a Wednesday, 10:00 at UTC-5
    expect(open).toMatchObject({
      status: 'SUCCESS',
      outputResult: { success: true, data: { open: true, day: 'Wednesday' } },
    });
    const closed = await testTool(hours.id, { at: '2025-03-16T15:00:00Z' }); // a Sunday
    expect(closed.outputResult).toMatchObject({ data: { open: false, opens_day: 'Monday' } });

    const slots = await fromTemplate('builtin:appointment-availability', null);
    const free = await testTool(slots.id, { date: '2025-03-15', duration_minutes: 60, booked: ['10:00'] });
    expect(free.outputResult).toMatchObject({ success: true, data: { slots: ['11:00', '12:00', '13:00'] } });

    const quote = await fromTemplate('builtin:quote-calculator', null);
    const priced = await testTool(quote.id, { weight_kg: 2, distance_km: 100, service: 'express' });
    expect(priced).toMatchObject({
      status: 'SUCCESS',
      outputResult: { success: true, data: { total: 23.1, currency: 'USD' } },
    });
  }, 120_000);

  test('organization tools marked isTemplate are templates for that organization only', async () => {
    const toolId = await createToolVia(t, org.keys.MEMBER, {
      ...lookupOrderInput(upstream.url, 'house_template'),
      isTemplate: true,
    });
    const mine = await t.gql<{ toolTemplates: Array<{ id: string; source: string }> }>(
      `{ toolTemplates { id source } }`,
      {},
      { apiKey: org.keys.VIEWER },
    );
    expect(mine.data!.toolTemplates).toContainEqual({ id: toolId, source: 'ORGANIZATION' });
    const theirs = await t.gql<{ toolTemplates: Array<{ id: string }> }>(
      `{ toolTemplates { id source } }`,
      {},
      { apiKey: other.keys.VIEWER },
    );
    expect(theirs.data!.toolTemplates.map((template) => template.id)).not.toContain(toolId);
    const clone = await fromTemplate(toolId, 'house_copy');
    expect(clone).toMatchObject({ __typename: 'Tool', name: 'house_copy', isTemplate: false });
    const cross = await fromTemplate(toolId, 'stolen', other.keys.MEMBER);
    expect(cross).toMatchObject({ __typename: 'NotFoundError' });
    expect(await fromTemplate('builtin:nope', null)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await fromTemplate('builtin:order-status', 'house_copy')).toMatchObject({ __typename: 'ConflictError' });
  });
});

describe('marketplace', () => {
  const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename ... on Tool { isPublic } ... on Error { message } } }`;
  const PUBLIC = `query ($search: String, $type: ToolType) { publicTools(search: $search, type: $type) { id name type version installCount authorOrganization requiredSecrets } }`;
  const INSTALL = `mutation ($input: InstallPublicToolInput!) { installPublicTool(input: $input) { __typename ... on Tool { id name isPublic } ... on Error { message } } }`;

  test('publishing needs ADMIN; other organizations find, read and install; installs are counted', async () => {
    const toolId = await createToolVia(t, org.keys.MEMBER, lookupOrderInput(upstream.url, 'market_lookup'));
    const byMember = await t.gql(UPDATE, { input: { id: toolId, isPublic: true } }, { apiKey: org.keys.MEMBER });
    expect(byMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const published = await t.gql<{ updateTool: { isPublic: boolean } }>(
      UPDATE,
      { input: { id: toolId, isPublic: true } },
      { apiKey: org.keys.ADMIN },
    );
    expect(published.data!.updateTool.isPublic).toBe(true);

    const listed = await t.gql<{
      publicTools: Array<{ id: string; authorOrganization: string; installCount: number; version: number }>;
    }>(PUBLIC, { search: 'MARKET_look', type: 'ENDPOINT' }, { apiKey: other.keys.VIEWER });
    expect(listed.data!.publicTools).toEqual([
      {
        id: toolId,
        name: 'market_lookup',
        type: 'ENDPOINT',
        version: 1,
        installCount: 0,
        authorOrganization: 'Author Co',
        requiredSecrets: [],
      },
    ]);
    const wrongType = await t.gql<{ publicTools: unknown[] }>(
      PUBLIC,
      { search: 'market_lookup', type: 'CODE' },
      { apiKey: other.keys.VIEWER },
    );
    expect(wrongType.data!.publicTools).toEqual([]);

    const installed = await t.gql<{
      installPublicTool: { __typename: string; id: string; name: string; isPublic: boolean };
    }>(INSTALL, { input: { toolId } }, { apiKey: other.keys.MEMBER });
    expect(installed.data!.installPublicTool).toMatchObject({
      __typename: 'Tool',
      name: 'market_lookup',
      isPublic: false,
    });
    const copy = await t.app.services.prisma.tool.findUniqueOrThrow({
      where: { id: installed.data!.installPublicTool.id },
    });
    expect(copy.organizationId).toBe(other.id);
    const source = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    expect(source.installCount).toBe(1);
    expect(copy.configuration).toEqual(source.configuration);

    // Read-only across organizations: the installer cannot change or run the original.
    const edit = await t.gql<{ updateTool: { __typename: string } }>(
      UPDATE,
      { input: { id: toolId, description: 'mine now' } },
      { apiKey: other.keys.OWNER },
    );
    expect(edit.data!.updateTool.__typename).toBe('NotFoundError');
    const run = await t.gql<{ testTool: { __typename: string } }>(
      TEST_TOOL,
      { input: { toolId, parameters: { order_id: '1' } } },
      { apiKey: other.keys.OWNER },
    );
    expect(run.data!.testTool.__typename).toBe('NotFoundError');
  });

  test('private tools are invisible and cannot be installed', async () => {
    const privateId = await createToolVia(t, org.keys.MEMBER, lookupOrderInput(upstream.url, 'secret_sauce'));
    const listed = await t.gql<{ publicTools: unknown[] }>(
      PUBLIC,
      { search: 'secret_sauce' },
      { apiKey: other.keys.VIEWER },
    );
    expect(listed.data!.publicTools).toEqual([]);
    const install = await t.gql<{ installPublicTool: { __typename: string } }>(
      INSTALL,
      { input: { toolId: privateId } },
      { apiKey: other.keys.MEMBER },
    );
    expect(install.data!.installPublicTool.__typename).toBe('NotFoundError');
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: other.id, name: 'secret_sauce' } })).toBe(
      0,
    );
  });
});

describe('replayExecution', () => {
  const REPLAY = `mutation ($input: ReplayExecutionInput!) { replayExecution(input: $input) {
    __typename
    ... on ReplayResult { toolVersion sameOutput original { id status outputResult } replay { id status outputResult triggerContext toolVersion context call { callSid } } }
    ... on NotFoundError { entity }
  } }`;

  test('re-runs the logged parameters and context against the current or a chosen version', async () => {
    const toolId = await createToolVia(t, org.keys.MEMBER, lookupOrderInput(upstream.url, 'replayable'));
    const first = await t.gql<{ executeTool: { id: string; status: string } }>(
      `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ... on ToolExecution { id status } } }`,
      {
        input: {
          assistantId: await assistantWith(toolId),
          toolName: 'replayable',
          parameters: { order_id: 'P-1' },
          context: { callSid: 'CA-replay', from: '+15550000001' },
        },
      },
      { apiKey: org.keys.MEMBER },
    );
    const executionId = first.data!.executeTool.id;
    expect(first.data!.executeTool.status).toBe('SUCCESS');

    await t.gql(
      `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename } }`,
      {
        input: { id: toolId, configuration: { url: `${upstream.url}/fail`, method: 'GET' } },
      },
      { apiKey: org.keys.MEMBER },
    );

    type Replay = {
      toolVersion: number;
      sameOutput: boolean;
      original: { status: string };
      replay: {
        status: string;
        triggerContext: string;
        toolVersion: number;
        context: Record<string, string>;
        call: { callSid: string } | null;
      };
    };
    const current = await t.gql<{ replayExecution: Replay }>(
      REPLAY,
      { input: { id: executionId } },
      { apiKey: org.keys.MEMBER },
    );
    expect(current.data!.replayExecution).toMatchObject({
      toolVersion: 2,
      sameOutput: false,
      original: { status: 'SUCCESS' },
      replay: { status: 'ERROR', triggerContext: 'test' },
    });

    const pinned = await t.gql<{ replayExecution: Replay }>(
      REPLAY,
      { input: { id: executionId, toolVersion: 1 } },
      { apiKey: org.keys.MEMBER },
    );
    expect(pinned.data!.replayExecution).toMatchObject({
      toolVersion: 1,
      sameOutput: true,
      replay: {
        status: 'SUCCESS',
        triggerContext: 'test',
        toolVersion: 1,
        context: { call_sid: 'CA-replay', from: '+15550000001' },
      },
    });

    const missing = await t.gql<{ replayExecution: { __typename: string; entity: string } }>(
      REPLAY,
      { input: { id: executionId, toolVersion: 9 } },
      { apiKey: org.keys.MEMBER },
    );
    expect(missing.data!.replayExecution).toMatchObject({ __typename: 'NotFoundError', entity: 'ToolVersion' });
    const cross = await t.gql<{ replayExecution: { __typename: string } }>(
      REPLAY,
      { input: { id: executionId } },
      { apiKey: other.keys.OWNER },
    );
    expect(cross.data!.replayExecution.__typename).toBe('NotFoundError');
    const viewer = await t.gql(REPLAY, { input: { id: executionId } }, { apiKey: org.keys.VIEWER });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  async function assistantWith(toolId: string): Promise<string> {
    const created = await t.gql<{ createAssistant: { id: string } }>(
      `mutation { createAssistant(input: { name: "Replay" }) { ... on Assistant { id } } }`,
      {},
      { apiKey: org.keys.ADMIN },
    );
    const assistantId = created.data!.createAssistant.id;
    await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId, toolId } },
      { apiKey: org.keys.ADMIN },
    );
    return assistantId;
  }
});
