/**
 * The REST API driven through a typed client generated from its own OpenAPI document
 * (openapi-typescript → tests/generated/rest-api.ts, openapi-fetch), against a real server.
 */
import createClient, { type Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createAssistant } from '../helpers/assistant-tools.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';
import type { paths } from '../generated/rest-api.ts';
import { responseChecker } from '../helpers/openapi-response-check.ts';

const GREET = [
  'export default async function execute(parameters) {',
  '  return { success: true, message: `Hello, ${parameters.name}` };',
  '}',
].join('\n');

function greetTool(name: string) {
  return {
    name,
    type: 'CODE' as const,
    description: 'Greets a caller',
    configuration: { runtime: 'javascript', code: GREET },
    timeoutSeconds: 20,
    functionDefinition: {
      name,
      description: 'Greet a caller by name',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  };
}

let t: TestApp;
let org: TestOrganization;
let other: TestOrganization;
let checker: ReturnType<typeof responseChecker>;

/** Every response through it is checked against the document (responseChecker). */
function client(key?: string): Client<paths> {
  const created = createClient<paths>({
    baseUrl: t.url,
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });
  created.use(checker.middleware);
  return created;
}

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Rest');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  checker = responseChecker(await (await fetch(`${t.url}/api/openapi.json`)).json());
});
afterAll(async () => {
  // The document described every response the generated client received.
  expect(checker?.checked()).toBeGreaterThan(30);
  await t?.close();
});

