/**
 * The security event log end to end: each kind caused by its real trigger
 * (the SSRF guard in the endpoint and Lambda executors and the sandbox bridge, the JavaScript sandbox, the login mutation, the CSRF check,
 * API keys, approvals, secret grants), read back through `securityEvents`
 * (ADMIN only, one organization's events, filters, pagination) and counted on /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { connectWs, disposeLive } from '../helpers/live.ts';
import { createOrganization, createToolRow, type TestOrganization } from '../helpers/fixtures.ts';
import { createSecurityEventRecorder, type SecurityEvent } from '../../server/security/security-events.ts';

interface EventNode {
  id: string;
  kind: string;
  severity: string;
  actorType: string;
  actorId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

interface Connection {
  edges: Array<{ cursor: string; node: EventNode }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const EVENTS = `query ($filter: SecurityEventFilter, $first: Int, $after: String) {
  securityEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id kind severity actorType actorId subjectType subjectId details createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const EXECUTION = `__typename ... on ToolExecution { id status errorCode } ... on Error { message }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ${EXECUTION} } }`;
const EXECUTE_TOOL = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ${EXECUTION} } }`;
const APPROVE = `mutation ($id: ID!) { approveExecution(input: { id: $id }) { ${EXECUTION} } }`;
const REJECT = `mutation ($id: ID!) { rejectExecution(input: { id: $id, reason: "no" }) { ${EXECUTION} } }`;
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreateApiKeyPayload { key apiKey { id } } ... on Error { message } } }`;
const REVOKE_KEY = `mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { __typename ... on Error { message } } }`;
const SET_SECRET = `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename ... on Error { message } } }`;
const GRANT = `mutation ($input: SecretGrantInput!) { grantSecret(input: $input) { __typename ... on Error { message } } }`;
const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } ... on Error { message } } }`;
const ME = `query { viewer { __typename } }`;
const CREATE_TOOL = `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename ... on Tool { id } ... on Error { message } } }`;
const SET_CALLBACK = `mutation ($input: SetAssistantCallbackInput!) {
  setAssistantCallback(input: $input) { __typename ... on Error { message } } }`;

const SECRET_VALUE = 'sk-live-do-not-log-4242';
/** Execution-derived events are read back in batches; this bounds the wait for one. */
const EVENT_DEADLINE_MS = 15_000;

let t: TestApp;
let org: TestOrganization;
let other: TestOrganization;
let assistantId: string;
/** Every event this app recorded while the file ran, in order, as onEvent subscribers see them. */
const recorded: SecurityEvent[] = [];
let stopRecording: () => void = () => undefined;

/** The events of `kind` naming `executionId` that were recorded by the time the caller got its answer. */
function recordedFor(kind: string, executionId: unknown): SecurityEvent[] {
  return recorded.filter((event) => event.kind === kind && event.details.executionId === executionId);
}

async function events(
  filter: Record<string, unknown> = {},
  apiKey = org.keys.ADMIN,
  page: { first?: number; after?: string } = {},
): Promise<Connection> {
  const response = await t.gql<{ securityEvents: Connection }>(EVENTS, { filter, ...page }, { apiKey });
  expect(response.errors).toBeUndefined();
  return response.data!.securityEvents;
}

/** Waits (with a deadline) until the organization's log shows a `kind` event matching `where`. */
async function eventually(kind: string, where: Partial<EventNode> = {}): Promise<EventNode> {
  let found: EventNode | undefined;
  await expect
    .poll(
      async () => {
        await t.app.services.securityEvents.flush();
        const { edges } = await events({ kinds: [kind] }, org.keys.ADMIN, { first: 200 });
        found = edges
          .map((edge) => edge.node)
          .find((node) => Object.entries(where).every(([key, value]) => node[key as keyof EventNode] === value));
        return found !== undefined;
      },
      { timeout: EVENT_DEADLINE_MS, interval: 50 },
    )
    .toBe(true);
  return found!;
}

