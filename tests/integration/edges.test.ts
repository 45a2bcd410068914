/**
 * Inputs at the edges get a clear answer (a JSON error body, a typed error,
 * or simply working), never an HTTP 500, an empty body or `Unexpected error.`.
 */
import { connect } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHealthMonitor } from '../../server/metrics/health-monitor.ts';
import { createInMemoryPubSub, toolHealthTopic, type ToolHealthEvent } from '../../server/realtime/pubsub.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, endpointToolInput, type TestOrganization } from '../helpers/fixtures.ts';
import { createToolVia } from '../helpers/integrations.ts';

let t: TestApp;
let org: TestOrganization;
let upstream: Upstream;
let assistantId: string;

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}`,
    SWITCHBOARD_BODY_LIMIT_BYTES: String(256 * 1024),
  });
  org = await createOrganization(t.app.services.prisma, 'Edges');
  const prisma = t.app.services.prisma;
  const tool = await prisma.tool.create({
    data: {
      organizationId: org.id,
      name: 'echo',
      displayName: 'echo',
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}/echo`, method: 'POST' },
      functionDefinition: { name: 'echo', parameters: { type: 'object' } },
    },
  });
  const assistant = await prisma.assistant.create({ data: { organizationId: org.id, name: 'Desk' } });
  await prisma.assistantTool.create({ data: { assistantId: assistant.id, toolId: tool.id } });
  assistantId = assistant.id;
});

afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

/** One raw HTTP/1.1 exchange, for requests fetch will not send (lying lengths, hand-made chunks). */
async function rawExchange(request: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(t.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(request);
  let text = '';
  socket.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (length !== undefined && Buffer.byteLength(text.slice(end + 4)) >= Number(length)) resolve();
    });
    socket.on('close', () => resolve());
  });
  socket.destroy();
  const end = text.indexOf('\r\n\r\n');
  const headers = text.slice(0, end);
  let body = text.slice(end + 4);
  if (/transfer-encoding: chunked/i.test(headers)) {
    let decoded = '';
    for (;;) {
      const lineEnd = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += Buffer.from(body.slice(lineEnd + 2))
        .subarray(0, size)
        .toString();
      body = Buffer.from(body.slice(lineEnd + 2))
        .subarray(size + 2)
        .toString();
    }
    body = decoded;
  }
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), headers, body };
}