describe('the main flow through the generated client', () => {
  test('create, list, get, update, test, assign, configure, list, logs, executions, unassign, delete', async () => {
    const member = client(org.keys.MEMBER);
    const admin = client(org.keys.ADMIN);

    const created = await member.POST('/api/organization/tools', { body: greetTool('greet_rest') });
    expect(created.response.status).toBe(201);
    const tool = created.data!;
    expect(tool).toMatchObject({ name: 'greet_rest', type: 'CODE', version: 1, isActive: true });

    const listed = await member.GET('/api/organization/tools', { params: { query: { first: 10 } } });
    expect(listed.response.status).toBe(200);
    expect(listed.data!.items.map((item) => item.id)).toEqual([tool.id]);
    expect(listed.data!.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });

    const got = await client(org.keys.VIEWER).GET('/api/organization/tools/{tool_id}', {
      params: { path: { tool_id: tool.id! } },
    });
    expect(got.data).toMatchObject({ id: tool.id, name: 'greet_rest' });

    const updated = await member.PUT('/api/organization/tools/{tool_id}', {
      params: { path: { tool_id: tool.id! } },
      body: { description: 'Greets a caller warmly', expectedVersion: 1 },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({ description: 'Greets a caller warmly' });

    const tested = await member.POST('/api/organization/tools/{tool_id}/test', {
      params: { path: { tool_id: tool.id! } },
      body: { parameters: { name: 'Ada' } },
    });
    expect(tested.response.status).toBe(200);
    expect(tested.data).toMatchObject({ status: 'SUCCESS', triggerContext: 'test', tool: { id: tool.id } });
    expect(JSON.stringify(tested.data!.outputResult)).toContain('Hello, Ada');

    const assistantId = await createAssistant(t, org, 'Front desk');
    const path = { assistant_id: assistantId, tool_id: tool.id! };
    const assigned = await admin.POST('/api/assistants/{assistant_id}/tools/{tool_id}/assign', {
      params: { path },
      body: { enabled: true },
    });
    expect(assigned.error).toBeUndefined();
    expect(assigned.response.status).toBe(201);
    expect(assigned.data).toMatchObject({ enabled: true, tool: { id: tool.id }, assistant: { id: assistantId } });

    const configured = await admin.PUT('/api/assistants/{assistant_id}/tools/{tool_id}/configure', {
      params: { path },
      body: { enabled: false, messages: { requestStart: 'One moment' } },
    });
    expect(configured.response.status).toBe(200);
    expect(configured.data).toMatchObject({ enabled: false, messages: { requestStart: 'One moment' } });

    const assistantTools = await member.GET('/api/assistants/{assistant_id}/tools', {
      params: { path: { assistant_id: assistantId } },
    });
    expect(assistantTools.data!.map((assignment) => assignment.tool?.id)).toEqual([tool.id]);

    // An execution for the assistant in a call, so the assistant's and the call's lists have one.
    await admin.PUT('/api/assistants/{assistant_id}/tools/{tool_id}/configure', {
      params: { path },
      body: { enabled: true },
    });
    const executed = await t.gql<{ executeTool: { __typename: string; id: string; call: { id: string } | null } }>(
      `mutation ($input: ExecuteToolInput!) {
        executeTool(input: $input) { __typename ... on ToolExecution { id call { id } } } }`,
      { input: { assistantId, toolName: 'greet_rest', parameters: { name: 'Bo' }, context: { callSid: 'CA-rest-1' } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(executed.data?.executeTool.__typename).toBe('ToolExecution');
    const callId = executed.data!.executeTool.call!.id;

    const logs = await member.GET('/api/organization/tools/{tool_id}/logs', {
      params: { path: { tool_id: tool.id! }, query: { first: 1 } },
    });
    expect(logs.data!.items).toHaveLength(1);
    expect(logs.data!.items[0]!.id).toBe(executed.data!.executeTool.id);
    expect(logs.data!.pageInfo.hasNextPage).toBe(true);
    const older = await member.GET('/api/organization/tools/{tool_id}/logs', {
      params: { path: { tool_id: tool.id! }, query: { first: 1, after: logs.data!.pageInfo.endCursor! } },
    });
    expect(older.data!.items.map((item) => item.id)).toEqual([tested.data!.id]);

    const byAssistant = await member.GET('/api/assistants/{assistant_id}/tool-executions', {
      params: { path: { assistant_id: assistantId } },
    });
    expect(byAssistant.data!.items.map((item) => item.id)).toEqual([executed.data!.executeTool.id]);
    const byCall = await member.GET('/api/calls/{call_id}/tool-executions', { params: { path: { call_id: callId } } });
    expect(byCall.data!.items.map((item) => item.call?.id)).toEqual([callId]);

    const unassigned = await admin.DELETE('/api/assistants/{assistant_id}/tools/{tool_id}/unassign', {
      params: { path },
    });
    expect(unassigned.data).toMatchObject({ assistantId, toolId: tool.id });
    const again = await admin.DELETE('/api/assistants/{assistant_id}/tools/{tool_id}/unassign', { params: { path } });
    expect(again.response.status).toBe(404);

    const deleted = await member.DELETE('/api/organization/tools/{tool_id}', {
      params: { path: { tool_id: tool.id! } },
    });
    expect(deleted.data).toEqual({ id: tool.id });
    const gone = await member.GET('/api/organization/tools/{tool_id}', { params: { path: { tool_id: tool.id! } } });
    expect(gone.response.status).toBe(404);
  });

  test('templates: list, get one, create a tool from one, and straight onto an assistant', async () => {
    const member = client(org.keys.MEMBER);
    const templates = await member.GET('/api/tool-templates');
    expect(templates.data!.map((template) => template.id)).toContain('builtin:order-status');
    const underTools = await member.GET('/api/tools/templates');
    expect(underTools.data).toEqual(templates.data);

    const one = await member.GET('/api/tool-templates/{template_id}', {
      params: { path: { template_id: 'builtin:order-status' } },
    });
    expect(one.data).toMatchObject({ id: 'builtin:order-status', source: 'BUILTIN' });
    const missing = await member.GET('/api/tool-templates/{template_id}', {
      params: { path: { template_id: 'builtin:nope' } },
    });
    expect(missing.response.status).toBe(404);

    const fromTemplate = await member.POST('/api/organization/tools/from-template/{template_id}', {
      params: { path: { template_id: 'builtin:order-status' } },
      body: { name: 'order_status_rest' },
    });
    expect(fromTemplate.response.status).toBe(201);
    expect(fromTemplate.data).toMatchObject({ name: 'order_status_rest', version: 1 });

    const assistantId = await createAssistant(t, org, 'Templates desk');
    const onAssistant = await client(org.keys.ADMIN).POST(
      '/api/assistants/{assistant_id}/tools/from-template/{template_id}',
      {
        params: { path: { assistant_id: assistantId, template_id: 'builtin:order-status' } },
        body: { name: 'order_desk' },
      },
    );
    expect(onAssistant.error).toBeUndefined();
    expect(onAssistant.response.status).toBe(201);
    expect(onAssistant.data).toMatchObject({ assistant: { id: assistantId }, tool: { name: 'order_desk' } });

    // A MEMBER may create tools but not assign them: the refusal leaves no tool behind.
    const refused = await client(org.keys.MEMBER).POST(
      '/api/assistants/{assistant_id}/tools/from-template/{template_id}',
      {
        params: { path: { assistant_id: assistantId, template_id: 'builtin:order-status' } },
        body: { name: 'left_over' },
      },
    );
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: org.id, name: 'left_over' } })).toBe(0);
  });

  test('the marketplace lists published tools', async () => {
    const published = await client(other.keys.ADMIN).POST('/api/organization/tools', {
      body: { ...(endpointToolInput('shared_lookup') as { name: string; type: 'ENDPOINT' }), isPublic: true },
    });
    expect(published.response.status).toBe(201);
    const market = await client(org.keys.VIEWER).GET('/api/tools/public', { params: { query: { search: 'shared' } } });
    expect(market.data!.map((tool) => tool.name)).toEqual(['shared_lookup']);
  });
});