async function mutate(query: string, variables: Record<string, unknown>, apiKey: string) {
  const response = await t.gql<Record<string, Record<string, unknown>>>(query, variables, { apiKey });
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

async function login(email: string, password: string) {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOGIN, variables: { input: { email, password } } }),
  });
  const body = (await response.json()) as {
    data?: { login: { csrfToken: string } | null };
    errors?: Array<{ extensions?: { code?: string } }>;
  };
  return { body, cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_DELIVERY_POLL_MS: '50' });
  stopRecording = t.app.services.securityEvents.onEvent((event) => recorded.push(event));
  org = await createOrganization(t.app.services.prisma, 'Sec');
  other = await createOrganization(t.app.services.prisma, 'Elsewhere');
  const assistant = await mutate(CREATE_ASSISTANT, { input: { name: 'Front desk' } }, org.keys.ADMIN);
  assistantId = String(assistant.id);
});

afterAll(async () => {
  stopRecording();
  await disposeLive();
  await t?.close();
});

describe('events recorded through their real triggers', () => {
  it('an endpoint tool aimed at a private address is refused by the SSRF guard', async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'ENDPOINT', {
      url: 'http://127.0.0.1:9/internal',
      method: 'GET',
    });
    const run = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    expect(run).toMatchObject({ errorCode: 'SSRF_BLOCKED' });
    // Recorded by the executor as the guard refused, before the mutation answered: once.
    expect(recordedFor('SSRF_REFUSED', run.id)).toHaveLength(1);
    const event = await eventually('SSRF_REFUSED', { subjectId: tool.id });
    expect(event).toMatchObject({ severity: 'HIGH', subjectType: 'tool', actorType: 'apiKey' });
    expect(event.details).toMatchObject({ executionId: run.id, errorCode: 'SSRF_BLOCKED', toolType: 'ENDPOINT' });
  });

  it("a result delivery to the assistant's webhook at a private address is refused by the SSRF guard", async () => {
    const prisma = t.app.services.prisma;
    const hooked = await mutate(CREATE_ASSISTANT, { input: { name: 'Hooked' } }, org.keys.ADMIN);
    const hookedId = String(hooked.id);
    const set = await mutate(
      SET_CALLBACK,
      { input: { assistantId: hookedId, url: 'https://hooks.example.com/in' } },
      org.keys.ADMIN,
    );
    expect(set.__typename).toBe('AssistantCallback');
    // Saved before the address was private (say DNS changed since): the guard refuses it at send time.
    await prisma.assistant.update({ where: { id: hookedId }, data: { callbackUrl: 'http://127.0.0.1:9/hooks' } });
    const tool = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      code: 'export default function execute() { return { ok: true }; }',
    });
    await prisma.assistantTool.create({ data: { assistantId: hookedId, toolId: tool.id } });
    const run = await mutate(
      EXECUTE_TOOL,
      { input: { assistantId: hookedId, toolName: tool.name, parameters: {} } },
      org.keys.MEMBER,
    );
    expect(run).toMatchObject({ status: 'SUCCESS' });
    await t.app.services.deliveries.enqueueResult(
      await prisma.toolExecution.findUniqueOrThrow({ where: { id: String(run.id) } }),
    );
    const event = await eventually('SSRF_REFUSED', { subjectId: String(run.id) });
    expect(event).toMatchObject({ subjectType: 'execution', actorType: 'system' });
    expect(event.details).toMatchObject({ channel: 'WEBHOOK', errorCode: 'SSRF_BLOCKED' });
  });

  it('JavaScript code past its memory or its time limit is killed by the sandbox', async () => {
    const prisma = t.app.services.prisma;
    const hog = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      memory_limit_mb: 16,
      code: 'export default function execute() { const chunks = []; for (let i = 0; i < 400; i++) chunks.push(new Array(1 << 17).fill(i)); return chunks.length; }',
    });
    const spinner = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      execution_timeout: 1,
      code: 'export default function execute() { while (true) {} }',
    });
    const memory = await mutate(TEST_TOOL, { input: { toolId: hog.id, parameters: {} } }, org.keys.ADMIN);
    expect(memory).toMatchObject({ errorCode: 'MEMORY_LIMIT' });
    const time = await mutate(TEST_TOOL, { input: { toolId: spinner.id, parameters: {} } }, org.keys.ADMIN);
    expect(time).toMatchObject({ errorCode: 'TIMEOUT' });
    expect(recordedFor('SANDBOX_MEMORY_KILL', memory.id)).toHaveLength(1);
    expect(recordedFor('SANDBOX_TIME_KILL', time.id)).toHaveLength(1);
    expect(await eventually('SANDBOX_MEMORY_KILL', { subjectId: hog.id })).toMatchObject({ severity: 'WARNING' });
    expect((await eventually('SANDBOX_TIME_KILL', { subjectId: spinner.id })).details).toMatchObject({
      executionId: time.id,
      toolType: 'CODE',
    });
  });

  it("code stopped by its tool's deadline (timeoutSeconds) is a time kill too, recorded once", async () => {
    const prisma = t.app.services.prisma;
    // Saved before the limits were checked against each other: the tool's deadline ends the run, not the sandbox's.
    const tool = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      execution_timeout: 10,
      code: 'export default function execute() { while (true) {} }',
    });
    await prisma.tool.update({ where: { id: tool.id }, data: { timeoutSeconds: 1 } });
    const run = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    expect(run).toMatchObject({ status: 'TIMEOUT', errorCode: 'TIMEOUT' });
    expect(recordedFor('SANDBOX_TIME_KILL', run.id)).toHaveLength(1);
  });

  it("a code tool's fetch of a private address is refused at the sandbox's bridge, once however often it tries", async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'CODE', {
      runtime: 'javascript',
      code: 'export default async function execute() { for (let i = 0; i < 3; i++) { try { await fetch("http://127.0.0.1:9/admin"); } catch {} } return { tried: 3 }; }',
    });
    const run = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    // The code caught the refusals and succeeded: the guard still refused, and that is what is recorded.
    expect(run).toMatchObject({ status: 'SUCCESS' });
    expect(recordedFor('SSRF_REFUSED', run.id)).toHaveLength(1);
    const event = await eventually('SSRF_REFUSED', { subjectId: tool.id });
    expect(event).toMatchObject({ severity: 'HIGH', actorType: 'apiKey' });
    expect(event.details).toMatchObject({ executionId: run.id, toolType: 'CODE', errorCode: 'SSRF_BLOCKED' });
  });

  it("a Lambda tool's own endpoint at a private address is refused by the SSRF policy", async () => {
    for (const name of ['AWS_KEY', 'AWS_SECRET']) {
      await mutate(SET_SECRET, { input: { name, value: `value-of-${name}` } }, org.keys.ADMIN);
    }
    const created = await mutate(
      CREATE_TOOL,
      {
        input: {
          name: 'private_lambda',
          type: 'LAMBDA',
          configuration: {
            function_name: 'echo',
            region: 'us-east-1',
            access_key_field: 'AWS_KEY',
            secret_key_field: 'AWS_SECRET',
          },
        },
      },
      org.keys.ADMIN,
    );
    expect(created.__typename).toBe('Tool');
    const toolId = String(created.id);
    // Aimed at a private address after it was saved (the save-time check refuses such endpoints).
    const prisma = t.app.services.prisma;
    const saved = await prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
    await prisma.tool.update({
      where: { id: toolId },
      data: { configuration: { ...(saved.configuration as object), endpoint: 'http://127.0.0.1:9' } },
    });
    // A new Lambda target suspends the grants the save made; approved again, the run reaches the executor.
    for (const secretName of ['AWS_KEY', 'AWS_SECRET']) {
      const grant = await mutate(GRANT, { input: { toolId, secretName } }, org.keys.ADMIN);
      expect(grant.__typename).not.toMatch(/Error$/);
    }
    const run = await mutate(TEST_TOOL, { input: { toolId, parameters: {} } }, org.keys.ADMIN);
    expect(run).toMatchObject({ errorCode: 'SSRF_BLOCKED' });
    expect(recordedFor('SSRF_REFUSED', run.id)).toHaveLength(1);
    expect((await eventually('SSRF_REFUSED', { subjectId: toolId })).details).toMatchObject({ toolType: 'LAMBDA' });
  });

  it('JavaScript code importing a module is denied by the sandbox', async () => {
    const tool = await createToolRow(t.app.services.prisma, org.id, 'CODE', {
      runtime: 'javascript',
      code: 'import { readFileSync } from "node:fs";\nexport default function execute() { return readFileSync("/etc/passwd", "utf8"); }',
    });
    const run = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    expect(run).toMatchObject({ errorCode: 'IMPORT_NOT_ALLOWED' });
    expect(recordedFor('SANDBOX_PERMISSION_DENIED', run.id)).toHaveLength(1);
    expect(await eventually('SANDBOX_PERMISSION_DENIED', { subjectId: tool.id })).toMatchObject({ severity: 'HIGH' });
  });

  it('an ADMIN saving a tool that reads a secret grants it implicitly, and that grant is an event too', async () => {
    await mutate(SET_SECRET, { input: { name: 'CRM_TOKEN', value: 'crm-value' } }, org.keys.ADMIN);
    const created = await mutate(
      CREATE_TOOL,
      {
        input: {
          name: 'crm_lookup',
          type: 'CODE',
          configuration: {
            runtime: 'javascript',
            environment_variables: ['CRM_TOKEN'],
            code: 'export default function execute() { return { ok: secrets.CRM_TOKEN.length > 0 }; }',
          },
        },
      },
      org.keys.ADMIN,
    );
    expect(created.__typename).toBe('Tool');
    const event = await eventually('SECRET_GRANTED', { subjectId: 'CRM_TOKEN' });
    expect(event).toMatchObject({ subjectType: 'secret', actorType: 'apiKey', severity: 'INFO' });
    expect(event.details).toEqual({ toolId: created.id, implicit: true });
    // A MEMBER's save grants nothing, so it records nothing either.
    const byMember = await mutate(
      CREATE_TOOL,
      {
        input: {
          name: 'crm_member',
          type: 'CODE',
          configuration: {
            runtime: 'javascript',
            environment_variables: ['CRM_TOKEN'],
            code: 'export default function execute() { return 1; }',
          },
        },
      },
      org.keys.MEMBER,
    );
    expect(byMember.__typename).toBe('Tool');
    await t.app.services.securityEvents.flush();
    const grants = (await events({ kinds: ['SECRET_GRANTED'], subjectId: 'CRM_TOKEN' })).edges;
    expect(grants.map((edge) => edge.node.details.toolId)).toEqual([created.id]);
  });

  it('a wrong password is a failed login of the targeted member; repeated failures are throttled', async () => {
    const admin = org.users.ADMIN;
    const wrong = await login(admin.email, 'not the password');
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const failed = await eventually('LOGIN_FAILED', { subjectId: admin.id });
    expect(failed).toMatchObject({ actorType: 'address', actorId: '127.0.0.1', subjectType: 'user' });
    expect(failed.details).toEqual({ email: admin.email });

    const viewer = org.users.VIEWER;
    let code: string | undefined;
    for (let attempt = 0; attempt < 20 && code !== 'RATE_LIMITED'; attempt += 1) {
      code = (await login(viewer.email, `wrong ${attempt}`)).body.errors?.[0]?.extensions?.code;
    }
    expect(code).toBe('RATE_LIMITED');
    expect(await eventually('LOGIN_THROTTLED', { subjectId: viewer.id })).toMatchObject({ severity: 'HIGH' });

    // An unknown email names no organization: nobody's log shows it.
    await login('nobody-here@example.test', 'whatever');
    await t.app.services.securityEvents.flush();
    for (const apiKey of [org.keys.ADMIN, other.keys.ADMIN]) {
      const { edges } = await events({ kinds: ['LOGIN_FAILED'] }, apiKey);
      expect(edges.some((edge) => edge.node.details.email === 'nobody-here@example.test')).toBe(false);
    }
  });

  it('a cross-origin cookie mutation without the CSRF token is refused and recorded', async () => {
    const owner = org.users.OWNER;
    const { cookie } = await login(owner.email, owner.password);
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'http://evil.example' },
      body: JSON.stringify({ query: CREATE_ASSISTANT, variables: { input: { name: 'Forged' } } }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const event = await eventually('CSRF_REFUSED', { subjectId: owner.id });
    expect(event.details).toMatchObject({ origin: 'http://evil.example', transport: 'http' });

    // The same cookie opening a WebSocket from a foreign page (cross-site WebSocket hijacking).
    const socket = connectWs(t.url, {}, { cookie, origin: 'https://evil.example' });
    expect((await socket.closed).code).toBe(4403);
    await expect
      .poll(
        async () => {
          await t.app.services.securityEvents.flush();
          const { edges } = await events({ kinds: ['CSRF_REFUSED'], subjectId: owner.id });
          return edges.map((edge) => edge.node.details.transport).sort();
        },
        { timeout: EVENT_DEADLINE_MS, interval: 50 },
      )
      .toEqual(['http', 'websocket']);
  });

  it('creating and revoking an API key, then using the revoked key', async () => {
    const created = await mutate(CREATE_KEY, { input: { name: 'ci' } }, org.keys.ADMIN);
    const keyId = String((created.apiKey as { id: string }).id);
    const key = String(created.key);
    expect((await t.gql(ME, {}, { apiKey: key })).errors).toBeUndefined();
    expect(await mutate(REVOKE_KEY, { id: keyId }, org.keys.ADMIN)).toMatchObject({ __typename: 'ApiKey' });
    const refused = await t.gql(ME, {}, { apiKey: key });
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    expect(await eventually('API_KEY_CREATED', { subjectId: keyId })).toMatchObject({ actorType: 'apiKey' });
    await eventually('API_KEY_REVOKED', { subjectId: keyId });
    expect(await eventually('API_KEY_REVOKED_USE', { subjectId: keyId })).toMatchObject({
      severity: 'HIGH',
      actorId: keyId,
    });
    // A leaked key retried in a loop is one event a minute, not one per request.
    expect((await t.gql(ME, {}, { apiKey: key })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await t.app.services.securityEvents.flush();
    expect((await events({ kinds: ['API_KEY_REVOKED_USE'], subjectId: keyId })).edges).toHaveLength(1);
    // The full key never reaches the log.
    expect(JSON.stringify(await events())).not.toContain(key);
  });

  it('approving and rejecting held executions', async () => {
    const prisma = t.app.services.prisma;
    const tool = await createToolRow(prisma, org.id, 'CODE', {
      runtime: 'javascript',
      code: 'export default function execute() { return { refunded: true }; }',
    });
    await prisma.tool.update({ where: { id: tool.id }, data: { requireConfirmation: true } });
    await prisma.assistantTool.create({ data: { assistantId, toolId: tool.id } });
    const hold = async () => {
      const held = await mutate(
        EXECUTE_TOOL,
        { input: { assistantId, toolName: tool.name, parameters: {} } },
        org.keys.MEMBER,
      );
      expect(held).toMatchObject({ status: 'PENDING_APPROVAL' });
      return String(held.id);
    };
    const approvedId = await hold();
    expect(await mutate(APPROVE, { id: approvedId }, org.keys.ADMIN)).toMatchObject({ status: 'SUCCESS' });
    const rejectedId = await hold();
    expect(await mutate(REJECT, { id: rejectedId }, org.keys.ADMIN)).toMatchObject({ status: 'REJECTED' });

    expect(await eventually('APPROVAL_APPROVED', { subjectId: approvedId })).toMatchObject({
      subjectType: 'execution',
      severity: 'INFO',
    });
    expect((await eventually('APPROVAL_REJECTED', { subjectId: rejectedId })).details).toMatchObject({
      toolId: tool.id,
    });
  });

  it('a secret refused until granted, then granted and used: names only, never the value', async () => {
    expect(
      await mutate(SET_SECRET, { input: { name: 'BILLING_TOKEN', value: SECRET_VALUE } }, org.keys.ADMIN),
    ).toMatchObject({ __typename: 'Secret' });
    const tool = await createToolRow(t.app.services.prisma, org.id, 'CODE', {
      runtime: 'javascript',
      environment_variables: ['BILLING_TOKEN'],
      code: 'export default function execute() { return { length: secrets.BILLING_TOKEN.length }; }',
    });
    const refused = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    expect(refused).toMatchObject({ errorCode: 'SECRET_NOT_GRANTED' });
    expect(recordedFor('SECRET_USE_DENIED', refused.id)).toHaveLength(1);
    await eventually('SECRET_USE_DENIED', { subjectId: tool.id });

    const granted = await mutate(GRANT, { input: { toolId: tool.id, secretName: 'BILLING_TOKEN' } }, org.keys.ADMIN);
    expect(granted.__typename).not.toMatch(/Error$/);
    const used = await mutate(TEST_TOOL, { input: { toolId: tool.id, parameters: {} } }, org.keys.ADMIN);
    expect(used).toMatchObject({ status: 'SUCCESS' });

    expect(await eventually('SECRET_GRANTED', { subjectId: 'BILLING_TOKEN' })).toMatchObject({
      subjectType: 'secret',
    });
    expect((await eventually('SECRET_USED', { subjectId: 'BILLING_TOKEN' })).details).toMatchObject({
      executionId: used.id,
      toolId: tool.id,
    });
    const rows = await t.app.services.prisma.securityEvent.findMany({ where: { organizationId: org.id } });
    expect(JSON.stringify(rows)).not.toContain(SECRET_VALUE);
  });
});

