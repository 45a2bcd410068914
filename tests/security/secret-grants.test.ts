/**
 * Issue 13, finding 6: no role below ADMIN can make a secret's value leave the
 * server except through a use an ADMIN approved. A secret is readable only by
 * tools an ADMIN granted it to; a MEMBER's change to where a granted tool sends
 * it suspends the grant; and every encoding the engine itself produced of a
 * secret (Basic credentials' base64, percent-encoding, JSON escaping) is
 * scrubbed from what is recorded and returned.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedDemo } from '../../server/seed/demo-seed.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const SECRET = 'p@ss/w"rd+s3cr3t&9';
const EXECUTION = `id status errorCode errorMessage outputResult request logs`;
const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) {
  __typename ... on Tool { id version } ... on ValidationError { issues { field message } } } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename ... on Tool { id version } } }`;
const TEST = `mutation ($input: TestToolInput!) { testTool(input: $input) { __typename ... on ToolExecution { ${EXECUTION} } } }`;
const GRANT_FIELDS = `secretName toolName status approvedVersion changes { field before after }`;

type Execution = {
  id: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  outputResult: unknown;
  request: unknown;
  logs: unknown;
};

let t: TestApp;
let org: TestOrganization;
let upstream: Upstream;

function spellings(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('base64'),
    [...value].reverse().join(''),
  ];
}

async function gql<T>(query: string, variables: Record<string, unknown>, apiKey: string): Promise<T> {
  const response = await t.gql<T>(query, variables, { apiKey });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

async function createTool(input: Record<string, unknown>, apiKey: string): Promise<{ id: string; version: number }> {
  const data = await gql<{ createTool: { __typename: string; id: string; version: number } }>(
    CREATE,
    { input },
    apiKey,
  );
  expect(data.createTool.__typename, JSON.stringify(data.createTool)).toBe('Tool');
  return data.createTool;
}

async function testTool(toolId: string, apiKey = org.keys.MEMBER, parameters = {}): Promise<Execution> {
  const data = await gql<{ testTool: Execution }>(TEST, { input: { toolId, parameters } }, apiKey);
  return data.testTool;
}

async function grantsOf(toolId: string) {
  const data = await gql<{
    tool: {
      secretGrants: Array<{
        secretName: string;
        status: string;
        changes: Array<{ field: string; before: unknown; after: unknown }>;
      }>;
    };
  }>(`query ($id: ID!) { tool(id: $id) { secretGrants { ${GRANT_FIELDS} } } }`, { id: toolId }, org.keys.VIEWER);
  return data.tool.secretGrants;
}

async function grant(mutation: string, input: Record<string, unknown>, apiKey = org.keys.ADMIN) {
  return t.gql<Record<string, { __typename: string; status?: string }>>(
    `mutation ($input: SecretGrantInput!) { ${mutation}(input: $input) { __typename ... on SecretGrant { ${GRANT_FIELDS} } } }`,
    { input },
    { apiKey },
  );
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  org = await createOrganization(t.app.services.prisma, 'Grants');
  await gql(
    `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`,
    { input: { name: 'API_TOKEN', value: SECRET } },
    org.keys.ADMIN,
  );
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const REVERSE = `export default async function execute(parameters, context) {
  return { reversed: [...secrets.API_TOKEN].reverse().join('') };
}`;
const LENGTH = `export default async function execute(parameters, context) {
  return { length: secrets.API_TOKEN.length };
}`;

describe('a MEMBER cannot read a secret through a tool', () => {
  test("a MEMBER's code tool listing a secret is refused before it runs", async () => {
    const tool = await createTool(
      { name: 'reverse_it', type: 'CODE', configuration: { code: REVERSE, environment_variables: ['API_TOKEN'] } },
      org.keys.MEMBER,
    );
    const execution = await testTool(tool.id);
    expect(execution).toMatchObject({ status: 'ERROR', errorCode: 'SECRET_NOT_GRANTED' });
    expect(execution.errorMessage).toMatch(/API_TOKEN.*grant/);
    for (const spelling of spellings(SECRET)) expect(JSON.stringify(execution)).not.toContain(spelling);
    expect(await grantsOf(tool.id)).toEqual([]);
    const counted = await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: tool.id } });
    expect(counted.executionCount).toBe(0);
  });

  test("a MEMBER's endpoint tool sending a secret to a host of its choosing sends nothing", async () => {
    const tool = await createTool(
      {
        name: 'exfiltrate',
        type: 'ENDPOINT',
        configuration: {
          url: `${upstream.base}/echo`,
          method: 'POST',
          headers: { 'X-Token': '${secrets.API_TOKEN}' },
        },
      },
      org.keys.MEMBER,
    );
    const before = upstream.hits('/echo').length;
    const execution = await testTool(tool.id);
    expect(execution).toMatchObject({ status: 'ERROR', errorCode: 'SECRET_NOT_GRANTED' });
    expect(upstream.hits('/echo').length).toBe(before);
  });

  test('granting needs ADMIN; a granted tool runs', async () => {
    const tool = await createTool(
      { name: 'reverse_granted', type: 'CODE', configuration: { code: LENGTH, environment_variables: ['API_TOKEN'] } },
      org.keys.MEMBER,
    );
    const forbidden = await grant('grantSecret', { secretName: 'API_TOKEN', toolId: tool.id }, org.keys.MEMBER);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const granted = await grant('grantSecret', { secretName: 'API_TOKEN', toolId: tool.id });
    expect(granted.data?.grantSecret).toMatchObject({ __typename: 'SecretGrant', status: 'ACTIVE' });
    const execution = await testTool(tool.id);
    expect(execution).toMatchObject({ status: 'SUCCESS' });
    expect(execution.outputResult).toMatchObject({ data: { length: SECRET.length } });

    const listed = await gql<{ secrets: Array<{ name: string; grants: Array<{ toolName: string; status: string }> }> }>(
      `{ secrets { name grants { toolName status } } }`,
      {},
      org.keys.ADMIN,
    );
    expect(listed.secrets.find((secret) => secret.name === 'API_TOKEN')?.grants).toContainEqual({
      toolName: 'reverse_granted',
      status: 'ACTIVE',
    });

    const revoked = await grant('revokeSecretGrant', { secretName: 'API_TOKEN', toolId: tool.id });
    expect(revoked.data?.revokeSecretGrant?.__typename).toBe('SecretGrant');
    expect(await testTool(tool.id)).toMatchObject({ status: 'ERROR', errorCode: 'SECRET_NOT_GRANTED' });
  });

  test("a MEMBER's change to an ADMIN's tool suspends the grant until an ADMIN approves the diff", async () => {
    // An ADMIN who creates a tool that reads a secret grants it implicitly.
    const tool = await createTool(
      { name: 'token_length', type: 'CODE', configuration: { code: LENGTH, environment_variables: ['API_TOKEN'] } },
      org.keys.ADMIN,
    );
    expect(await grantsOf(tool.id)).toMatchObject([{ secretName: 'API_TOKEN', status: 'ACTIVE', changes: [] }]);
    expect(await testTool(tool.id)).toMatchObject({ status: 'SUCCESS' });

    const edited = await gql<{ updateTool: { version: number } }>(
      UPDATE,
      { input: { id: tool.id, configuration: { code: REVERSE, environment_variables: ['API_TOKEN'] } } },
      org.keys.MEMBER,
    );
    const suspended = await grantsOf(tool.id);
    expect(suspended).toMatchObject([{ secretName: 'API_TOKEN', status: 'SUSPENDED' }]);
    expect(suspended[0]?.changes).toEqual([{ field: 'code', before: LENGTH, after: REVERSE }]);

    const refused = await testTool(tool.id);
    expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'SECRET_NOT_GRANTED' });
    expect(refused.errorMessage).toMatch(/suspended/);
    for (const spelling of spellings(SECRET)) expect(JSON.stringify(refused)).not.toContain(spelling);

    // A description edit by an ADMIN does not approve what the MEMBER changed.
    await gql(UPDATE, { input: { id: tool.id, description: 'counts characters' } }, org.keys.ADMIN);
    expect(await grantsOf(tool.id)).toMatchObject([{ status: 'SUSPENDED' }]);

    const stale = await grant('approveSecretGrant', {
      secretName: 'API_TOKEN',
      toolId: tool.id,
      toolVersion: edited.updateTool.version - 1,
    });
    expect(stale.data?.approveSecretGrant?.__typename).toBe('ConflictError');
    const approved = await grant('approveSecretGrant', {
      secretName: 'API_TOKEN',
      toolId: tool.id,
      toolVersion: edited.updateTool.version + 1,
    });
    expect(approved.data?.approveSecretGrant).toMatchObject({ __typename: 'SecretGrant', status: 'ACTIVE' });
    expect(await testTool(tool.id)).toMatchObject({ status: 'SUCCESS' });
  });
});

describe('every encoding the engine produced is scrubbed', () => {
  // "bot:" is 4 bytes: the secret's own base64 is not aligned inside the credential's, so only scrubbing the whole credential helps.
  test('an upstream echoing Basic credentials, a query value and a JSON body leaks none of them', async () => {
    const tool = await createTool(
      {
        name: 'echo_basic',
        type: 'ENDPOINT',
        configuration: {
          url: `${upstream.base}/echo`,
          method: 'POST',
          query_parameters: { token: '${secrets.API_TOKEN}' },
          body_template: { token: '${secrets.API_TOKEN}', wrapped: 'key=${secrets.API_TOKEN}' },
          auth: { type: 'basic', username: 'bot', password_secret: 'API_TOKEN' },
        },
      },
      org.keys.ADMIN,
    );
    const execution = await testTool(tool.id);
    expect(execution.status).toBe('SUCCESS');
    const sent = upstream.hits('/echo').at(-1);
    const basic = Buffer.from(`bot:${SECRET}`).toString('base64');
    expect(sent?.headers.authorization).toBe(`Basic ${basic}`);

    const stored = await t.app.services.prisma.toolExecution.findUniqueOrThrow({ where: { id: execution.id } });
    const read = await gql<unknown>(
      `query ($id: ID!) { tool(id: $id) { lastExecution { ${EXECUTION} } } toolExecutions { edges { node { ${EXECUTION} } } } }`,
      { id: tool.id },
      org.keys.VIEWER,
    );
    for (const haystack of [JSON.stringify(execution), JSON.stringify(stored), JSON.stringify(read)]) {
      for (const spelling of [...spellings(SECRET).slice(0, 4), basic, `bot:${SECRET}`]) {
        expect(haystack).not.toContain(spelling);
      }
    }
    expect(JSON.stringify(execution.outputResult)).toContain('[REDACTED]');
  });
});

describe('tools an ADMIN brings in keep their secrets', () => {
  test("the demo seed's tools are granted what they read", async () => {
    const fresh = await startTestApp();
    try {
      const { prisma, config, validateConfiguration } = fresh.app.services;
      await seedDemo(prisma, config, validateConfiguration);
      const grants = await prisma.secretGrant.findMany({ include: { tool: { select: { name: true } } } });
      const granted = grants.map((grant) => `${grant.tool.name}:${grant.secretName}`);
      expect(granted).toEqual(expect.arrayContaining(['order_status:ORDERS_API_TOKEN']));
      expect(grants.length).toBeGreaterThan(1);
    } finally {
      await fresh.close();
    }
  });
});
