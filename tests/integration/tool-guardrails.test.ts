/**
 * Builder guardrails on the server (issue 18): parameter order survives a save
 * on both databases, parameter lists the LLM cannot use are refused at the
 * field, and a private endpoint host may only be saved on an inactive tool.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createAssistant } from '../helpers/assistant-tools.ts';
import { createOrganization, createToolRow, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';
import { requirePostgres } from '../helpers/required-services.ts';

const RESULT = `
  __typename
  ... on Tool { id version isActive functionDefinition }
  ... on ValidationError { message issues { field message } }
`;
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${RESULT} } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${RESULT} } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`;

type Definition = { parameters: { properties: Record<string, unknown>; required?: string[] } };
type Result = {
  __typename: string;
  id: string;
  version: number;
  isActive: boolean;
  functionDefinition: Definition;
  message?: string;
  issues?: Array<{ field: string; message: string }>;
};

const ORDERED = { z: { type: 'string' }, a: { type: 'integer' }, m: { type: 'boolean' } };
const SETTING = 'SWITCHBOARD_ALLOWED_PRIVATE_HOSTS';

async function create(t: TestApp, org: TestOrganization, input: Record<string, unknown>): Promise<Result> {
  const response = await t.gql<{ createTool: Result }>(CREATE, { input }, { apiKey: org.keys.MEMBER });
  expect(response.errors).toBeUndefined();
  return response.data!.createTool;
}

async function update(t: TestApp, org: TestOrganization, input: Record<string, unknown>): Promise<Result> {
  const response = await t.gql<{ updateTool: Result }>(UPDATE, { input }, { apiKey: org.keys.MEMBER });
  expect(response.errors).toBeUndefined();
  return response.data!.updateTool;
}

function withParameters(name: string, parameters: Record<string, unknown>): Record<string, unknown> {
  return endpointToolInput(name, { functionDefinition: { name, parameters: { type: 'object', ...parameters } } });
}

describe.each(['postgresql', 'pglite'] as const)('parameter order on %s', (engine) => {
  let t: TestApp | undefined;
  afterAll(() => t?.close());

  test('properties z, a, m read back as z, a, m: tool, versions, export and OpenAI definitions', async (context) => {
    if (engine === 'postgresql') await requirePostgres(context);
    t = await startTestApp({}, { engine });
    const org = await createOrganization(t.app.services.prisma, 'Order');
    const created = await create(t, org, withParameters('ordered', { properties: ORDERED, required: ['z', 'a'] }));
    expect(created.__typename).toBe('Tool');
    expect(Object.keys(created.functionDefinition.parameters.properties)).toEqual(['z', 'a', 'm']);

    const reordered = { m: ORDERED.m, z: ORDERED.z, a: ORDERED.a };
    const updated = await update(t, org, {
      id: created.id,
      functionDefinition: { name: 'ordered', parameters: { type: 'object', properties: reordered } },
    });
    expect(updated.version).toBe(2);

    const read = await t.gql<{
      tool: {
        functionDefinition: Definition;
        versions: { edges: Array<{ node: { functionDefinition: Definition } }> };
      };
    }>(
      `query ($id: ID!) { tool(id: $id) { functionDefinition versions { edges { node { version functionDefinition } } } } }`,
      { id: created.id },
      { apiKey: org.keys.VIEWER },
    );
    expect(Object.keys(read.data!.tool.functionDefinition.parameters.properties)).toEqual(['m', 'z', 'a']);
    const versions = read.data!.tool.versions.edges.map((edge) =>
      Object.keys(edge.node.functionDefinition.parameters.properties),
    );
    expect(versions).toContainEqual(['z', 'a', 'm']);
    expect(versions).toContainEqual(['m', 'z', 'a']);

    const exported = await t.gql<{ exportTools: { tools: Array<{ functionDefinition: Definition }> } }>(
      `query ($ids: [ID!]!) { exportTools(ids: $ids) }`,
      { ids: [created.id] },
      { apiKey: org.keys.MEMBER },
    );
    expect(Object.keys(exported.data!.exportTools.tools[0]!.functionDefinition.parameters.properties)).toEqual([
      'm',
      'z',
      'a',
    ]);

    const assistantId = await createAssistant(t, org, 'Ordered');
    await t.gql(ASSIGN, { input: { assistantId, toolId: created.id } }, { apiKey: org.keys.ADMIN });
    const definitions = await t.gql<{
      assistantToolDefinitions: Array<{ function: { name: string; parameters: Definition['parameters'] } }>;
    }>(
      `query ($id: ID!) { assistantToolDefinitions(assistantId: $id) { function } }`,
      { id: assistantId },
      { apiKey: org.keys.MEMBER },
    );
    const served = definitions.data!.assistantToolDefinitions.find((item) => item.function.name === 'ordered');
    expect(Object.keys(served!.function.parameters.properties)).toEqual(['m', 'z', 'a']);
  });
});

describe('parameterOrder, for clients whose JSON encoding sorts keys (urql does)', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp({}, { engine: 'pglite' });
    org = await createOrganization(t.app.services.prisma, 'Sorted');
  });
  afterAll(() => t?.close());

  const sorted = { a: ORDERED.a, m: ORDERED.m, z: ORDERED.z };

  test('orders the properties as listed, on create and on update', async () => {
    const created = await create(t, org, {
      ...withParameters('sorted_client', { properties: sorted }),
      parameterOrder: ['z', 'a', 'm'],
    });
    expect(Object.keys(created.functionDefinition.parameters.properties)).toEqual(['z', 'a', 'm']);
    const updated = await update(t, org, { id: created.id, parameterOrder: ['m', 'z', 'a'] });
    expect(Object.keys(updated.functionDefinition.parameters.properties)).toEqual(['m', 'z', 'a']);
  });

  test('must name each parameter exactly once', async () => {
    for (const parameterOrder of [
      ['z', 'a'],
      ['z', 'a', 'm', 'm'],
      ['z', 'a', 'q'],
    ]) {
      const result = await create(t, org, {
        ...withParameters('sorted_bad', { properties: sorted }),
        parameterOrder,
      });
      expect(result.__typename).toBe('ValidationError');
      expect(result.issues!.map((issue) => issue.field)).toEqual(['parameterOrder']);
    }
  });
});

describe('parameter lists the LLM cannot use', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp({}, { engine: 'pglite' });
    org = await createOrganization(t.app.services.prisma, 'Params');
  });
  afterAll(() => t?.close());

  async function refused(parameters: Record<string, unknown>): Promise<Array<{ field: string; message: string }>> {
    const before = await t.app.services.prisma.tool.count({ where: { organizationId: org.id } });
    const result = await create(t, org, withParameters('bad_params', parameters));
    expect(result.__typename).toBe('ValidationError');
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: org.id } })).toBe(before);
    return result.issues!;
  }

  test('a parameter required twice, or required but not defined, is refused at "required"', async () => {
    expect(await refused({ properties: { city: { type: 'string' } }, required: ['city', 'city'] })).toEqual([
      { field: 'functionDefinition.parameters.required', message: '"city" is listed as required more than once' },
    ]);
    expect(await refused({ properties: { city: { type: 'string' } }, required: ['town'] })).toEqual([
      { field: 'functionDefinition.parameters.required', message: '"town" is required but is not a parameter' },
    ]);
  });

  test('duplicate allowed values are refused at the parameter', async () => {
    expect(await refused({ properties: { size: { type: 'string', enum: ['S', 'M', 'S'] } } })).toEqual([
      {
        field: 'functionDefinition.parameters.properties.size.enum',
        message: 'The allowed value "S" is listed more than once',
      },
    ]);
  });

  test.each([
    ['number', ['one', 'two'], 'The allowed values of a number parameter must be numbers; "one" is not'],
    ['number', [null, null], 'The allowed values of a number parameter must be numbers; null is not'],
    ['integer', [1, 2.5], 'The allowed values of an integer parameter must be whole numbers; 2.5 is not'],
    ['string', ['a', 3], 'The allowed values of a string parameter must be text; 3 is not'],
    ['boolean', ['yes'], 'The allowed values of a boolean parameter must be true or false; "yes" is not'],
  ])('allowed values that do not fit a %s parameter are refused', async (type, values, message) => {
    expect(await refused({ properties: { count: { type, enum: values } } })).toEqual([
      { field: 'functionDefinition.parameters.properties.count.enum', message },
    ]);
  });

  test('an empty list of allowed values is refused', async () => {
    expect(await refused({ properties: { size: { type: 'string', enum: [] } } })).toEqual([
      { field: 'functionDefinition.parameters.properties.size.enum', message: 'List at least one allowed value' },
    ]);
  });

  test('fitting allowed values are accepted', async () => {
    const result = await create(
      t,
      org,
      withParameters('good_params', {
        properties: { size: { type: 'string', enum: ['S', 'M'] }, count: { type: 'integer', enum: [1, 2] } },
        required: ['size'],
      }),
    );
    expect(result.__typename).toBe('Tool');
  });
});

describe('a private endpoint host', () => {
  let t: TestApp;
  let org: TestOrganization;
  beforeAll(async () => {
    t = await startTestApp({}, { engine: 'pglite' });
    org = await createOrganization(t.app.services.prisma, 'Private');
  });
  afterAll(() => t?.close());

  const privateTool = (name: string, isActive: boolean) =>
    endpointToolInput(name, { configuration: { url: 'http://10.1.2.3/orders', method: 'GET' }, isActive });

  test('refuses an active tool at the URL, naming the operator setting in plain words', async () => {
    const result = await create(t, org, privateTool('private_active', true));
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues).toHaveLength(1);
    expect(result.issues![0]!.field).toBe('configuration.url');
    expect(result.issues![0]!.message).toContain(SETTING);
    expect(result.issues![0]!.message).toContain('save the tool as inactive');
    expect(result.issues![0]!.message).not.toMatch(/configuration\.|url:/);
  });

  test('saves it inactive; activating it is refused with the same message; testing it is refused', async () => {
    const saved = await create(t, org, privateTool('private_inactive', false));
    expect(saved).toMatchObject({ __typename: 'Tool', isActive: false });

    const activated = await update(t, org, { id: saved.id, isActive: true });
    expect(activated.__typename).toBe('ValidationError');
    expect(activated.issues).toEqual([{ field: 'configuration.url', message: expect.stringContaining(SETTING) }]);
    const stored = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: saved.id } });
    expect(stored.isActive).toBe(false);

    const edited = await update(t, org, { id: saved.id, description: 'still parked' });
    expect(edited).toMatchObject({ __typename: 'Tool', isActive: false });

    const run = await t.gql<{ testTool: { __typename: string; status: string; errorCode: string | null } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { status errorCode } } }`,
      { input: { toolId: saved.id, parameters: { order_id: '1' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(run.data!.testTool).toMatchObject({ __typename: 'ToolExecution', status: 'ERROR' });
    expect(run.data!.testTool.errorCode).toBe('TOOL_INACTIVE');
  });

  test('an active tool that reaches a private host anyway (saved before the check) is refused naming the setting', async () => {
    const row = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', {
      url: 'http://10.1.2.3/orders',
      method: 'GET',
    });
    const run = await t.gql<{ testTool: { status: string; errorCode: string | null; errorMessage: string | null } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { status errorCode errorMessage } } }`,
      { input: { toolId: row.id, parameters: {} } },
      { apiKey: org.keys.MEMBER },
    );
    expect(run.data!.testTool).toMatchObject({ status: 'ERROR', errorCode: 'SSRF_BLOCKED' });
    expect(run.data!.testTool.errorMessage).toContain(SETTING);
  });

  test('with the host allow-listed, an active tool saves', async () => {
    const allowed = await startTestApp({ [SETTING]: '10.1.2.3' }, { engine: 'pglite' });
    try {
      const other = await createOrganization(allowed.app.services.prisma, 'Allowed');
      const result = await create(allowed, other, privateTool('private_allowed', true));
      expect(result).toMatchObject({ __typename: 'Tool', isActive: true });
    } finally {
      await allowed.close();
    }
  });
});