describe('tool security events are recorded once each', () => {
  it('no execution has two events of one kind, though every earlier test has finished by now', async () => {
    const kinds = [
      'SSRF_REFUSED',
      'SANDBOX_PERMISSION_DENIED',
      'SANDBOX_MEMORY_KILL',
      'SANDBOX_TIME_KILL',
      'SECRET_USE_DENIED',
    ];
    const perExecution = recorded
      .filter((event) => kinds.includes(event.kind) && event.details.executionId)
      .map((event) => `${event.kind} ${String(event.details.executionId)}`);
    expect(perExecution.length).toBeGreaterThanOrEqual(7);
    expect(new Set(perExecution).size).toBe(perExecution.length);
    // The log shows what subscribers saw (deliveries' refusals name no execution): each event written once.
    await t.app.services.securityEvents.flush();
    const rows = await t.app.services.prisma.securityEvent.findMany({
      where: { organizationId: org.id, kind: { in: kinds as never[] } },
    });
    const ofExecutions = rows.filter((row) => (row.details as { executionId?: string }).executionId !== undefined);
    expect(ofExecutions).toHaveLength(perExecution.length);
  });
});

describe('the securityEvents query', () => {
  it('filters by kind, time, actor and subject, newest first, in pages', async () => {
    const all = await events({}, org.keys.ADMIN, { first: 200 });
    const nodes = all.edges.map((edge) => edge.node);
    expect(nodes.length).toBeGreaterThan(10);
    const times = nodes.map((node) => Date.parse(node.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const logins = await events({ kinds: ['LOGIN_FAILED', 'LOGIN_THROTTLED'] });
    expect(new Set(logins.edges.map((edge) => edge.node.kind))).toEqual(new Set(['LOGIN_FAILED', 'LOGIN_THROTTLED']));

    const byActor = await events({ actorId: '127.0.0.1' });
    expect(byActor.edges.length).toBeGreaterThan(0);
    expect(byActor.edges.every((edge) => edge.node.actorId === '127.0.0.1')).toBe(true);
    const bySubject = await events({ subjectId: 'BILLING_TOKEN' });
    expect(new Set(bySubject.edges.map((edge) => edge.node.kind))).toEqual(new Set(['SECRET_GRANTED', 'SECRET_USED']));

    const middle = nodes[Math.floor(nodes.length / 2)]!;
    const older = await events({ until: middle.createdAt }, org.keys.ADMIN, { first: 200 });
    expect(older.edges.every((edge) => Date.parse(edge.node.createdAt) < Date.parse(middle.createdAt))).toBe(true);
    const newer = await events({ since: middle.createdAt }, org.keys.ADMIN, { first: 200 });
    expect(newer.edges.length + older.edges.length).toBe(nodes.length);

    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await events({}, org.keys.ADMIN, { first: 3, ...(after ? { after } : {}) });
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(seen).toEqual(nodes.map((node) => node.id));
  });

  it('is refused to a MEMBER and shows another organization nothing', async () => {
    const member = await t.gql(EVENTS, {}, { apiKey: org.keys.MEMBER });
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await events({}, other.keys.OWNER)).edges).toEqual([]);
  });
});

