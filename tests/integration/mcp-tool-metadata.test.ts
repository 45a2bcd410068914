/**
 * What MCP clients learn about tools and errors, per the 2025-11-25 revision:
 * `title` and `annotations` from the tool's settings, a typed `outputSchema`
 * where the tool declares the shape of its data (and results held to it),
 * protocol errors without a doubled "MCP error -32602:" prefix, and a
 * stateless server: no session id, GET and DELETE answered 405.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import {
  createToolVia,
  startUpstream,
  wireAssistant,
  type Upstream,
  type WiredAssistant,
} from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let wired: WiredAssistant;
const clients: Client[] = [];

const ORDER_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, status: { type: 'string' } },
  required: ['id', 'status'],
};

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Mcp metadata');
  wired = await wireAssistant(t, org, upstream.url);
  for (const [name, configuration] of [
    ['cancel_order', { url: `${upstream.url}/orders/\${parameters.order_id}`, method: 'DELETE' }],
    [
      'typed_lookup',
      { url: `${upstream.url}/orders/\${parameters.order_id}`, method: 'GET', output_schema: ORDER_SCHEMA },
    ],
    [
      'mistyped_lookup',
      {
        url: `${upstream.url}/orders/\${parameters.order_id}`,
        method: 'POST',
        output_schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] },
        annotations: { idempotentHint: true, openWorldHint: false },
      },
    ],
  ] as const) {
    const toolId = await createToolVia(t, org.keys.MEMBER, {
      name,
      displayName: name.replace('_', ' '),
      type: 'ENDPOINT',
      configuration,
      functionDefinition: {
        name,
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      },
    });
    await t.gql(
      `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename } }`,
      { input: { assistantId: wired.assistantId, toolId } },
      { apiKey: org.keys.ADMIN },
    );
  }
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t?.close();
  await upstream?.close();
});

async function connect(key: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp/${wired.assistantId}`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'switchboard-metadata-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

function rpc(body: unknown, method = 'POST'): Promise<Response> {
  return fetch(`${t.url}/mcp/${wired.assistantId}`, {
    method,
    headers: {
      authorization: `Bearer ${org.keys.MEMBER}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    },
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
}

describe('MCP tool metadata', () => {
  test('title and annotations come from the tool: its display name, method and settings', async () => {
    const { tools } = await (await connect(org.keys.VIEWER)).listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(byName.typed_lookup).toMatchObject({
      title: 'typed lookup',
      annotations: { title: 'typed lookup', readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    });
    expect(byName.cancel_order!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });
    // Settings win over what the method suggests.
    expect(byName.mistyped_lookup!.annotations).toMatchObject({
      readOnlyHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(byName.endCall!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      openWorldHint: false,
    });
  });

  test('a declared output_schema types structuredContent.data, and a result that breaks it is an error', async () => {
    const client = await connect(org.keys.MEMBER);
    const { tools } = await client.listTools();
    const typed = tools.find((tool) => tool.name === 'typed_lookup')!;
    expect(typed.outputSchema).toMatchObject({
      type: 'object',
      properties: { success: { type: 'boolean' }, data: ORDER_SCHEMA },
      required: ['success'],
    });
    const ok = await client.callTool({ name: 'typed_lookup', arguments: { order_id: 'T-1' } });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toMatchObject({ success: true, data: { id: 'T-1', status: 'shipped' } });

    const broken = await client.callTool({ name: 'mistyped_lookup', arguments: { order_id: 'T-2' } });
    expect(broken.isError).toBe(true);
    expect((broken.content as Array<{ text: string }>)[0]!.text).toContain('does not match its output_schema');
  });

  test('protocol errors carry their message once, without a doubled "MCP error" prefix', async () => {
    const response = await rpc({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'summon_dragon', arguments: {} },
    });
    const body = (await response.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(-32602);
    expect(body.error.message).toMatch(/^Unknown tool: summon_dragon\. Available tools: /);

    const client = await connect(org.keys.MEMBER);
    const error = await client
      .callTool({ name: 'summon_dragon', arguments: {} })
      .catch((caught: unknown) => caught as Error);
    expect((error as Error).message).toMatch(/^MCP error -32602: Unknown tool: summon_dragon/);
    expect((error as Error).message.match(/MCP error/g)).toHaveLength(1);
  });

  test('stateless per the revision it advertises: no session id, GET and DELETE are 405', async () => {
    const initialize = await rpc({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'curl', version: '1' },
      },
    });
    expect(initialize.status).toBe(200);
    expect(initialize.headers.get('mcp-session-id')).toBeNull();
    const text = await initialize.text();
    expect(text).toContain(`"protocolVersion":"${LATEST_PROTOCOL_VERSION}"`);
    for (const method of ['GET', 'DELETE']) {
      const response = await rpc(undefined, method);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      await response.body?.cancel();
    }
  });
});
