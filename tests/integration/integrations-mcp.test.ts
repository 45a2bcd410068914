/** The MCP server, exercised with the SDK's own client over Streamable HTTP. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { startUpstream, wireAssistant, type Upstream, type WiredAssistant } from '../helpers/integrations.ts';

let t: TestApp;
let upstream: Upstream;
let org: TestOrganization;
let other: TestOrganization;
let wired: WiredAssistant;
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' });
  org = await createOrganization(t.app.services.prisma, 'Mcp');
  other = await createOrganization(t.app.services.prisma, 'NotMcp');
  wired = await wireAssistant(t, org, upstream.url);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t?.close();
  await upstream?.close();
});

async function connect(key: string | null, assistantId = wired.assistantId): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp/${assistantId}`), {
    requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
  });
  const client = new Client({ name: 'switchboard-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

describe('MCP server', () => {
  test('tools/list gives name, description and inputSchema of the runnable tools', async () => {
    const client = await connect(org.keys.VIEWER);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['broken_tool', 'lookup_order', 'endCall', 'transferCall']);
    expect(tools[1]).toMatchObject({
      name: 'lookup_order',
      description: 'Look up the status of an order (front desk wording)',
      inputSchema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    });
  });

  test('tools/call runs through the engine and returns content and structuredContent', async () => {
    const client = await connect(org.keys.MEMBER);
    await client.listTools();
    const result = await client.callTool({ name: 'lookup_order', arguments: { order_id: 'M-1' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ success: true, data: { id: 'M-1', status: 'shipped' } });
    const [content] = result.content as Array<{ type: string; text: string }>;
    expect(content!.type).toBe('text');
    expect(JSON.parse(content!.text)).toEqual(result.structuredContent);
    const execution = await t.app.services.prisma.toolExecution.findFirst({
      where: { organizationId: org.id, toolName: 'lookup_order', inputParameters: { equals: { order_id: 'M-1' } } },
    });
    expect(execution).toMatchObject({ status: 'SUCCESS', assistantId: wired.assistantId, triggerContext: 'call' });
  });

  test('failing tools and invalid arguments are isError results; unknown tools are protocol errors', async () => {
    const client = await connect(org.keys.MEMBER);
    const failed = await client.callTool({ name: 'broken_tool', arguments: {} });
    expect(failed.isError).toBe(true);
    expect((failed.content as Array<{ text: string }>)[0]!.text).toMatch(/500|failed|error/i);
    const invalid = await client.callTool({ name: 'lookup_order', arguments: { order_id: 42 } });
    expect(invalid.isError).toBe(true);
    await expect(client.callTool({ name: 'summon_dragon', arguments: {} })).rejects.toThrow(
      /Unknown tool: summon_dragon/,
    );
  });

  test('a VIEWER key may list but not run', async () => {
    const client = await connect(org.keys.VIEWER);
    await expect(client.callTool({ name: 'lookup_order', arguments: { order_id: 'M-2' } })).rejects.toThrow(/MEMBER/);
  });

  test('refuses missing and invalid keys, and assistants of other organizations', async () => {
    await expect(connect(null)).rejects.toThrow();
    await expect(connect('sb_invalid')).rejects.toThrow();
    await expect(connect(other.keys.OWNER)).rejects.toThrow();
    const raw = await fetch(`${t.url}/mcp/${wired.assistantId}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.keys.OWNER}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(raw.status).toBe(404);
  });

  test('malformed JSON-RPC is answered as a protocol error, not a crash', async () => {
    const response = await fetch(`${t.url}/mcp/${wired.assistantId}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${org.keys.MEMBER}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{"jsonrpc":',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number } };
    expect(body.error.code).toBe(-32700);
  });
});