function chunked(body: string, chunkSize = 1000): string {
  let out = '';
  for (let index = 0; index < body.length; index += chunkSize) {
    const chunk = body.slice(index, index + chunkSize);
    out += `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

function graphqlRequest(body: string, headers: string[]): string {
  return [`POST /graphql HTTP/1.1`, `Host: localhost`, ...headers, 'Connection: close', '', body].join('\r\n');
}

describe('the front door', () => {
  test('a malformed percent-escape in a REST path is a 400 with a JSON error, not a 500', async () => {
    const response = await fetch(`${t.url}/v1/assistants/%E0%A4%A/tools`, {
      headers: { authorization: `Bearer ${org.keys.MEMBER}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  test('a POST to /graphql with a wrong or missing Content-Type gets 415 with a JSON error body', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Array<Record<string, string>>) {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.keys.MEMBER}`, ...headers },
        body: new Blob(['{"query":"{ viewer { role } }"}']),
      });
      expect(response.status).toBe(415);
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      expect(body.errors[0]).toMatchObject({ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
      expect(body.errors[0]!.message).toMatch(/application\/json/);
    }
  });

  test('a Content-Length that lies is a 400 with a JSON error body', async () => {
    const body = '{"query":"{ viewer { role } }"}';
    for (const lengths of [['Content-Length: abc'], [`Content-Length: ${body.length}`, 'Content-Length: 3']]) {
      const response = await rawExchange(graphqlRequest(body, ['Content-Type: application/json', ...lengths]));
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  test('a chunked body (no Content-Length) is accepted on every route up to the body limit', async () => {
    const query = JSON.stringify({ query: '{ viewer { role } }' });
    const graphql = await rawExchange(
      graphqlRequest(chunked(query, 7), [
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
        `Authorization: Bearer ${org.keys.MEMBER}`,
      ]),
    );
    expect(graphql.status).toBe(200);
    expect(JSON.parse(graphql.body)).toEqual({ data: { viewer: { role: 'MEMBER' } } });

    const calls = JSON.stringify({ tool_calls: [{ id: 'c1', function: { name: 'echo', arguments: '{}' } }] });
    const rest = await rawExchange(
      [
        `POST /v1/assistants/${assistantId}/tool-calls HTTP/1.1`,
        'Host: localhost',
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
        `Authorization: Bearer ${org.keys.MEMBER}`,
        'Connection: close',
        '',
        chunked(calls, 5),
      ].join('\r\n'),
    );
    expect(rest.status).toBe(200);
    expect(JSON.parse(rest.body)).toMatchObject({ messages: [{ role: 'tool', tool_call_id: 'c1' }] });
  });

  test('a chunked body beyond the limit is a 413 counted while it streams', async () => {
    const big = JSON.stringify({ query: '{ viewer { role } }', variables: { pad: 'x'.repeat(300 * 1024) } });
    const response = await rawExchange(
      graphqlRequest(chunked(big, 4096), ['Content-Type: application/json', 'Transfer-Encoding: chunked']),
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });
});

describe('GraphQL input', () => {
  test('search treats % and _ as the characters they are', async () => {
    const prisma = t.app.services.prisma;
    const other = await createOrganization(prisma, 'Search');
    await createToolVia(t, other.keys.MEMBER, endpointToolInput('created', { description: 'plain words' }));
    await createToolVia(t, other.keys.MEMBER, endpointToolInput('e_d_tool', { description: '100% sure' }));
    const search = async (text: string) => {
      const response = await t.gql<{ tools: { edges: Array<{ node: { name: string } }> } }>(
        `query ($search: String) { tools(filter: { search: $search }) { edges { node { name } } } }`,
        { search: text },
        { apiKey: other.keys.VIEWER },
      );
      return response.data!.tools.edges.map((edge) => edge.node.name).sort();
    };
    expect(await search('%')).toEqual(['e_d_tool']);
    expect(await search('e_d')).toEqual(['e_d_tool']);
    expect(await search('100%')).toEqual(['e_d_tool']);
    expect(await search('ate')).toEqual(['created']);
  });

  test('parameters nested 50,000 deep are refused with a clear error naming the depth limit', async () => {
    // Arrays: 50,000 levels in 100 KB, well inside the body limit.
    let deep: unknown = 'bottom';
    for (let level = 0; level < 50_000; level += 1) deep = [deep];
    const response = await t.gql<{ executeTool: unknown }>(
      `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { __typename ... on ToolExecution { status } } }`,
      { input: { assistantId, toolName: 'echo', parameters: { deep } } },
      { apiKey: org.keys.MEMBER },
    );
    expect(response.errors?.[0]?.message).not.toBe('Unexpected error.');
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(response.errors?.[0]?.message).toMatch(/nested deeper than \d+ levels/);
  });

  test('tool call arguments nested 50,000 deep get an explanation for the model, not a 500', async () => {
    const deep = `{"deep":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const response = await fetch(`${t.url}/v1/assistants/${assistantId}/tool-calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.keys.MEMBER}` },
      body: JSON.stringify({ tool_calls: [{ id: 'deep', function: { name: 'echo', arguments: deep } }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { messages: Array<{ tool_call_id: string; content: string }> };
    expect(body.messages[0]).toMatchObject({ tool_call_id: 'deep' });
    expect(body.messages[0]!.content).toMatch(/nested too deeply/);
  });

  // Governance settings need ADMIN (tool-governance.test.ts): the bound applies to those who may set them.
  test('approval_timeout_seconds is bounded at save', async () => {
    for (const value of [1e13, 0, -5, 86_401]) {
      const response = await t.gql<{ createTool: { __typename: string; issues?: Array<{ field: string }> } }>(
        `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on ValidationError { issues { field message } } } }`,
        {
          input: endpointToolInput(`approval_${String(value).replace(/\W/g, '_')}`, {
            configuration: { url: 'https://api.example.com/x', method: 'GET', approval_timeout_seconds: value },
          }),
        },
        { apiKey: org.keys.ADMIN },
      );
      expect(response.data!.createTool.__typename).toBe('ValidationError');
      expect(response.data!.createTool.issues!.map((issue) => issue.field)).toContain(
        'configuration.approval_timeout_seconds',
      );
    }
    const fine = await t.gql<{ createTool: { __typename: string } }>(
      `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename } }`,
      {
        input: endpointToolInput('approval_ok', {
          configuration: { url: 'https://api.example.com/x', method: 'GET', approval_timeout_seconds: 86_400 },
        }),
      },
      { apiKey: org.keys.ADMIN },
    );
    expect(fine.data!.createTool.__typename).toBe('Tool');
  });

  test('a malformed session cookie means signed out', async () => {
    const response = await t.gql<{ viewer: unknown }>(`{ viewer { role } }`, {}, { cookie: 'sb_session=%E0%A4%A' });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ viewer: null });
  });
});

describe('tool health rounds', () => {
  test('a database error for one tool does not drop the rest of the round', async () => {
    const prisma = t.app.services.prisma;
    const owner = await createOrganization(prisma, 'Health');
    const tool = await prisma.tool.create({
      data: {
        organizationId: owner.id,
        name: 'flaky',
        displayName: 'flaky',
        type: 'ENDPOINT',
        configuration: { url: 'https://api.example.com/x', method: 'GET' },
        functionDefinition: { name: 'flaky', parameters: { type: 'object' } },
      },
    });
    const now = Date.now();
    await prisma.toolExecution.createMany({
      data: Array.from({ length: 10 }, (_, index) => ({
        organizationId: owner.id,
        toolId: tool.id,
        toolName: 'flaky',
        toolVersion: 1,
        status: 'ERROR' as const,
        triggerContext: 'call',
        inputParameters: {},
        startedAt: new Date(now - 1_000 - index),
        completedAt: new Date(now - 500),
        durationMs: 10,
      })),
    });
    const pubsub = createInMemoryPubSub();
    const monitor = createHealthMonitor({
      sql: t.app.services.sql,
      pubsub,
      logger: pino({ level: 'silent' }),
      intervalMs: 60_000,
    });
    const announced: ToolHealthEvent[] = [];
    pubsub.onLocalPublish((topic, event) => {
      if (topic === toolHealthTopic(owner.id)) announced.push(event as ToolHealthEvent);
    });
    const finished = (organizationId: string, toolId: string) =>
      pubsub.publish(`executions:${organizationId}`, {
        kind: 'finished',
        organizationId,
        executionId: '00000000-0000-0000-0000-000000000000',
        toolId,
        assistantId: null,
        callId: null,
        status: 'ERROR',
        at: new Date().toISOString(),
      });
    // Not a uuid: every statement about these fails in the database. They come first in the round.
    finished('not-an-organization', 'not-a-tool');
    finished(owner.id, 'not-a-tool-either');
    finished(owner.id, tool.id);
    await monitor.check();
    await monitor.close();
    expect(announced).toMatchObject([{ toolId: tool.id, health: 'FAILING', previous: 'OK' }]);
  });
});
