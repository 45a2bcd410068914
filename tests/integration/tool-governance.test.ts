/**
 * Governance settings (requireConfirmation, approver_role, the approval
 * timeout, rate limits, allowed contexts) and everything about a published
 * tool belong to ADMINs: a MEMBER who tries to change them gets FORBIDDEN and
 * nothing changes, on every path that writes a tool.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id version } } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) {
  updateTool(input: $input) { __typename ... on Tool { id version description configuration requireConfirmation isPublic } }
}`;
const ROLLBACK = `mutation ($input: RollbackToolInput!) { rollbackTool(input: $input) { __typename ... on Tool { version } } }`;
const DELETE = `mutation ($input: DeleteToolInput!) { deleteTool(input: $input) { __typename } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { id status } } }`;
const APPROVE = `mutation ($input: ExecutionIdInput!) { approveExecution(input: $input) { __typename ... on ToolExecution { status } } }`;
const IMPORT = `mutation ($input: ImportToolsInput!) { importTools(input: $input) { __typename ... on ImportReport { applied } } }`;

let upstream: Upstream;
let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  org = await createOrganization(t.app.services.prisma, 'Gov');
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

function code(response: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return response.errors?.[0]?.extensions?.code;
}

async function adminTool(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await t.gql<{ createTool: { id: string } }>(
    CREATE,
    {
      input: endpointToolInput(name, {
        configuration: { url: `${upstream.base}/echo`, method: 'POST' },
        functionDefinition: { name, parameters: { type: 'object', properties: {} } },
        ...extra,
      }),
    },
    { apiKey: org.keys.ADMIN },
  );
  expect(created.errors).toBeUndefined();
  return created.data!.createTool.id;
}

async function stored(id: string) {
  return t.app.services.prisma.tool.findUniqueOrThrow({ where: { id } });
}

describe('approval settings', () => {
  test('a MEMBER refused by approveExecution cannot make MEMBER the approver role, and stays refused', async () => {
    const id = await adminTool('gated', { requireConfirmation: true });
    const run = await t.gql<{ testTool: { id: string; status: string } }>(
      TEST_TOOL,
      { input: { toolId: id, parameters: {} } },
      { apiKey: org.keys.MEMBER },
    );
    expect(run.data!.testTool.status).toBe('PENDING_APPROVAL');
    const executionId = run.data!.testTool.id;
    expect(code(await t.gql(APPROVE, { input: { id: executionId } }, { apiKey: org.keys.MEMBER }))).toBe('FORBIDDEN');

    const before = await stored(id);
    const lift = await t.gql(
      UPDATE,
      {
        input: {
          id,
          configuration: { url: `${upstream.base}/echo`, method: 'POST', approver_role: 'MEMBER' },
        },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(code(lift)).toBe('FORBIDDEN');
    expect(await stored(id)).toEqual(before);
    expect(code(await t.gql(APPROVE, { input: { id: executionId } }, { apiKey: org.keys.MEMBER }))).toBe('FORBIDDEN');
    expect(upstream.hits('/echo')).toHaveLength(0);
  });

  test('a MEMBER cannot turn requireConfirmation off, widen contexts, or touch timeouts and rate limits', async () => {
    const id = await adminTool('confirmed', {
      requireConfirmation: true,
      allowedContexts: ['call', 'test'],
      configuration: {
        url: `${upstream.base}/echo`,
        method: 'POST',
        approval_timeout_seconds: 60,
        rate_limit: { burst: 5, per_second: 1, per_call: 3 },
      },
    });
    const before = await stored(id);
    const attempts: Array<Record<string, unknown>> = [
      { requireConfirmation: false },
      { allowedContexts: ['call', 'sms', 'webhook', 'test'] },
      {
        configuration: {
          url: `${upstream.base}/echo`,
          method: 'POST',
          approval_timeout_seconds: 3600,
          rate_limit: { burst: 5, per_second: 1, per_call: 3 },
        },
      },
      {
        configuration: {
          url: `${upstream.base}/echo`,
          method: 'POST',
          approval_timeout_seconds: 60,
          rate_limit: { burst: 5000, per_second: 1000, per_call: 3 },
        },
      },
    ];
    for (const patch of attempts) {
      const response = await t.gql(UPDATE, { input: { id, ...patch } }, { apiKey: org.keys.MEMBER });
      expect(code(response), JSON.stringify(patch)).toBe('FORBIDDEN');
    }
    expect(await stored(id)).toEqual(before);

    // The same changes are an ADMIN's to make.
    const admin = await t.gql<{ updateTool: { requireConfirmation: boolean } }>(
      UPDATE,
      { input: { id, requireConfirmation: false } },
      { apiKey: org.keys.ADMIN },
    );
    expect(admin.data!.updateTool.requireConfirmation).toBe(false);
  });

  test('a MEMBER still edits the rest of a governed tool, which keeps its settings as they are', async () => {
    const governing = { approver_role: 'OWNER', rate_limit: { burst: 5, per_second: 1, per_call: 3 } };
    const configuration = { url: `${upstream.base}/echo`, method: 'POST', ...governing };
    const id = await adminTool('governed', { requireConfirmation: true, configuration });
    const edited = await t.gql<{ updateTool: { __typename: string; description: string; configuration: unknown } }>(
      UPDATE,
      {
        input: { id, description: 'New words', configuration: { ...configuration, url: `${upstream.base}/echo?v=2` } },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(edited.errors).toBeUndefined();
    expect(edited.data!.updateTool).toMatchObject({ description: 'New words', configuration: governing });
    // An editor that rebuilds the configuration without the governing keys (the dashboard's builder) keeps them.
    const rebuilt = await t.gql<{ updateTool: { __typename: string; configuration: unknown } }>(
      UPDATE,
      { input: { id, configuration: { url: `${upstream.base}/echo?v=3`, method: 'POST' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(rebuilt.errors).toBeUndefined();
    expect(rebuilt.data!.updateTool.configuration).toEqual({
      url: `${upstream.base}/echo?v=3`,
      method: 'POST',
      ...governing,
    });
  });

  test('a MEMBER cannot roll back to a version with other settings, nor create a tool looser than the defaults', async () => {
    const id = await adminTool('rolled', { requireConfirmation: false });
    await t.gql(UPDATE, { input: { id, requireConfirmation: true } }, { apiKey: org.keys.ADMIN });
    const before = await stored(id);
    expect(code(await t.gql(ROLLBACK, { input: { id, version: 1 } }, { apiKey: org.keys.MEMBER }))).toBe('FORBIDDEN');
    expect(await stored(id)).toEqual(before);

    const loose = await t.gql(
      CREATE,
      {
        input: endpointToolInput('loose', {
          requireConfirmation: true,
          configuration: { url: `${upstream.base}/echo`, method: 'POST', approver_role: 'MEMBER' },
        }),
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(code(loose)).toBe('FORBIDDEN');
    // Stricter than the defaults is fine.
    const strict = await t.gql<{ createTool: { __typename: string } }>(
      CREATE,
      { input: endpointToolInput('strict', { requireConfirmation: true, allowedContexts: ['call'] }) },
      { apiKey: org.keys.MEMBER },
    );
    expect(strict.data!.createTool.__typename).toBe('Tool');
  });

  test('a template carrying a looser approver is copied by an ADMIN, not a MEMBER', async () => {
    const templateId = await adminTool('team_template', {
      isTemplate: true,
      requireConfirmation: true,
      configuration: { url: `${upstream.base}/echo`, method: 'POST', approver_role: 'MEMBER' },
    });
    const FROM_TEMPLATE = `mutation ($input: CreateToolFromTemplateInput!) {
      createToolFromTemplate(input: $input) { __typename }
    }`;
    const member = await t.gql(
      FROM_TEMPLATE,
      { input: { templateId, name: 'member_copy' } },
      {
        apiKey: org.keys.MEMBER,
      },
    );
    expect(code(member)).toBe('FORBIDDEN');
    expect(await t.app.services.prisma.tool.count({ where: { name: 'member_copy' } })).toBe(0);
    const admin = await t.gql<{ createToolFromTemplate: { __typename: string } }>(
      FROM_TEMPLATE,
      { input: { templateId, name: 'admin_copy' } },
      { apiKey: org.keys.ADMIN },
    );
    expect(admin.data!.createToolFromTemplate.__typename).toBe('Tool');
  });

  test('an import that would overwrite a governed tool is refused for a MEMBER, all or nothing', async () => {
    const id = await adminTool('imported', { requireConfirmation: true });
    const before = await stored(id);
    const bundle = await t.gql<{ exportTools: Record<string, unknown> & { tools: Array<Record<string, unknown>> } }>(
      `query ($ids: [ID!]!) { exportTools(ids: $ids) }`,
      { ids: [id] },
      { apiKey: org.keys.ADMIN },
    );
    const exported = bundle.data!.exportTools;
    const changed = { ...exported, tools: exported.tools.map((tool) => ({ ...tool, requireConfirmation: false })) };
    const response = await t.gql(
      IMPORT,
      { input: { bundle: changed, onConflict: 'OVERWRITE' } },
      {
        apiKey: org.keys.MEMBER,
      },
    );
    expect(code(response)).toBe('FORBIDDEN');
    expect(await stored(id)).toEqual(before);
  });
});

describe('assignment overrides', () => {
  test('a MEMBER cannot lay governance settings over a tool through an assignment', async () => {
    const id = await adminTool('assigned', { requireConfirmation: true });
    const assistant = await t.gql<{ createAssistant: { id: string } }>(
      `mutation { createAssistant(input: { name: "Gov assistant" }) { ... on Assistant { id } } }`,
      {},
      { apiKey: org.keys.ADMIN },
    );
    const assign = await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      {
        input: {
          assistantId: assistant.data!.createAssistant.id,
          toolId: id,
          customConfiguration: { approver_role: 'MEMBER' },
        },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(code(assign)).toBe('FORBIDDEN');
    expect(await t.app.services.prisma.assistantTool.count({ where: { toolId: id } })).toBe(0);
  });
});

describe('published tools', () => {
  test('a MEMBER cannot edit, unpublish, deactivate or delete a public tool; an ADMIN can', async () => {
    const id = await adminTool('published', { isPublic: true, description: 'Public words' });
    const before = await stored(id);
    for (const patch of [{ description: 'Defaced' }, { isPublic: false }, { isActive: false }, { name: 'renamed' }]) {
      const response = await t.gql(UPDATE, { input: { id, ...patch } }, { apiKey: org.keys.MEMBER });
      expect(code(response), JSON.stringify(patch)).toBe('FORBIDDEN');
    }
    expect(code(await t.gql(DELETE, { input: { id } }, { apiKey: org.keys.MEMBER }))).toBe('FORBIDDEN');
    expect(await stored(id)).toEqual(before);

    const admin = await t.gql<{ updateTool: { description: string; isPublic: boolean } }>(
      UPDATE,
      { input: { id, description: 'Better words', isPublic: false } },
      { apiKey: org.keys.ADMIN },
    );
    expect(admin.data!.updateTool).toMatchObject({ description: 'Better words', isPublic: false });
    // Unpublished, it is an ordinary tool again.
    const member = await t.gql<{ updateTool: { description: string } }>(
      UPDATE,
      { input: { id, description: 'Member words' } },
      { apiKey: org.keys.MEMBER },
    );
    expect(member.data!.updateTool.description).toBe('Member words');
  });
});