test('REST requests are GraphQL operations named for their operationId in the metrics', async () => {
  await client(org.keys.VIEWER).GET('/api/tool-templates');
  const metrics = await (await fetch(`${t.url}/metrics`)).text();
  expect(metrics).toMatch(/graphql_envelop_request\{operationName="listToolTemplates",operationType="query"\} [1-9]/);
});

describe('errors are problem details with GraphQL’s own decisions', () => {
  /** openapi-fetch has read the body already and hands it over as `error`. */
  async function expectProblem(
    result: Response | { response: Response; error?: unknown },
    status: number,
    code: string,
  ) {
    const response = result instanceof Response ? result : result.response;
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const body = (result instanceof Response ? await result.json() : result.error) as Record<string, unknown>;
    expect(body).toMatchObject({ status, code, type: expect.stringContaining('urn:'), title: expect.any(String) });
    expect(body.detail).toEqual(expect.any(String));
    return body;
  }

  test("another organization's tool is a 404, exactly like one that does not exist", async () => {
    const theirs = await client(other.keys.MEMBER).POST('/api/organization/tools', { body: greetTool('their_tool') });
    const response = await client(org.keys.ADMIN).GET('/api/organization/tools/{tool_id}', {
      params: { path: { tool_id: theirs.data!.id! } },
    });
    await expectProblem(response, 404, 'NOT_FOUND');
    const update = await client(org.keys.ADMIN).PUT('/api/organization/tools/{tool_id}', {
      params: { path: { tool_id: theirs.data!.id! } },
      body: { description: 'mine now' },
    });
    await expectProblem(update, 404, 'NOT_FOUND');
  });

  test('a VIEWER creating a tool is a 403', async () => {
    const response = await client(org.keys.VIEWER).POST('/api/organization/tools', { body: greetTool('viewer_tool') });
    await expectProblem(response, 403, 'FORBIDDEN');
  });

  test('invalid input is a 400 with issues', async () => {
    const response = await client(org.keys.MEMBER).POST('/api/organization/tools', {
      body: { ...greetTool('bad name!'), timeoutSeconds: 20 },
    });
    const body = await expectProblem(response, 400, 'VALIDATION');
    expect(body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', message: expect.stringContaining('1-64 characters') }),
      ]),
    );
  });

  test('a body GraphQL cannot coerce is a 400, a duplicate a 409', async () => {
    const missingType = await fetch(`${t.url}/api/organization/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no_type' }),
    });
    await expectProblem(missingType, 400, 'BAD_USER_INPUT');
    const notJson = await fetch(`${t.url}/api/organization/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: '{',
    });
    await expectProblem(notJson, 400, 'BAD_REQUEST');
    await client(org.keys.MEMBER).POST('/api/organization/tools', { body: greetTool('twice') });
    const duplicate = await client(org.keys.MEMBER).POST('/api/organization/tools', { body: greetTool('twice') });
    await expectProblem(duplicate, 409, 'CONFLICT');
  });

  test('a missing or unknown key is a 401; a session cookie does not authenticate here', async () => {
    await expectProblem(await client().GET('/api/organization/tools'), 401, 'UNAUTHENTICATED');
    const unknown = await client('sb_not_a_real_key').GET('/api/organization/tools');
    await expectProblem(unknown, 401, 'UNAUTHENTICATED');
    const login = await t.gql<{ login: unknown }>(
      `mutation ($input: LoginInput!) { login(input: $input) { __typename } }`,
      { input: { email: org.users.ADMIN.email, password: org.users.ADMIN.password } },
    );
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const withCookie = await fetch(`${t.url}/api/organization/tools`, { headers: { cookie } });
    await expectProblem(withCookie, 401, 'UNAUTHENTICATED');
  });

  test('the tools list sorts and shows archived tools as the GraphQL list does', async () => {
    const own = await createOrganization(t.app.services.prisma, 'Rest order');
    const member = client(own.keys.MEMBER);
    const ids: Record<string, string> = {};
    for (const name of ['alpha_tool', 'zulu_tool', 'mike_tool']) {
      const created = await member.POST('/api/organization/tools', { body: greetTool(name) });
      ids[name] = created.data!.id!;
    }
    const archived = await member.POST('/api/organization/tools/{tool_id}/archive', {
      params: { path: { tool_id: ids.mike_tool! } },
    });
    expect(archived.response.status).toBe(200);

    const names = async (query: Record<string, unknown>) => {
      const listed = await member.GET('/api/organization/tools', { params: { query } });
      expect(listed.response.status).toBe(200);
      return listed.data!.items.map((item) => item.name);
    };
    await expect(names({ order_by: 'NAME' })).resolves.toEqual(['alpha_tool', 'zulu_tool']);
    await expect(names({})).resolves.toEqual(['zulu_tool', 'alpha_tool']);
    await expect(names({ archived: true })).resolves.toEqual(['mike_tool']);
    await expect(names({ archived: false, order_by: 'NAME', first: 1 })).resolves.toEqual(['alpha_tool']);

    for (const query of ['order_by=SIDEWAYS', 'archived=maybe']) {
      const response = await fetch(`${t.url}/api/organization/tools?${query}`, {
        headers: { authorization: `Bearer ${own.keys.MEMBER}` },
      });
      await expectProblem(response, 400, 'BAD_USER_INPUT');
    }
  });

  test('a page size that is not a number is a 400', async () => {
    const response = await fetch(`${t.url}/api/organization/tools?first=many`, {
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    await expectProblem(response, 400, 'BAD_USER_INPUT');
  });

  test('unknown paths are 404 and wrong methods 405, as problems', async () => {
    const unknown = await fetch(`${t.url}/api/organization/widgets`, {
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    await expectProblem(unknown, 404, 'NOT_FOUND');
    const wrong = await fetch(`${t.url}/api/tools/public`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    await expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  test('the body limit of /graphql applies', async () => {
    const limit = t.app.services.config.bodyLimitBytes;
    const response = await fetch(`${t.url}/api/organization/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...greetTool('huge'), description: 'x'.repeat(limit) }),
    });
    await expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    // Chunked: no Content-Length, counted while it streams.
    const body = new TextEncoder().encode(JSON.stringify({ description: 'x'.repeat(limit) }));
    const chunked = await fetch(`${t.url}/api/organization/tools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.keys.MEMBER}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(body);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    await expectProblem(chunked, 413, 'PAYLOAD_TOO_LARGE');
  });
});
