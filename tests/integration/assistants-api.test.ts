import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;
const toolIds: string[] = [];

const RESULT = `__typename ... on ValidationError { issues { field message } } ... on ConflictError { field } ... on NotFoundError { entity }`;

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Assistants');
  for (const name of ['first_tool', 'second_tool', 'third_tool']) {
    const created = await t.gql<{ createTool: { id: string } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { ... on Tool { id } } }`,
      { input: endpointToolInput(name) },
      { apiKey: org.keys.MEMBER },
    );
    toolIds.push(created.data!.createTool.id);
  }
});
afterAll(() => t?.close());

async function admin<T>(query: string, variables: Record<string, unknown>) {
  const response = await t.gql<T>(query, variables, { apiKey: org.keys.ADMIN });
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function newAssistant(name: string, toolsSettings?: unknown): Promise<string> {
  const data = await admin<{ createAssistant: { id: string } }>(
    `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { ... on Assistant { id } ${RESULT} } }`,
    { input: { name, toolsSettings } },
  );
  return data.createAssistant.id;
}

async function assign(assistantId: string, toolId: string, extra: Record<string, unknown> = {}) {
  const data = await admin<{
    assignTool: { __typename: string; id?: string; executionOrder?: number; field?: string; issues?: unknown[] };
  }>(
    `mutation ($input: AssignToolInput!) { assignTool(input: $input) { ... on ToolAssignment { id executionOrder } ${RESULT} } }`,
    { input: { assistantId, toolId, ...extra } },
  );
  return data.assignTool;
}

async function order(
  assistantId: string,
): Promise<Array<{ id: string; tool: { name: string }; enabled: boolean; customConfiguration: unknown }>> {
  const data = await admin<{
    assistant: {
      toolAssignments: Array<{ id: string; tool: { name: string }; enabled: boolean; customConfiguration: unknown }>;
    };
  }>(
    `query ($id: ID!) { assistant(id: $id) { toolAssignments { id enabled customConfiguration executionOrder tool { name } } } }`,
    { id: assistantId },
  );
  return data.assistant.toolAssignments;
}

describe('assistants', () => {
  test('create keeps legacy toolsSettings; update renames; invalid settings are refused', async () => {
    const settings = { enabled_tools: ['endCall'], end_call: { enabled: true, message: 'Bye' } };
    const id = await newAssistant('Reception', settings);
    const updated = await admin<{ updateAssistant: { name: string; toolsSettings: unknown } }>(
      `mutation ($input: UpdateAssistantInput!) { updateAssistant(input: $input) { ... on Assistant { name toolsSettings } } }`,
      { input: { id, name: 'Front desk' } },
    );
    expect(updated.updateAssistant).toEqual({ name: 'Front desk', toolsSettings: settings });
    const invalid = await admin<{ updateAssistant: { __typename: string; issues: Array<{ field: string }> } }>(
      `mutation ($input: UpdateAssistantInput!) { updateAssistant(input: $input) { ${RESULT} } }`,
      { input: { id, toolsSettings: { enabled_tools: 'endCall' } } },
    );
    expect(invalid.updateAssistant.__typename).toBe('ValidationError');
    expect(invalid.updateAssistant.issues[0]!.field).toBe('toolsSettings.enabled_tools');
    const blank = await admin<{ createAssistant: { __typename: string } }>(
      `mutation { createAssistant(input: { name: "   " }) { ${RESULT} } }`,
      {},
    );
    expect(blank.createAssistant.__typename).toBe('ValidationError');
  });
});

describe('tool assignments', () => {
  test('assign in order, configure, reorder, unassign', async () => {
    const assistantId = await newAssistant('Sales');
    const first = await assign(assistantId, toolIds[0]!);
    const second = await assign(assistantId, toolIds[1]!, { customConfiguration: { headers: { 'X-Team': 'sales' } } });
    const third = await assign(assistantId, toolIds[2]!, { enabled: false });
    expect([first.executionOrder, second.executionOrder, third.executionOrder]).toEqual([0, 1, 2]);

    const configured = await admin<{ configureToolAssignment: { enabled: boolean; customConfiguration: unknown } }>(
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { ... on ToolAssignment { enabled customConfiguration } } }`,
      { input: { assignmentId: first.id, customConfiguration: { timeout_ms: 2000 }, enabled: true } },
    );
    expect(configured.configureToolAssignment).toEqual({ enabled: true, customConfiguration: { timeout_ms: 2000 } });

    await admin(
      `mutation ($input: ReorderToolAssignmentsInput!) { reorderToolAssignments(input: $input) { __typename } }`,
      { input: { assistantId, assignmentIds: [third.id, first.id, second.id] } },
    );
    expect((await order(assistantId)).map((assignment) => assignment.tool.name)).toEqual([
      'third_tool',
      'first_tool',
      'second_tool',
    ]);

    const cleared = await admin<{ configureToolAssignment: { customConfiguration: unknown } }>(
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { ... on ToolAssignment { customConfiguration } } }`,
      { input: { assignmentId: second.id, clearCustomConfiguration: true } },
    );
    expect(cleared.configureToolAssignment.customConfiguration).toBeNull();

    const removed = await admin<{ unassignTool: { toolId: string } }>(
      `mutation ($input: UnassignToolInput!) { unassignTool(input: $input) { ... on UnassignedTool { toolId } } }`,
      { input: { assignmentId: third.id } },
    );
    expect(removed.unassignTool.toolId).toBe(toolIds[2]);
    expect((await order(assistantId)).map((assignment) => assignment.tool.name)).toEqual(['first_tool', 'second_tool']);

    const tool = await admin<{ tool: { assistantCount: number; assignments: Array<{ assistant: { id: string } }> } }>(
      `query ($id: ID!) { tool(id: $id) { assistantCount assignments { assistant { id } } } }`,
      { id: toolIds[0] },
    );
    expect(tool.tool.assistantCount).toBe(1);
    expect(tool.tool.assignments[0]!.assistant.id).toBe(assistantId);
  });

  test('typed failures change nothing', async () => {
    const assistantId = await newAssistant('Support');
    const first = await assign(assistantId, toolIds[0]!);
    expect(await assign(assistantId, toolIds[0]!)).toMatchObject({ __typename: 'ConflictError', field: 'toolId' });
    expect(await assign(assistantId, '00000000-0000-4000-8000-000000000000')).toMatchObject({
      __typename: 'NotFoundError',
    });
    expect(await assign(assistantId, toolIds[1]!, { customConfiguration: [1, 2] })).toMatchObject({
      __typename: 'ValidationError',
    });
    // Overrides are checked as the tool will run with them: merged over its configuration.
    expect(
      await assign(assistantId, toolIds[1]!, { customConfiguration: { approver_role: 'VIEWER', method: 'FETCH' } }),
    ).toEqual({
      __typename: 'ValidationError',
      issues: [
        { field: 'customConfiguration.approver_role', message: expect.stringContaining('MEMBER, ADMIN, OWNER') },
        { field: 'customConfiguration.method', message: expect.any(String) },
      ],
    });
    expect(await assign(assistantId, toolIds[1]!, { customConfiguration: { execution_mode: 'later' } })).toEqual({
      __typename: 'ValidationError',
      issues: [{ field: 'customConfiguration.execution_mode', message: expect.stringContaining('sync, async') }],
    });
    const overridden = await assign(assistantId, toolIds[2]!, { customConfiguration: { approver_role: 'MEMBER' } });
    expect(overridden.__typename).toBe('ToolAssignment');
    const refused = await admin<{ configureToolAssignment: { __typename: string; issues?: unknown[] } }>(
      `mutation ($input: ConfigureToolAssignmentInput!) { configureToolAssignment(input: $input) { ... on ToolAssignment { id } ${RESULT} } }`,
      { input: { assignmentId: overridden.id, customConfiguration: { url: 'ftp://files.example.com/x' } } },
    );
    expect(refused.configureToolAssignment).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ field: 'customConfiguration.url' }],
    });

    const reorder = (ids: string[]) =>
      admin<{ reorderToolAssignments: { __typename: string } }>(
        `mutation ($input: ReorderToolAssignmentsInput!) { reorderToolAssignments(input: $input) { ${RESULT} } }`,
        { input: { assistantId, assignmentIds: ids } },
      );
    const second = await assign(assistantId, toolIds[1]!);
    expect((await reorder([first.id!])).reorderToolAssignments.__typename).toBe('ValidationError');
    expect((await reorder([first.id!, first.id!])).reorderToolAssignments.__typename).toBe('ValidationError');
    expect((await order(assistantId)).map((assignment) => assignment.id)).toEqual([first.id, overridden.id, second.id]);
    expect((await order(assistantId))[1]!.customConfiguration).toEqual({ approver_role: 'MEMBER' });
  });

  test('members cannot manage assignments (ADMIN)', async () => {
    const assistantId = await newAssistant('Guarded');
    const response = await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId, toolId: toolIds[0] } },
      { apiKey: org.keys.MEMBER },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('audit log', () => {
  test('every mutation above left an entry naming its actor', async () => {
    const entries = await t.app.services.prisma.auditLog.findMany({ where: { organizationId: org.id } });
    const actions = new Set(entries.map((entry) => entry.action));
    for (const action of [
      'tool.create',
      'assistant.create',
      'assistant.update',
      'assistant.assignTool',
      'assistant.configureToolAssignment',
      'assistant.reorderToolAssignments',
      'assistant.unassignTool',
    ]) {
      expect(actions, action).toContain(action);
    }
    expect(entries.every((entry) => entry.actorApiKeyId !== null)).toBe(true);
  });
});
