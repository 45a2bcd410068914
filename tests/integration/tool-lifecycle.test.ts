/**
 * A tool's lifecycle through the GraphQL API: archive and unarchive (runs
 * refused with TOOL_ARCHIVED, assignments kept), the assistants a delete
 * confirmation lists, duplicate, publish and save as template by role, sorting
 * with stable cursors, and testing an unsaved draft without making a version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type GraphQLResponse, type TestApp } from '../helpers/app.ts';
import { addTool, createAssistant } from '../helpers/assistant-tools.ts';
import { GREETING_CODE, greetingTool } from '../helpers/code-tools.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const TOOL = `id name displayName version isPublic isTemplate archivedAt errorCount`;
const TOOL_RESULT = `__typename
  ... on Tool { ${TOOL} }
  ... on ValidationError { message issues { field message } }
  ... on Error { message }`;
const EXECUTION_RESULT = `__typename
  ... on ToolExecution { id status errorCode errorMessage outputResult toolVersion triggerContext }
  ... on ValidationError { message issues { field message } }
  ... on Error { message }`;

const ARCHIVE = `mutation ($input: ToolIdInput!) { archiveTool(input: $input) { ${TOOL_RESULT} } }`;
const UNARCHIVE = `mutation ($input: ToolIdInput!) { unarchiveTool(input: $input) { ${TOOL_RESULT} } }`;
const DUPLICATE = `mutation ($input: ToolIdInput!) { duplicateTool(input: $input) { ${TOOL_RESULT} } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${TOOL_RESULT} } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ${EXECUTION_RESULT} } }`;
const EXECUTE_TOOL = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ${EXECUTION_RESULT} } }`;
const APPROVE = `mutation ($input: ExecutionIdInput!) { approveExecution(input: $input) { ${EXECUTION_RESULT} } }`;
const TOOLS = `query ($filter: ToolFilter, $orderBy: ToolOrder, $first: Int, $after: String) {
  tools(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;

interface ToolResult {
  __typename: string;
  id: string;
  name: string;
  displayName: string;
  version: number;
  isPublic: boolean;
  isTemplate: boolean;
  archivedAt: string | null;
  errorCount: number;
  message?: string;
  issues?: Array<{ field: string; message: string }>;
}

interface ToolPage {
  tools: { edges: Array<{ node: { name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
}

interface Execution {
  __typename: string;
  id: string;
  status: string;
  errorCode: string | null;
  outputResult: { success: boolean; message: string; data: unknown } | null;
  toolVersion: number;
  issues?: Array<{ field: string; message: string }>;
}

let t: TestApp;
let org: TestOrganization;
let other: TestOrganization;
let assistantId: string;
let sequence = 0;

const GREET = GREETING_CODE;
const FAIL = `export default async function execute() { throw new Error('upstream said no'); }`;

async function mutate<T>(query: string, input: Record<string, unknown>, apiKey = org.keys.MEMBER): Promise<T> {
  const response = await t.gql<Record<string, T>>(query, { input }, { apiKey });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

async function refusedCode(query: string, input: Record<string, unknown>, apiKey: string): Promise<unknown> {
  const response = await t.gql(query, { input }, { apiKey });
  return response.errors?.[0]?.extensions?.code;
}

async function create(input: Record<string, unknown>, apiKey = org.keys.MEMBER): Promise<ToolResult> {
  const response = await t.gql<{ createTool: ToolResult }>(
    `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${TOOL_RESULT} } }`,
    { input },
    { apiKey },
  );
  expect(response.data?.createTool.__typename, JSON.stringify(response)).toBe('Tool');
  return response.data!.createTool;
}

async function listedNames(variables: Record<string, unknown>, apiKey = org.keys.VIEWER): Promise<string[]> {
  const response = await t.gql<{ tools: { edges: Array<{ node: { name: string } }> } }>(TOOLS, variables, { apiKey });
  expect(response.errors).toBeUndefined();
  return response.data!.tools.edges.map((edge) => edge.node.name);
}

function versionCount(toolId: string): Promise<number> {
  return t.app.services.prisma.toolVersion.count({ where: { toolId } });
}

function execute(toolName: string): Promise<Execution> {
  sequence += 1;
  return mutate<Execution>(EXECUTE_TOOL, {
    assistantId,
    toolName,
    parameters: { name: 'Ada' },
    context: { callSid: `CA-lifecycle-${sequence}` },
    toolCallId: `call_${sequence}`,
  });
}

/** The function names the assistant's LLM is given (the OpenAI-format tools route). */
async function offeredTools(): Promise<string[]> {
  const response = await fetch(`${t.url}/v1/assistants/${assistantId}/tools`, {
    headers: { authorization: `Bearer ${org.keys.VIEWER}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { tools: Array<{ function: { name: string } }> };
  return body.tools.map((tool) => tool.function.name);
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_JS_POOL_SIZE: '1' });
  org = await createOrganization(t.app.services.prisma, 'Lifecycle');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  assistantId = await createAssistant(t, org, 'Front desk');
}, 60_000);
afterAll(() => t?.close());

describe('archive', () => {
  let toolId = '';

  it('hides an archived tool from the list, refuses its runs with TOOL_ARCHIVED and keeps its assignment', async () => {
    toolId = await addTool(t, org, assistantId, greetingTool('archived_greeter'));
    expect((await execute('archived_greeter')).status).toBe('SUCCESS');

    const archived = await mutate<ToolResult>(ARCHIVE, { id: toolId });
    expect(archived).toMatchObject({ __typename: 'Tool', id: toolId });
    expect(archived.archivedAt).not.toBeNull();

    expect(await listedNames({ filter: { search: 'archived_greeter' } })).toEqual([]);
    expect(await listedNames({ filter: { search: 'archived_greeter', archived: true } })).toEqual(['archived_greeter']);

    expect(await offeredTools()).not.toContain('archived_greeter');
    const live = await execute('archived_greeter');
    expect(live).toMatchObject({ status: 'ERROR', errorCode: 'TOOL_ARCHIVED' });
    const test = await mutate<Execution>(TEST_TOOL, { toolId, parameters: { name: 'Ada' } });
    expect(test).toMatchObject({ status: 'ERROR', errorCode: 'TOOL_ARCHIVED' });
    expect(await t.app.services.prisma.assistantTool.count({ where: { toolId } })).toBe(1);

    const restored = await mutate<ToolResult>(UNARCHIVE, { id: toolId });
    expect(restored.archivedAt).toBeNull();
    expect((await execute('archived_greeter')).status).toBe('SUCCESS');
    expect(await offeredTools()).toContain('archived_greeter');
  });

  it('takes ADMIN for a published tool, MEMBER at least for any tool, and treats other organizations as not found', async () => {
    expect(await refusedCode(ARCHIVE, { id: toolId }, org.keys.VIEWER)).toBe('FORBIDDEN');
    const published = await create(greetingTool('published_greeter'), org.keys.ADMIN);
    await mutate(UPDATE, { id: published.id, isPublic: true }, org.keys.ADMIN);
    expect(await refusedCode(ARCHIVE, { id: published.id }, org.keys.MEMBER)).toBe('FORBIDDEN');
    expect((await mutate<ToolResult>(ARCHIVE, { id: published.id }, org.keys.ADMIN)).archivedAt).not.toBeNull();
    const market = await t.gql<{ publicTools: Array<{ id: string }> }>(
      `query { publicTools(search: "published_greeter") { id } }`,
      {},
      { apiKey: other.keys.ADMIN },
    );
    expect(market.data!.publicTools).toEqual([]);

    const foreign = await mutate<ToolResult>(ARCHIVE, { id: toolId }, other.keys.ADMIN);
    expect(foreign.__typename).toBe('NotFoundError');
  });
});

describe('delete confirmation', () => {
  it('lists the assistants that use the tool', async () => {
    const toolId = await addTool(t, org, assistantId, greetingTool('assigned_greeter'));
    const response = await t.gql<{ tool: { assignments: Array<{ assistant: { id: string; name: string } }> } }>(
      `query ($id: ID!) { tool(id: $id) { assignments { assistant { id name } } } }`,
      { id: toolId },
      { apiKey: org.keys.VIEWER },
    );
    expect(response.data!.tool.assignments.map((row) => row.assistant.name)).toEqual(['Front desk']);
  });
});

describe('duplicate', () => {
  it('copies as <name>_copy at version 1, unpublished and not a template, then _copy_2', async () => {
    const source = await create(greetingTool('copied_greeter'), org.keys.ADMIN);
    await mutate(UPDATE, { id: source.id, description: 'Greets, changed', isTemplate: true }, org.keys.ADMIN);
    await mutate(UPDATE, { id: source.id, isPublic: true }, org.keys.ADMIN);

    const copy = await mutate<ToolResult>(DUPLICATE, { id: source.id });
    expect(copy).toMatchObject({
      __typename: 'Tool',
      name: 'copied_greeter_copy',
      displayName: 'copied_greeter (copy)',
      version: 1,
      isPublic: false,
      isTemplate: false,
      archivedAt: null,
    });
    expect(await versionCount(copy.id)).toBe(1);
    const test = await mutate<Execution>(TEST_TOOL, { toolId: copy.id, parameters: { name: 'Bo' } });
    expect(test).toMatchObject({ status: 'SUCCESS', outputResult: { message: 'Hello, Bo' } });

    const again = await mutate<ToolResult>(DUPLICATE, { id: source.id });
    expect(again.name).toBe('copied_greeter_copy_2');
  });

  it('is refused to a VIEWER and treats other organizations as not found', async () => {
    const source = await create(greetingTool('guarded_greeter'));
    expect(await refusedCode(DUPLICATE, { id: source.id }, org.keys.VIEWER)).toBe('FORBIDDEN');
    expect((await mutate<ToolResult>(DUPLICATE, { id: source.id }, other.keys.ADMIN)).__typename).toBe('NotFoundError');
  });
});

describe('publish and save as template', () => {
  it('publishing takes ADMIN; saving as a template lists the tool among the organization templates', async () => {
    const tool = await create(greetingTool('shared_greeter'));
    expect(await refusedCode(UPDATE, { id: tool.id, isPublic: true }, org.keys.MEMBER)).toBe('FORBIDDEN');
    expect((await mutate<ToolResult>(UPDATE, { id: tool.id, isPublic: true }, org.keys.ADMIN)).isPublic).toBe(true);
    expect((await mutate<ToolResult>(UPDATE, { id: tool.id, isPublic: false }, org.keys.ADMIN)).isPublic).toBe(false);

    expect(await refusedCode(UPDATE, { id: tool.id, isTemplate: true }, org.keys.VIEWER)).toBe('FORBIDDEN');
    expect((await mutate<ToolResult>(UPDATE, { id: tool.id, isTemplate: true })).isTemplate).toBe(true);
    const templates = await t.gql<{ toolTemplates: Array<{ id: string; source: string }> }>(
      `query { toolTemplates { id source } }`,
      {},
      { apiKey: org.keys.VIEWER },
    );
    expect(templates.data!.toolTemplates).toContainEqual({ id: tool.id, source: 'ORGANIZATION' });
  });
});

describe('sorting', () => {
  it('counts failed runs in errorCount', async () => {
    const failing = await create(greetingTool('failing_greeter', FAIL));
    const run = await mutate<Execution>(TEST_TOOL, { toolId: failing.id, parameters: { name: 'Ada' } });
    expect(run.status).toBe('ERROR');
    const ok = await create(greetingTool('working_greeter'));
    expect((await mutate<Execution>(TEST_TOOL, { toolId: ok.id, parameters: { name: 'Ada' } })).status).toBe('SUCCESS');
    const counts = await t.app.services.prisma.tool.findMany({
      where: { id: { in: [failing.id, ok.id] } },
      select: { name: true, errorCount: true, executionCount: true },
      orderBy: { name: 'asc' },
    });
    expect(counts).toEqual([
      { name: 'failing_greeter', errorCount: 1, executionCount: 1 },
      { name: 'working_greeter', errorCount: 0, executionCount: 1 },
    ]);
  });

  it('orders by name, last use and errors, page by page with stable cursors', async () => {
    const sorter = await createOrganization(t.app.services.prisma, 'Sorter');
    const prisma = t.app.services.prisma;
    const rows: Array<[string, Date | null, number]> = [
      ['sort_b', new Date('2026-01-02T00:00:00Z'), 0],
      ['sort_a', null, 3],
      ['sort_d', new Date('2026-01-03T00:00:00Z'), 3],
      ['sort_c', null, 1],
      ['sort_e', new Date('2026-01-01T00:00:00Z'), 0],
    ];
    const ids = new Map<string, string>();
    for (const [name, lastExecutedAt, errorCount] of rows) {
      const tool = await create(greetingTool(name), sorter.keys.MEMBER);
      ids.set(name, tool.id);
      await prisma.tool.update({ where: { id: tool.id }, data: { lastExecutedAt, errorCount } });
    }
    const byId = (a: string, b: string): number => (ids.get(a)! < ids.get(b)! ? -1 : 1);

    async function paged(orderBy: string): Promise<string[]> {
      const names: string[] = [];
      let after: string | null = null;
      for (;;) {
        const response: GraphQLResponse<ToolPage> = await t.gql<ToolPage>(
          TOOLS,
          { orderBy, first: 2, after },
          { apiKey: sorter.keys.VIEWER },
        );
        expect(response.errors).toBeUndefined();
        names.push(...response.data!.tools.edges.map((edge) => edge.node.name));
        if (!response.data!.tools.pageInfo.hasNextPage) return names;
        after = response.data!.tools.pageInfo.endCursor;
      }
    }

    expect(await paged('NAME')).toEqual(['sort_a', 'sort_b', 'sort_c', 'sort_d', 'sort_e']);
    expect(await paged('LAST_USED')).toEqual(['sort_d', 'sort_b', 'sort_e', ...['sort_a', 'sort_c'].sort(byId)]);
    expect(await paged('ERRORS')).toEqual([
      ...['sort_a', 'sort_d'].sort(byId),
      'sort_c',
      ...['sort_b', 'sort_e'].sort(byId),
    ]);
  });
});

describe('testing a draft', () => {
  let toolId = '';

  beforeAll(async () => {
    toolId = (await create(greetingTool('draft_greeter'))).id;
  });

  it('runs the tool as edited without saving it or making a version', async () => {
    const draftCode = GREET.replace('Hello, ', 'Draft hello, ');
    const run = await mutate<Execution>(TEST_TOOL, {
      toolId,
      parameters: { name: 'Ada' },
      draft: { configuration: { runtime: 'javascript', code: draftCode } },
    });
    expect(run).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
      toolVersion: 1,
      outputResult: { message: 'Draft hello, Ada' },
    });
    expect(await versionCount(toolId)).toBe(1);
    const stored = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    expect(stored).toMatchObject({ version: 1, configuration: { code: GREET } });

    const saved = await mutate<Execution>(TEST_TOOL, { toolId, parameters: { name: 'Ada' } });
    expect(saved.outputResult).toMatchObject({ message: 'Hello, Ada' });
  });

  it("validates parameters against the draft's own schema", async () => {
    const parameters = { type: 'object', properties: { nickname: { type: 'string' } }, required: ['nickname'] };
    const draft = { functionDefinition: { name: 'draft_greeter', description: 'Greet', parameters } };
    const refused = await mutate<Execution>(TEST_TOOL, { toolId, parameters: { name: 'Ada' }, draft });
    expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'INVALID_PARAMETERS' });
    const accepted = await mutate<Execution>(TEST_TOOL, { toolId, parameters: { nickname: 'Ada' }, draft });
    expect(accepted.status).toBe('SUCCESS');
    expect(await versionCount(toolId)).toBe(1);
  });

  it('refuses an invalid draft at its field, and a governance change below ADMIN, running nothing', async () => {
    const before = await t.app.services.prisma.toolExecution.count({ where: { toolId } });
    const invalid = await mutate<Execution>(TEST_TOOL, {
      toolId,
      parameters: { name: 'Ada' },
      draft: { configuration: { runtime: 'javascript', code: 'export default function (' } },
    });
    expect(invalid.__typename).toBe('ValidationError');
    expect(invalid.issues!.map((issue) => issue.field)).toContain('configuration.code');

    const loosened = { toolId, parameters: { name: 'Ada' }, draft: { allowedContexts: ['test'] } };
    expect(await refusedCode(TEST_TOOL, loosened, org.keys.MEMBER)).toBe('FORBIDDEN');
    expect(await refusedCode(TEST_TOOL, { toolId, draft: { timeoutSeconds: 10 } }, org.keys.VIEWER)).toBe('FORBIDDEN');
    const foreign = await mutate<Execution>(TEST_TOOL, { toolId, draft: { timeoutSeconds: 10 } }, other.keys.ADMIN);
    expect(foreign.__typename).toBe('NotFoundError');
    expect(await t.app.services.prisma.toolExecution.count({ where: { toolId } })).toBe(before);
  });

  it('refuses a changed draft that would wait for approval, and runs an unchanged one as saved', async () => {
    const gated = await create(greetingTool('gated_greeter', GREET, { requireConfirmation: true }), org.keys.ADMIN);
    const changed = await mutate<Execution>(
      TEST_TOOL,
      { toolId: gated.id, parameters: { name: 'Ada' }, draft: { timeoutSeconds: 15 } },
      org.keys.ADMIN,
    );
    expect(changed.__typename).toBe('ValidationError');
    expect(changed.issues!.map((issue) => issue.field)).toEqual(['draft']);

    // The same definition sent back in another key and context order, as a form rebuilds it: not a change.
    const stored = greetingTool('gated_greeter') as { configuration: Record<string, string> };
    const reordered = {
      configuration: { runtime: 'javascript', code: stored.configuration.code },
      allowedContexts: ['test', 'webhook', 'sms', 'call'],
      timeoutSeconds: 20,
    };
    const pending = await mutate<Execution>(
      TEST_TOOL,
      { toolId: gated.id, parameters: { name: 'Ada' }, draft: reordered },
      org.keys.ADMIN,
    );
    expect(pending.status).toBe('PENDING_APPROVAL');
    const approved = await mutate<Execution>(APPROVE, { id: pending.id }, org.keys.ADMIN);
    expect(approved).toMatchObject({ status: 'SUCCESS', outputResult: { message: 'Hello, Ada' } });
  });
});

describe('REST', () => {
  async function post(path: string, apiKey: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('archives, unarchives, duplicates and tests a draft through /api/organization/tools/{tool_id}/…', async () => {
    const tool = await create(greetingTool('rest_greeter'));
    const archived = await post(`/api/organization/tools/${tool.id}/archive`, org.keys.MEMBER);
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).not.toBeNull();
    const restored = await post(`/api/organization/tools/${tool.id}/unarchive`, org.keys.MEMBER);
    expect(restored.body.archivedAt).toBeNull();
    const copy = await post(`/api/organization/tools/${tool.id}/duplicate`, org.keys.MEMBER);
    expect(copy).toMatchObject({ status: 201, body: { name: 'rest_greeter_copy', version: 1 } });
    const draftTest = await fetch(`${t.url}/api/organization/tools/${tool.id}/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        parameters: { name: 'Ada' },
        draft: { configuration: { runtime: 'javascript', code: GREET.replace('Hello, ', 'Hi, ') } },
      }),
    });
    expect(draftTest.status).toBe(200);
    expect(await draftTest.json()).toMatchObject({ status: 'SUCCESS', outputResult: { message: 'Hi, Ada' } });
    expect(await versionCount(tool.id)).toBe(1);
    expect((await post(`/api/organization/tools/${tool.id}/archive`, org.keys.VIEWER)).status).toBe(403);
    expect((await post(`/api/organization/tools/${tool.id}/duplicate`, other.keys.MEMBER)).status).toBe(404);
  });
});
