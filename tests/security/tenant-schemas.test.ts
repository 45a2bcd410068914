import { RE2JS } from 're2js';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createParameterValidator } from '../../server/executions/parameter-validation.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const RESULT = `__typename ... on Tool { id version } ... on ValidationError { issues { field message } }`;
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${RESULT} } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${RESULT} } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) {
  __typename ... on ToolExecution { status errorCode errorMessage } } }`;

type Result = { __typename: string; id?: string; issues?: Array<{ field: string; message: string }> } & Record<
  string,
  unknown
>;

let upstream: Upstream;
let t: TestApp;
let a: TestOrganization;
let b: TestOrganization;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  a = await createOrganization(t.app.services.prisma, 'SchemaA');
  b = await createOrganization(t.app.services.prisma, 'SchemaB');
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

async function mutate(query: string, input: Record<string, unknown>, apiKey: string): Promise<Result> {
  const response = await t.gql<Record<string, Result>>(query, { input }, { apiKey });
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

function toolInput(name: string, parameters: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    type: 'ENDPOINT',
    configuration: { url: `${upstream.base}/echo`, method: 'POST' },
    functionDefinition: { name, parameters },
  };
}

describe('tenant regular expressions run on a linear-time engine', () => {
  const EVIL = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } }, required: ['code'] };

  test('a catastrophic pattern validates a long hostile argument promptly and correctly', async () => {
    const tool = await mutate(CREATE, toolInput('evil_pattern', EVIL), a.keys.MEMBER);
    expect(tool.__typename).toBe('Tool');
    // On a backtracking engine each extra pair of characters multiplies the time by 4 (30 characters: ~2 s).
    const refused = await mutate(
      TEST_TOOL,
      { toolId: tool.id, parameters: { code: `${'a'.repeat(26)}!` } },
      a.keys.MEMBER,
    );
    expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'INVALID_PARAMETERS' });
    expect(String(refused.errorMessage)).toContain('must match pattern');
    const accepted = await mutate(
      TEST_TOOL,
      { toolId: tool.id, parameters: { code: 'a'.repeat(5000) } },
      a.keys.MEMBER,
    );
    expect(accepted).toMatchObject({ status: 'SUCCESS' });
  });

  test('argument patterns are matched by RE2, never by the JavaScript engine', () => {
    const re2Test = vi.spyOn(RE2JS.prototype, 'test');
    try {
      const validator = createParameterValidator();
      const schema = {
        type: 'object',
        properties: { code: { type: 'string', pattern: '^(a+)+$' } },
        patternProperties: { '^x-(b+)+$': { type: 'number' } },
      };
      const check = validator.check('tool@1', schema, {
        code: `${'a'.repeat(26)}!`,
        'x-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb': 1,
      });
      expect(check.ok).toBe(false);
      expect(re2Test.mock.calls.map((call) => call[0])).toEqual(
        expect.arrayContaining([`${'a'.repeat(26)}!`, 'x-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb']),
      );
    } finally {
      re2Test.mockRestore();
    }
  });

  test('a pattern RE2 cannot run (lookaround, backreferences) is refused at save', async () => {
    for (const pattern of ['^(?=a)a+$', '^(a)\\1$']) {
      const parameters = { type: 'object', properties: { code: { type: 'string', pattern } } };
      const result = await mutate(CREATE, toolInput(`re2_refused_${pattern.length}`, parameters), a.keys.MEMBER);
      expect(result.__typename).toBe('ValidationError');
      expect(result.issues![0]).toMatchObject({ field: 'functionDefinition.parameters' });
      expect(result.issues![0]!.message).toContain('not supported');
    }
    const properties = { type: 'object', patternProperties: { '(?<!x)y': { type: 'string' } } };
    expect((await mutate(CREATE, toolInput('re2_refused_props', properties), a.keys.MEMBER)).__typename).toBe(
      'ValidationError',
    );
  });
});

describe('JSON Schema $id is private to each tool', () => {
  const ID = 'https://schemas.example.test/order-lookup';

  test('two organizations use the same $id, and each keeps updating its own', async () => {
    const schemaA = { $id: ID, type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] };
    const schemaB = { $id: ID, type: 'object', properties: { ticket: { type: 'integer' } }, required: ['ticket'] };
    const toolA = await mutate(CREATE, toolInput('shared_id', schemaA), a.keys.MEMBER);
    expect(toolA.__typename).toBe('Tool');
    const toolB = await mutate(CREATE, toolInput('shared_id', schemaB), b.keys.MEMBER);
    expect(toolB.__typename).toBe('Tool');

    const updated = await mutate(
      UPDATE,
      { id: toolA.id, functionDefinition: { name: 'shared_id', parameters: { ...schemaA, description: 'v2' } } },
      a.keys.MEMBER,
    );
    expect(updated).toMatchObject({ __typename: 'Tool', version: 2 });

    // Nor can one organization's schema refer to another's by its $id.
    const borrowing = await mutate(
      CREATE,
      toolInput('borrowed_schema', { type: 'object', properties: { order: { $ref: ID } } }),
      b.keys.MEMBER,
    );
    expect(borrowing.__typename).toBe('ValidationError');

    // Each tool validates against its own schema, not the other organization's.
    const runA = await mutate(TEST_TOOL, { toolId: toolA.id, parameters: { order_id: 'A-1' } }, a.keys.MEMBER);
    expect(runA).toMatchObject({ status: 'SUCCESS' });
    const runB = await mutate(TEST_TOOL, { toolId: toolB.id, parameters: { order_id: 'A-1' } }, b.keys.MEMBER);
    expect(runB).toMatchObject({ status: 'ERROR', errorCode: 'INVALID_PARAMETERS' });
    expect(String(runB.errorMessage)).toContain('ticket');
  });
});
