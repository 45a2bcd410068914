/**
 * Text PostgreSQL cannot store (NUL, unpaired surrogates) at the edges: GraphQL
 * refuses it with BAD_USER_INPUT naming the field, never `Unexpected error.`;
 * the REST tool-call adapter runs the tool and stores the text escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';

const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename } }`;

let upstream: Upstream;
let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}` });
  org = await createOrganization(t.app.services.prisma, 'Edges');
});

afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

describe('GraphQL input PostgreSQL cannot store', () => {
  it.each([
    ['a NUL in a description', { description: 'Looks up\u0000 an order' }, 'variables.input.description'],
    [
      'an unpaired surrogate deep in a configuration',
      { configuration: { url: 'https://api.example.com/x', method: 'GET', headers: { 'x-a': 'b\ud800' } } },
      'variables.input.configuration.headers.x-a',
    ],
    ['a NUL in a key', { configuration: { 'url\u0000': 'x' } }, 'variables.input.configuration.url\u0000'],
  ])('refuses %s with BAD_USER_INPUT naming it', async (_, extra, field) => {
    const response = await t.gql(CREATE, { input: endpointToolInput('nul_tool', extra) }, { apiKey: org.keys.MEMBER });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(response.errors?.[0]?.message).toContain('NUL character');
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: org.id, name: 'nul_tool' } })).toBe(0);
  });

  it('refuses a string literal in the document that spells one', async () => {
    const response = await t.gql(
      `mutation { setSecret(input: { name: "NUL_SECRET", value: "a\\u0000b" }) { __typename } }`,
      {},
      { apiKey: org.keys.ADMIN },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).not.toBe('Unexpected error.');
  });
});

describe('the REST tool-call adapter', () => {
  it('runs a tool whose arguments hold a NUL and stores them escaped', async () => {
    const prisma = t.app.services.prisma;
    const tool = await prisma.tool.create({
      data: {
        organizationId: org.id,
        name: 'echo_nul',
        displayName: 'echo_nul',
        type: 'ENDPOINT',
        configuration: { url: `${upstream.base}/echo`, method: 'POST' },
        functionDefinition: { name: 'echo_nul', parameters: { type: 'object' } },
      },
    });
    const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'Nul' } });
    await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
    const response = await fetch(`${t.url}/v1/assistants/${assistant.id}/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        tool_calls: [
          {
            id: 'call\u0000nul',
            type: 'function',
            function: { name: 'echo_nul', arguments: JSON.stringify({ note: 'a\u0000b' }) },
          },
        ],
        context: { call_sid: 'CA\u0000nul' },
      }),
    });
    expect(response.status).toBe(200);
    const row = await prisma.toolExecution.findFirstOrThrow({ where: { toolId: tool.id } });
    expect(row).toMatchObject({
      status: 'SUCCESS',
      toolCallId: 'call\\u0000nul',
      inputParameters: { note: 'a\\u0000b' },
    });
    // The tool itself received the text as sent.
    expect(JSON.parse(upstream.hits('/echo').at(-1)!.body)).toEqual({ note: 'a\u0000b' });
  });
});
