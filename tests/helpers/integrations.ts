/**
 * A small upstream API on loopback and an assistant wired to it, shared by the
 * integration adapter tests: `lookup_order` succeeds, `broken_tool` fails with
 * HTTP 500, plus the built-ins the assistant's legacy settings enable.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from './app.ts';
import { createOrganization, type TestOrganization } from './fixtures.ts';

export interface Upstream {
  url: string;
  requests: Array<{ method: string; url: string; body: string }>;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      if (req.url?.startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"database on fire"}');
        return;
      }
      const id = decodeURIComponent(req.url?.split('/').pop() ?? '');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id, status: 'shipped', note: 'line one\nline two' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const CREATE_TOOL = `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id name } ... on Error { message } } }`;
const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename ... on ToolAssignment { id } ... on Error { message } } }`;

export interface WiredAssistant {
  assistantId: string;
  tools: Record<string, string>;
  assignments: Record<string, string>;
}

export async function createToolVia(t: TestApp, key: string, input: Record<string, unknown>): Promise<string> {
  const response = await t.gql<{ createTool: { __typename: string; id?: string; message?: string } }>(
    CREATE_TOOL,
    { input },
    { apiKey: key },
  );
  if (response.data?.createTool.__typename !== 'Tool')
    throw new Error(`createTool failed: ${JSON.stringify(response)}`);
  return response.data.createTool.id!;
}

export function lookupOrderInput(upstream: string, name = 'lookup_order'): Record<string, unknown> {
  return {
    name,
    type: 'ENDPOINT',
    description: 'Looks up an order',
    configuration: { url: `${upstream}/orders/\${parameters.order_id}`, method: 'GET' },
    functionDefinition: {
      name,
      description: 'Look up an order by id',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' } },
        required: ['order_id'],
        additionalProperties: false,
      },
    },
    messages: { requestStart: 'Checking your order.', requestDelayed: { message: 'Still looking.', afterMs: 2000 } },
  };
}

/** An assistant with lookup_order, broken_tool, a disabled tool, an SMS-only tool, and endCall/transferCall enabled. */
export async function wireAssistant(t: TestApp, org: TestOrganization, upstream: string): Promise<WiredAssistant> {
  const tools: Record<string, string> = {};
  tools.lookup_order = await createToolVia(t, org.keys.MEMBER, lookupOrderInput(upstream));
  tools.broken_tool = await createToolVia(t, org.keys.MEMBER, {
    name: 'broken_tool',
    type: 'ENDPOINT',
    configuration: { url: `${upstream}/fail`, method: 'POST' },
    functionDefinition: {
      name: 'broken_tool',
      description: 'Always fails',
      parameters: { type: 'object', properties: {} },
    },
  });
  tools.switched_off = await createToolVia(t, org.keys.MEMBER, {
    name: 'switched_off',
    type: 'ENDPOINT',
    configuration: { url: `${upstream}/orders/x`, method: 'GET' },
    functionDefinition: { name: 'switched_off', parameters: { type: 'object', properties: {} } },
  });
  tools.sms_only = await createToolVia(t, org.keys.MEMBER, {
    name: 'sms_only',
    type: 'ENDPOINT',
    allowedContexts: ['sms'],
    configuration: { url: `${upstream}/orders/x`, method: 'GET' },
    functionDefinition: { name: 'sms_only', parameters: { type: 'object', properties: {} } },
  });
  const created = await t.gql<{ createAssistant: { id: string } }>(
    CREATE_ASSISTANT,
    {
      input: {
        name: 'Front desk',
        toolsSettings: {
          enabled_tools: ['end_call'],
          transfer_call: {
            enabled: true,
            transfer_numbers: [{ name: 'Sales', number: '+15550001111', description: 'new orders' }],
          },
        },
      },
    },
    { apiKey: org.keys.ADMIN },
  );
  const assistantId = created.data!.createAssistant.id;
  const assignments: Record<string, string> = {};
  for (const name of ['broken_tool', 'lookup_order', 'switched_off', 'sms_only']) {
    const input: Record<string, unknown> = { assistantId, toolId: tools[name], enabled: name !== 'switched_off' };
    if (name === 'lookup_order') {
      input.customConfiguration = { function_description: 'Look up the status of an order (front desk wording)' };
      input.messages = { requestComplete: 'Found it.' };
    }
    const response = await t.gql<{ assignTool: { __typename: string; id: string } }>(
      ASSIGN,
      { input },
      { apiKey: org.keys.ADMIN },
    );
    if (response.data?.assignTool.__typename !== 'ToolAssignment')
      throw new Error(`assignTool failed: ${JSON.stringify(response)}`);
    assignments[name] = response.data.assignTool.id;
  }
  return { assistantId, tools, assignments };
}

export async function serverSecret(t: TestApp, org: TestOrganization, assistantId: string): Promise<string> {
  const response = await t.gql<{ setAssistantServerSecret: { secret: string } }>(
    `mutation ($input: AssistantIdInput!) { setAssistantServerSecret(input: $input) { __typename ... on AssistantServerSecret { secret assistant { id hasServerSecret } } } }`,
    { input: { assistantId } },
    { apiKey: org.keys.ADMIN },
  );
  return response.data!.setAssistantServerSecret.secret;
}

let counter = 0;
/** Tool call ids are idempotency keys: every test call gets a fresh one. */
export function callId(prefix = 'call'): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}_${counter}`;
}

export interface WiredApp {
  t: TestApp;
  upstream: Upstream;
  org: TestOrganization;
  wired: WiredAssistant;
  /** The wired assistant's server secret (Vapi's Bearer / X-Vapi-Secret). */
  secret: string;
  close(): Promise<void>;
}

/**
 * A test app with loopback allowed, the upstream, an organization named `name`, its wired assistant
 * (wireAssistant) and that assistant's server secret: the setup the voice adapter tests share.
 */
export async function startWiredApp(name: string, env: Record<string, string> = {}): Promise<WiredApp> {
  const upstream = await startUpstream();
  let t: TestApp | undefined;
  try {
    t = await startTestApp({ SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', ...env });
    const org = await createOrganization(t.app.services.prisma, name);
    const wired = await wireAssistant(t, org, upstream.url);
    const secret = await serverSecret(t, org, wired.assistantId);
    const app = t;
    return {
      t: app,
      upstream,
      org,
      wired,
      secret,
      async close() {
        await app.close();
        await upstream.close();
      },
    };
  } catch (error) {
    await t?.close();
    await upstream.close();
    throw error;
  }
}
