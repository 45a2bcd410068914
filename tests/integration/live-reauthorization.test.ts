/**
 * Open subscriptions re-check their credentials: a revoked API key, an ended
 * session, a changed role or a removed member stops the stream (WebSocket
 * close 4403, an SSE error event with FORBIDDEN), while a subscriber whose
 * access did not change keeps receiving events through the re-checks.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startUpstream, type Upstream } from '../helpers/engine-harness.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, sleep, subscribeSse, until } from '../helpers/live.ts';

const REAUTH_MS = 100;
const EVENTS = 'subscription { toolExecutionEvents { kind status executionId } }';
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ... on ToolExecution { id status } } }`;
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { ... on CreateApiKeyPayload { key apiKey { id } } }
}`;
const REVOKE_KEY = `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { ... on ApiKey { revokedAt } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const LOGOUT = 'mutation { logout }';
const UPDATE_ROLE = `mutation ($input: UpdateMemberRoleInput!) {
  updateMemberRole(input: $input) { ... on Member { role } }
}`;
const MEMBERS = '{ organization { members { id user { email } } } }';
/** graphql-ws has no "subscribed" acknowledgement: give the server a moment to attach the listener. */
const ATTACH_MS = 150;

let upstream: Upstream;
let t: TestApp;
let acme: TestOrganization;
let toolId: string;

async function runTool(): Promise<void> {
  const response = await t.gql(TEST_TOOL, { input: { toolId, parameters: {} } }, { apiKey: acme.keys.MEMBER });
  expect(response.errors).toBeUndefined();
}

async function newKey(role: string): Promise<{ key: string; id: string }> {
  const response = await t.gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(
    CREATE_KEY,
    { input: { name: `live ${role}`, role } },
    { apiKey: acme.keys.ADMIN },
  );
  return { key: response.data!.createApiKey.key, id: response.data!.createApiKey.apiKey.id };
}

async function session(email: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, { input: { email, password } });
  return { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, csrfToken: login.data!.login.csrfToken };
}

async function memberId(email: string): Promise<string> {
  const response = await t.gql<{ organization: { members: Array<{ id: string; user: { email: string } }> } }>(
    MEMBERS,
    {},
    { apiKey: acme.keys.ADMIN },
  );
  return response.data!.organization.members.find((member) => member.user.email === email)!.id;
}

beforeAll(async () => {
  upstream = await startUpstream();
  t = await startTestApp({
    SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${upstream.port}`,
    SWITCHBOARD_LIVE_REAUTH_INTERVAL_MS: String(REAUTH_MS),
  });
  acme = await createOrganization(t.app.services.prisma, 'Acme');
  const tool = await t.app.services.prisma.tool.create({
    data: {
      organizationId: acme.id,
      name: 'lookup',
      displayName: 'lookup',
      type: 'ENDPOINT',
      configuration: { url: `${upstream.base}/echo`, method: 'POST' },
      functionDefinition: { name: 'lookup', parameters: { type: 'object', properties: {} } },
    },
  });
  toolId = tool.id;
});

afterAll(async () => {
  await disposeLive();
  await t?.close();
  await upstream?.close();
});

describe('live subscriptions re-check their credentials', () => {
  test('a subscriber whose access did not change keeps receiving events across many re-checks', async () => {
    const ws = connectWs(t.url, { apiKey: acme.keys.VIEWER });
    const sub = ws.subscribe(EVENTS);
    await sleep(ATTACH_MS + REAUTH_MS * 5);
    await runTool();
    await sub.waitFor(3);
    expect(sub.ended).toBe(false);
  });

  test('revoking the API key closes the socket with 4403', async () => {
    const { key, id } = await newKey('VIEWER');
    const ws = connectWs(t.url, { apiKey: key });
    const sub = ws.subscribe(EVENTS);
    await sleep(ATTACH_MS);
    await runTool();
    await sub.waitFor(3);
    const revoked = await t.gql(REVOKE_KEY, { input: { id } }, { apiKey: acme.keys.ADMIN });
    expect(revoked.errors).toBeUndefined();
    const closed = await ws.closed;
    expect(closed.code).toBe(4403);
    // Nothing can arrive on a closed socket: no later event needs waiting out.
    expect(sub.results).toHaveLength(3);
  });

  test('the periodic metrics subscription is re-checked too', async () => {
    const { key, id } = await newKey('VIEWER');
    const ws = connectWs(t.url, { apiKey: key });
    const sub = ws.subscribe('subscription { toolMetricsUpdated(window: { lastSeconds: 300 }) { __typename } }');
    await sub.waitFor(1);
    await t.gql(REVOKE_KEY, { input: { id } }, { apiKey: acme.keys.ADMIN });
    expect((await ws.closed).code).toBe(4403);
  });

  test('logging out closes a cookie-authenticated socket with 4403', async () => {
    const { cookie, csrfToken } = await session(acme.users.MEMBER.email, acme.users.MEMBER.password);
    const host = new URL(t.url).host;
    const ws = connectWs(t.url, {}, { cookie, origin: `http://${host}` });
    ws.subscribe(EVENTS);
    await sleep(ATTACH_MS + REAUTH_MS * 2);
    const out = await t.gql(LOGOUT, {}, { cookie, csrfToken });
    expect(out.errors).toBeUndefined();
    expect((await ws.closed).code).toBe(4403);
  });

  test("a change of the member's role ends their subscription; they may reconnect with the new one", async () => {
    const { email, password } = acme.users.VIEWER;
    const { cookie } = await session(email, password);
    const host = new URL(t.url).host;
    const ws = connectWs(t.url, {}, { cookie, origin: `http://${host}` });
    ws.subscribe(EVENTS);
    await sleep(ATTACH_MS);
    const changed = await t.gql(
      UPDATE_ROLE,
      { input: { memberId: await memberId(email), role: 'MEMBER' } },
      { apiKey: acme.keys.ADMIN },
    );
    expect(changed.data).toEqual({ updateMemberRole: { role: 'MEMBER' } });
    expect((await ws.closed).code).toBe(4403);

    const again = connectWs(t.url, {}, { cookie, origin: `http://${host}` });
    const sub = again.subscribe(EVENTS);
    await sleep(ATTACH_MS);
    await runTool();
    await sub.waitFor(3);
  });

  test('over SSE, a revoked key ends the stream with a FORBIDDEN error', async () => {
    const { key, id } = await newKey('VIEWER');
    const sub = subscribeSse(t.url, EVENTS, {}, { authorization: `Bearer ${key}` });
    expect(await sub.status).toBe(200);
    await sleep(ATTACH_MS);
    await runTool();
    await sub.waitFor(3);
    await t.gql(REVOKE_KEY, { input: { id } }, { apiKey: acme.keys.ADMIN });
    await until(() => sub.ended, 5_000, 'the SSE stream to end');
    const last = sub.results.at(-1);
    expect(last?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(sub.results.filter((result) => result.data)).toHaveLength(3);
  });
});
