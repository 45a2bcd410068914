import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

const TOOL_FIELDS = `id name displayName type version configuration functionDefinition isActive allowedContexts timeoutSeconds retryAttempts`;
const RESULT = `
  __typename
  ... on Tool { ${TOOL_FIELDS} }
  ... on ValidationError { message issues { field message } }
  ... on ConflictError { message field }
  ... on NotFoundError { message entity }
`;
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${RESULT} } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${RESULT} } }`;

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Tools');
});
afterAll(() => t?.close());

type Result = {
  __typename: string;
  id: string;
  version: number;
  issues?: Array<{ field: string; message: string }>;
  field?: string;
};

async function create(input: Record<string, unknown>, key = org.keys.MEMBER): Promise<Result> {
  const response = await t.gql<{ createTool: Result }>(CREATE, { input }, { apiKey: key });
  expect(response.errors).toBeUndefined();
  return response.data!.createTool;
}

async function toolCount(): Promise<number> {
  return t.app.services.prisma.tool.count({ where: { organizationId: org.id } });
}

describe('createTool', () => {
  test('creates version 1 with a snapshot and fills the function name', async () => {
    const tool = await create({
      ...endpointToolInput('lookup_order'),
      functionDefinition: { parameters: { type: 'object', properties: {} } },
    });
    expect(tool).toMatchObject({ __typename: 'Tool', name: 'lookup_order', version: 1, displayName: 'lookup_order' });
    expect((tool as unknown as { functionDefinition: { name: string } }).functionDefinition.name).toBe('lookup_order');
    const versions = await t.gql<{ tool: { versions: { edges: Array<{ node: { version: number } }> } } }>(
      `query ($id: ID!) { tool(id: $id) { versions { edges { node { version name } } } } }`,
      { id: tool.id },
      { apiKey: org.keys.VIEWER },
    );
    expect(versions.data!.tool.versions.edges.map((edge) => edge.node.version)).toEqual([1]);
  });

  test('duplicate names in one organization are a ConflictError and change nothing', async () => {
    await create(endpointToolInput('dupe'));
    const before = await toolCount();
    const again = await create(endpointToolInput('dupe'));
    expect(again).toMatchObject({ __typename: 'ConflictError', field: 'name' });
    expect(await toolCount()).toBe(before);
  });

  test.each([
    ['has spaces', 'name'],
    ['', 'name'],
    ['x'.repeat(65), 'name'],
    ['ünïcode', 'name'],
  ])('rejects the name %j', async (name, field) => {
    const before = await toolCount();
    const result = await create(endpointToolInput(name));
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues!.map((issue) => issue.field)).toContain(field);
    expect(await toolCount()).toBe(before);
  });

  test('rejects a function definition whose parameters are not a valid JSON Schema', async () => {
    const result = await create({
      ...endpointToolInput('bad_schema'),
      functionDefinition: {
        name: 'bad_schema',
        parameters: { type: 'object', properties: { a: { type: 'not-a-type' } } },
      },
    });
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues!.map((issue) => issue.field)).toContain('functionDefinition.parameters');
  });

  test('rejects parameters that are not an object schema', async () => {
    const result = await create({
      ...endpointToolInput('arr'),
      functionDefinition: { name: 'arr', parameters: { type: 'array' } },
    });
    expect(result.issues!.map((issue) => issue.field)).toContain('functionDefinition.parameters.type');
  });

  test('validates configuration per type and names the bad field', async () => {
    const endpoint = await create({ ...endpointToolInput('no_url'), configuration: { method: 'GET' } });
    expect(endpoint.__typename).toBe('ValidationError');
    expect(endpoint.issues!.map((issue) => issue.field)).toContain('configuration.url');

    const method = await create({
      ...endpointToolInput('bad_method'),
      configuration: { url: 'https://x.test', method: 'TRACE' },
    });
    expect(method.issues!.map((issue) => issue.field)).toContain('configuration.method');

    const lambda = await create({
      name: 'bad_lambda',
      type: 'LAMBDA',
      configuration: { function_name: 'fn', region: 'not a region' },
    });
    expect(lambda.issues!.map((issue) => issue.field)).toContain('configuration.region');
  });

  test('rejects oversized configuration and out-of-range settings', async () => {
    const big = await create({
      ...endpointToolInput('big'),
      configuration: { url: 'https://x.test', method: 'POST', body_template: { blob: 'x'.repeat(300 * 1024) } },
    });
    expect(big.issues!.map((issue) => issue.field)).toContain('configuration');
    const settings = await create({
      ...endpointToolInput('settings'),
      timeoutSeconds: 0,
      retryAttempts: 99,
      allowedContexts: ['fax'],
    });
    expect(settings.issues!.map((issue) => issue.field).sort()).toEqual([
      'allowedContexts',
      'retryAttempts',
      'timeoutSeconds',
    ]);
  });

  test('publishing to the marketplace requires ADMIN', async () => {
    const response = await t.gql(
      CREATE,
      { input: endpointToolInput('public_one', { isPublic: true }) },
      { apiKey: org.keys.MEMBER },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await create(endpointToolInput('public_two', { isPublic: true }), org.keys.ADMIN);
    expect(admin.__typename).toBe('Tool');
  });
});

describe('updateTool, versions and rollback', () => {
  test('a definition change bumps the version; a no-op does not; rollback restores as a new version', async () => {
    const tool = await create(endpointToolInput('versioned'));
    const changed = await t.gql<{ updateTool: Result & { configuration: { url: string } } }>(
      UPDATE,
      {
        input: { id: tool.id, configuration: { url: 'https://v2.example.com/${parameters.order_id}', method: 'GET' } },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(changed.data!.updateTool).toMatchObject({ __typename: 'Tool', version: 2 });

    const same = await t.gql<{ updateTool: Result }>(
      UPDATE,
      { input: { id: tool.id, isActive: false } },
      { apiKey: org.keys.MEMBER },
    );
    expect(same.data!.updateTool).toMatchObject({ version: 2, isActive: false });

    const rolled = await t.gql<{ rollbackTool: Result & { configuration: { url: string } } }>(
      `mutation ($input: RollbackToolInput!) { rollbackTool(input: $input) { ${RESULT} } }`,
      { input: { id: tool.id, version: 1 } },
      { apiKey: org.keys.MEMBER },
    );
    expect(rolled.data!.rollbackTool).toMatchObject({ __typename: 'Tool', version: 3 });
    expect(rolled.data!.rollbackTool.configuration.url).toBe('https://api.example.com/orders/${parameters.order_id}');

    const missing = await t.gql<{ rollbackTool: Result }>(
      `mutation ($input: RollbackToolInput!) { rollbackTool(input: $input) { ${RESULT} } }`,
      { input: { id: tool.id, version: 42 } },
      { apiKey: org.keys.MEMBER },
    );
    expect(missing.data!.rollbackTool).toMatchObject({ __typename: 'NotFoundError', entity: 'ToolVersion' });
  });

  test('a stale expectedVersion is a ConflictError and changes nothing', async () => {
    const tool = await create(endpointToolInput('concurrent'));
    const result = await t.gql<{ updateTool: Result }>(
      UPDATE,
      { input: { id: tool.id, expectedVersion: 7, description: 'new' } },
      { apiKey: org.keys.MEMBER },
    );
    expect(result.data!.updateTool).toMatchObject({ __typename: 'ConflictError', field: 'expectedVersion' });
    const row = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: tool.id } });
    expect(row.description).toBe('Looks up an order');
  });

  test('renaming onto an existing name is a ConflictError; an invalid update changes nothing', async () => {
    const a = await create(endpointToolInput('name_a'));
    await create(endpointToolInput('name_b'));
    const clash = await t.gql<{ updateTool: Result }>(
      UPDATE,
      { input: { id: a.id, name: 'name_b' } },
      { apiKey: org.keys.MEMBER },
    );
    expect(clash.data!.updateTool).toMatchObject({ __typename: 'ConflictError', field: 'name' });
    const invalid = await t.gql<{ updateTool: Result }>(
      UPDATE,
      { input: { id: a.id, configuration: { url: 'ftp://nope', method: 'GET' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(invalid.data!.updateTool.__typename).toBe('ValidationError');
    const row = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: a.id } });
    expect(row).toMatchObject({ name: 'name_a', version: 1 });
  });

  test('deleteTool removes the tool; a second delete is NotFoundError', async () => {
    const tool = await create(endpointToolInput('to_delete'));
    const mutation = `mutation ($input: DeleteToolInput!) { deleteTool(input: $input) { __typename ... on DeletedTool { id } ... on NotFoundError { entity } } }`;
    const first = await t.gql<{ deleteTool: { __typename: string; id?: string } }>(
      mutation,
      { input: { id: tool.id } },
      { apiKey: org.keys.MEMBER },
    );
    expect(first.data!.deleteTool).toEqual({ __typename: 'DeletedTool', id: tool.id });
    const second = await t.gql<{ deleteTool: { __typename: string } }>(
      mutation,
      { input: { id: tool.id } },
      { apiKey: org.keys.MEMBER },
    );
    expect(second.data!.deleteTool.__typename).toBe('NotFoundError');
  });
});

describe('tools query', () => {
  test('filters by type, search, isActive and isTemplate, and pages with cursors', async () => {
    const local = await createOrganization(t.app.services.prisma, 'Filters');
    const make = (input: Record<string, unknown>) =>
      t
        .gql(CREATE, { input }, { apiKey: local.keys.ADMIN })
        .then((response) => expect(response.errors).toBeUndefined());
    await make(endpointToolInput('weather_now', { description: 'Current weather' }));
    await make(endpointToolInput('weather_inactive', { isActive: false }));
    await make(endpointToolInput('template_one', { isTemplate: true }));
    await make({
      name: 'lambda_one',
      type: 'LAMBDA',
      configuration: { function_name: 'fn', region: 'eu-west-1', access_key_field: 'K', secret_key_field: 'S' },
    });
    const names = async (filter: Record<string, unknown>) => {
      const response = await t.gql<{ tools: { edges: Array<{ node: { name: string } }> } }>(
        `query ($filter: ToolFilter) { tools(filter: $filter) { edges { node { name } } } }`,
        { filter },
        { apiKey: local.keys.VIEWER },
      );
      return response.data!.tools.edges.map((edge) => edge.node.name).sort();
    };
    expect(await names({ type: 'LAMBDA' })).toEqual(['lambda_one']);
    expect(await names({ search: 'WEATHER' })).toEqual(['weather_inactive', 'weather_now']);
    expect(await names({ search: 'current' })).toEqual(['weather_now']);
    expect(await names({ isActive: false })).toEqual(['weather_inactive']);
    expect(await names({ isTemplate: true })).toEqual(['template_one']);

    const page = await t.gql<{
      tools: { edges: Array<{ cursor: string }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(
      `{ tools(first: 2) { edges { cursor } pageInfo { hasNextPage endCursor } } }`,
      {},
      { apiKey: local.keys.VIEWER },
    );
    expect(page.data!.tools.edges).toHaveLength(2);
    expect(page.data!.tools.pageInfo.hasNextPage).toBe(true);
    const next = await t.gql<{ tools: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } }>(
      `query ($after: String) { tools(first: 2, after: $after) { edges { cursor } pageInfo { hasNextPage } } }`,
      { after: page.data!.tools.pageInfo.endCursor },
      { apiKey: local.keys.VIEWER },
    );
    expect(next.data!.tools.edges).toHaveLength(2);
    expect(next.data!.tools.pageInfo.hasNextPage).toBe(false);
  });
});
