/**
 * An id from another organization behaves exactly like one that does not
 * exist: every query returns nothing, every mutation NotFoundError, and the
 * other organization's data is unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let a: TestOrganization;
let b: TestOrganization;
const ids = { tool: '', assistant: '', assignment: '', apiKey: '', member: '' };

beforeAll(async () => {
  t = await startTestApp();
  a = await createOrganization(t.app.services.prisma, 'Alpha');
  b = await createOrganization(t.app.services.prisma, 'Beta');
  const tool = await t.gql<{ createTool: { id: string } }>(
    `mutation ($input: CreateToolInput!) { createTool(input: $input) { ... on Tool { id } } }`,
    { input: endpointToolInput('alpha_tool') },
    { apiKey: a.keys.OWNER },
  );
  ids.tool = tool.data!.createTool.id;
  const assistant = await t.gql<{ createAssistant: { id: string } }>(
    `mutation { createAssistant(input: { name: "Alpha assistant" }) { ... on Assistant { id } } }`,
    {},
    { apiKey: a.keys.OWNER },
  );
  ids.assistant = assistant.data!.createAssistant.id;
  const assignment = await t.gql<{ assignTool: { id: string } }>(
    `mutation ($input: AssignToolInput!) { assignTool(input: $input) { ... on ToolAssignment { id } } }`,
    { input: { assistantId: ids.assistant, toolId: ids.tool } },
    { apiKey: a.keys.OWNER },
  );
  ids.assignment = assignment.data!.assignTool.id;
  await t.gql(
    `mutation { setSecret(input: { name: "ALPHA_TOKEN", value: "alpha-secret-value" }) { __typename } }`,
    {},
    { apiKey: a.keys.OWNER },
  );
  const key = await t.app.services.prisma.apiKey.findFirstOrThrow({ where: { organizationId: a.id } });
  ids.apiKey = key.id;
  const member = await t.app.services.prisma.membership.findFirstOrThrow({
    where: { organizationId: a.id, role: 'VIEWER' },
  });
  ids.member = member.id;
});
afterAll(() => t?.close());

async function snapshot(): Promise<string> {
  const prisma = t.app.services.prisma;
  const where = { organizationId: a.id };
  const rows = await Promise.all([
    prisma.tool.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.assistant.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.assistantTool.findMany({ where: { assistant: where }, orderBy: { id: 'asc' } }),
    prisma.secret.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.apiKey.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.membership.findMany({ where, orderBy: { id: 'asc' } }),
  ]);
  return JSON.stringify(rows, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
  );
}

describe('queries from another organization', () => {
  test.each([
    ['tool', `query ($id: ID!) { tool(id: $id) { id } }`, () => ({ id: ids.tool })],
    ['assistant', `query ($id: ID!) { assistant(id: $id) { id } }`, () => ({ id: ids.assistant })],
    ['toolExecution', `query ($id: ID!) { toolExecution(id: $id) { id } }`, () => ({ id: ids.tool })],
  ])('%s(id) is null', async (field, query, variables) => {
    const response = await t.gql<Record<string, unknown>>(query, variables(), { apiKey: b.keys.OWNER });
    expect(response.errors).toBeUndefined();
    expect(response.data![field]).toBeNull();
    const own = await t.gql<Record<string, unknown>>(query, variables(), { apiKey: a.keys.OWNER });
    if (field !== 'toolExecution') expect(own.data![field]).not.toBeNull();
  });

  test('lists contain only the viewer organization', async () => {
    const response = await t.gql<{
      tools: { edges: unknown[] };
      assistants: { edges: unknown[] };
      toolExecutions: { edges: unknown[] };
      secrets: unknown[];
      auditLog: { edges: unknown[] };
      organization: { members: unknown[]; apiKeys: unknown[] };
    }>(
      `query ($toolId: ID) { tools { edges { node { id } } } assistants { edges { node { id } } }
        toolExecutions(filter: { toolId: $toolId }) { edges { node { id } } } secrets { name }
        auditLog { edges { node { id } } } organization { members { id } apiKeys { id } } }`,
      { toolId: ids.tool },
      { apiKey: b.keys.OWNER },
    );
    expect(response.errors).toBeUndefined();
    const data = response.data!;
    expect(data.tools.edges).toEqual([]);
    expect(data.assistants.edges).toEqual([]);
    expect(data.toolExecutions.edges).toEqual([]);
    expect(data.secrets).toEqual([]);
    expect(JSON.stringify(data)).not.toContain(ids.tool);
    expect(data.organization.members).toHaveLength(4);
  });

  test('malformed ids behave like unknown ones', async () => {
    const response = await t.gql<{ tool: null }>(
      `{ tool(id: "'; drop table tools; --") { id } }`,
      {},
      { apiKey: b.keys.OWNER },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.tool).toBeNull();
  });
});

describe('mutations from another organization', () => {
  const mutations: Array<[string, string, () => Record<string, unknown>]> = [
    [
      'updateTool',
      `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename } }`,
      () => ({ input: { id: ids.tool, description: 'pwned' } }),
    ],
    [
      'deleteTool',
      `mutation ($input: DeleteToolInput!) { deleteTool(input: $input) { __typename } }`,
      () => ({ input: { id: ids.tool } }),
    ],
    [
      'rollbackTool',
      `mutation ($input: RollbackToolInput!) { rollbackTool(input: $input) { __typename } }`,
      () => ({ input: { id: ids.tool, version: 1 } }),
    ],
    [
      'updateAssistant',
      `mutation ($input: UpdateAssistantInput!) { updateAssistant(input: $input) { __typename } }`,
      () => ({ input: { id: ids.assistant, name: 'pwned' } }),
    ],
    [
      'assignTool',
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      () => ({ input: { assistantId: ids.assistant, toolId: ids.tool } }),
    ],
    [
      'configureToolAssignment',
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { __typename } }`,
      () => ({ input: { assignmentId: ids.assignment, enabled: false } }),
    ],
    [
      'unassignTool',
      `mutation ($input: UnassignToolInput!) { unassignTool(input: $input) { __typename } }`,
      () => ({ input: { assignmentId: ids.assignment } }),
    ],
    [
      'reorderToolAssignments',
      `mutation ($input: ReorderToolAssignmentsInput!) { reorderToolAssignments(input: $input) { __typename } }`,
      () => ({ input: { assistantId: ids.assistant, assignmentIds: [ids.assignment] } }),
    ],
    [
      'deleteSecret',
      `mutation ($input: DeleteSecretInput!) { deleteSecret(input: $input) { __typename } }`,
      () => ({ input: { name: 'ALPHA_TOKEN' } }),
    ],
    [
      'revokeApiKey',
      `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }`,
      () => ({ input: { id: ids.apiKey } }),
    ],
    [
      'updateMemberRole',
      `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { __typename } }`,
      () => ({ input: { memberId: ids.member, role: 'ADMIN' } }),
    ],
    [
      'removeMember',
      `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) { __typename } }`,
      () => ({ input: { memberId: ids.member } }),
    ],
  ];

  test.each(mutations)('%s returns NotFoundError and changes nothing', async (field, mutation, variables) => {
    const before = await snapshot();
    const response = await t.gql<Record<string, { __typename: string }>>(mutation, variables(), {
      apiKey: b.keys.OWNER,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data![field]!.__typename).toBe('NotFoundError');
    expect(await snapshot()).toBe(before);
  });

  test('setSecret with the same name creates a separate secret in the caller organization', async () => {
    const before = await snapshot();
    await t.gql(
      `mutation { setSecret(input: { name: "ALPHA_TOKEN", value: "beta-value" }) { __typename } }`,
      {},
      { apiKey: b.keys.OWNER },
    );
    expect(await snapshot()).toBe(before);
    expect(await t.app.services.prisma.secret.count({ where: { name: 'ALPHA_TOKEN' } })).toBe(2);
  });

  test('switchOrganization to an organization the user is not in is NOT_FOUND', async () => {
    const login = await t.gql<{ login: { csrfToken: string } }>(
      `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`,
      { input: { email: b.users.OWNER.email, password: b.users.OWNER.password } },
    );
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const response = await t.gql(
      `mutation ($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { role } }`,
      { input: { organizationId: a.id } },
      { cookie, csrfToken: login.data!.login.csrfToken },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
