import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Misfiled');
});
afterAll(() => t?.close());

describe('SSRF refusals from code tools', () => {
  test('a code tool whose fetch is refused by the SSRF guard is recorded as SSRF_BLOCKED', async () => {
    const created = await t.gql<{ createTool: { __typename: string; id: string } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id } } }`,
      {
        input: {
          name: 'metadata_probe',
          type: 'CODE',
          configuration: {
            runtime: 'javascript',
            code: `export default async function execute() {
              const response = await fetch('http://169.254.169.254/latest/meta-data/');
              return { success: true, message: await response.text() };
            }`,
          },
          functionDefinition: { name: 'metadata_probe', parameters: { type: 'object', properties: {} } },
        },
      },
      { apiKey: org.keys.MEMBER },
    );
    expect(created.data?.createTool.__typename).toBe('Tool');
    const run = await t.gql<{ testTool: { status: string; errorCode: string; errorMessage: string } }>(
      `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { status errorCode errorMessage } } }`,
      { input: { toolId: created.data!.createTool.id, parameters: {} } },
      { apiKey: org.keys.MEMBER },
    );
    expect(run.data?.testTool).toMatchObject({ status: 'ERROR', errorCode: 'SSRF_BLOCKED' });
    expect(run.data!.testTool.errorMessage).toMatch(/169\.254\.169\.254/);
  });
});

describe('query limit errors say which limit, its maximum and how to stay under it', () => {
  test('cost: names the limit and the connection page maximum', async () => {
    const response = await t.gql(
      `{ tools(first: 100000) { edges { node { id name assignments { assistant { id name } } } } } }`,
      {},
      { apiKey: org.keys.VIEWER },
    );
    const error = response.errors?.[0];
    expect(error?.message).not.toMatch(/Syntax Error/);
    expect(error?.message).toMatch(/query cost is \d+, above the maximum of 20000/);
    expect(error?.message).toMatch(/at most 100 items per page/);
    expect(error?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', maximum: 20000 });
  });

  test('depth, aliases and tokens each name themselves', async () => {
    const deep = `{ tools { edges { node { assignments { assistant { toolAssignments { tool { assignments { assistant { toolAssignments { tool { assignments { assistant { id } } } } } } } } } } } } } }`;
    const depth = await t.gql(deep, {}, { apiKey: org.keys.VIEWER });
    expect(depth.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', maximum: 12 });
    expect(depth.errors?.[0]?.message).toMatch(/^The query depth is \d+, above the maximum of 12\. /);

    const aliases = Array.from({ length: 31 }, (_, index) => `a${index}: viewer { role }`).join(' ');
    const aliased = await t.gql(`{ ${aliases} }`, {}, { apiKey: org.keys.VIEWER });
    expect(aliased.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases', maximum: 30, found: 31 });
    expect(aliased.errors?.[0]?.message).not.toMatch(/Syntax Error/);

    const tokens = await t.gql(`{ ${'__typename '.repeat(6000)} }`, {}, { apiKey: org.keys.VIEWER });
    expect(tokens.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens', maximum: 5000 });
    expect(tokens.errors?.[0]?.message).toMatch(/^The number of tokens is above the maximum of 5000\./);
  });
});