describe('counters and subscribers', () => {
  it('counts events by kind on /metrics', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    for (const kind of ['SSRF_REFUSED', 'LOGIN_FAILED', 'CSRF_REFUSED', 'API_KEY_REVOKED_USE', 'SECRET_USED']) {
      expect(text).toMatch(new RegExp(`switchboard_security_events_total\\{kind="${kind}"\\} [1-9]`));
    }
  });

  it('tells onEvent subscribers at once, and the sweep removes events past the retention', async () => {
    const seen: SecurityEvent[] = [];
    const stop = t.app.services.securityEvents.onEvent((event) => seen.push(event));
    await login(org.users.MEMBER.email, 'wrong again');
    stop();
    expect(seen).toMatchObject([{ kind: 'LOGIN_FAILED', organizationId: org.id }]);

    const prisma = t.app.services.prisma;
    const old = await prisma.securityEvent.create({
      data: {
        organizationId: org.id,
        kind: 'LOGIN_FAILED',
        severity: 'WARNING',
        actorType: 'address',
        createdAt: new Date(Date.now() - 91 * 24 * 3600 * 1000),
      },
    });
    expect(await t.app.services.securityEvents.prune()).toBeGreaterThanOrEqual(1);
    expect(await prisma.securityEvent.findUnique({ where: { id: old.id } })).toBeNull();
    expect(await prisma.securityEvent.count({ where: { organizationId: org.id } })).toBeGreaterThan(10);
  });

  it('drops and counts events when the queue is full or the database is gone, without failing the caller', async () => {
    const db = await createTestDatabase();
    const recorder = createSecurityEventRecorder({
      prisma: db.database.prisma,
      logger: pino({ level: 'silent' }),
      retentionDays: 90,
      queueLimit: 2,
      flushIntervalMs: 60_000,
    });
    const event = { kind: 'LOGIN_FAILED', organizationId: null, actor: { type: 'address', id: '127.0.0.1' } } as const;
    for (let i = 0; i < 3; i += 1) recorder.record(event);
    expect(recorder.dropped()).toBe(1);
    await recorder.flush();
    expect(await db.database.prisma.securityEvent.count()).toBe(2);

    await db.drop();
    expect(() => recorder.record(event)).not.toThrow();
    await recorder.flush();
    expect(recorder.dropped()).toBe(2);
    await recorder.close();
  });
});
