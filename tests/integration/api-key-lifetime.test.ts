/**
 * An API key acts with at most its creator's current role in the
 * organization: demoting the creator lowers the key, removing the creator
 * makes it unusable (REST, GraphQL and open subscriptions alike), and a key
 * may carry an expiry after which it is refused as UNAUTHENTICATED.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { connectWs, disposeLive, sleep } from '../helpers/live.ts';

const REAUTH_MS = 100;
/** graphql-ws has no "subscribed" acknowledgement: give the server a moment to attach the listener. */
const ATTACH_MS = 150;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreateApiKeyPayload { key apiKey { id role expiresAt } }
    ... on ValidationError { issues { field message } }
  }
}`;
const SET_SECRET = `mutation { setSecret(input: { name: "KEY_TEST", value: "v" }) { __typename } }`;
const UPDATE_ROLE = `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { __typename } }`;
const REMOVE = `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) { __typename } }`;

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_LIVE_REAUTH_INTERVAL_MS: String(REAUTH_MS) });
  org = await createOrganization(t.app.services.prisma, 'Keys');
});
afterAll(async () => {
  await disposeLive();
  await t?.close();
});

/** A fresh ADMIN user, signed in; returns its session and membership id. */
async function newAdmin(label: string) {
  const prisma = t.app.services.prisma;
  const email = `${label}-${Date.now()}@example.test`;
  const fixtureUser = await prisma.user.findUniqueOrThrow({ where: { id: org.users.ADMIN.id } });
  const user = await prisma.user.create({ data: { email, name: label, passwordHash: fixtureUser.passwordHash } });
  const membership = await prisma.membership.create({
    data: { userId: user.id, organizationId: org.id, role: 'ADMIN' },
  });
  const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, {
    input: { email, password: org.users.ADMIN.password },
  });
  const session = {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!,
    csrfToken: login.data!.login.csrfToken,
  };
  return { session, membershipId: membership.id };
}

async function createKey(
  as: { cookie?: string; csrfToken?: string; apiKey?: string },
  input: Record<string, unknown>,
): Promise<{ __typename: string; key?: string; apiKey?: { id: string; expiresAt: string | null } }> {
  const response = await t.gql<{ createApiKey: { __typename: string; key?: string } }>(CREATE_KEY, { input }, as);
  expect(response.errors).toBeUndefined();
  return response.data!.createApiKey;
}

async function roleOf(key: string): Promise<{ role: string | null; code: unknown }> {
  const response = await t.gql<{ viewer: { role: string } | null }>('{ viewer { role } }', {}, { apiKey: key });
  return { role: response.data?.viewer?.role ?? null, code: response.errors?.[0]?.extensions?.code };
}

describe("a key never outranks its creator's current role", () => {
  test('demoting the creator lowers the key; removing the creator makes it unusable', async () => {
    const { session, membershipId } = await newAdmin('demoted');
    const made = await createKey(session, { name: 'admin key', role: 'ADMIN' });
    const key = made.key!;
    expect(await roleOf(key)).toEqual({ role: 'ADMIN', code: undefined });
    expect((await t.gql(SET_SECRET, {}, { apiKey: key })).errors).toBeUndefined();

    const demoted = await t.gql(
      UPDATE_ROLE,
      { input: { memberId: membershipId, role: 'VIEWER' } },
      {
        apiKey: org.keys.OWNER,
      },
    );
    expect(demoted.errors).toBeUndefined();
    expect((await roleOf(key)).role).toBe('VIEWER');
    const refused = await t.gql(SET_SECRET, {}, { apiKey: key });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    await t.gql(UPDATE_ROLE, { input: { memberId: membershipId, role: 'ADMIN' } }, { apiKey: org.keys.OWNER });
    expect((await roleOf(key)).role).toBe('ADMIN');

    const removed = await t.gql<{ removeMember: { __typename: string } }>(
      REMOVE,
      { input: { memberId: membershipId } },
      { apiKey: org.keys.OWNER },
    );
    expect(removed.data!.removeMember.__typename).toBe('Member');
    expect(await roleOf(key)).toEqual({ role: null, code: 'UNAUTHENTICATED' });
    const afterRemoval = await t.gql(SET_SECRET, {}, { apiKey: key });
    expect(afterRemoval.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const rest = await fetch(`${t.url}/v1/assistants/00000000-0000-0000-0000-000000000000/tools`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(rest.status).toBe(401);
  });

  test('a key made by a key is bounded by the same person', async () => {
    const { session, membershipId } = await newAdmin('chained');
    const parent = (await createKey(session, { name: 'parent', role: 'ADMIN' })).key!;
    const child = (await createKey({ apiKey: parent }, { name: 'child', role: 'ADMIN' })).key!;
    expect((await roleOf(child)).role).toBe('ADMIN');
    await t.gql(UPDATE_ROLE, { input: { memberId: membershipId, role: 'MEMBER' } }, { apiKey: org.keys.OWNER });
    expect((await roleOf(child)).role).toBe('MEMBER');
  });

  test("an open subscription on the key ends when the creator's role changes", async () => {
    const { session, membershipId } = await newAdmin('live');
    const key = (await createKey(session, { name: 'live key', role: 'ADMIN' })).key!;
    const ws = connectWs(t.url, { apiKey: key });
    ws.subscribe('subscription { toolExecutionEvents { kind } }');
    await sleep(ATTACH_MS + REAUTH_MS * 2);
    await t.gql(UPDATE_ROLE, { input: { memberId: membershipId, role: 'MEMBER' } }, { apiKey: org.keys.OWNER });
    expect((await ws.closed).code).toBe(4403);
  });
});

describe('expiring keys', () => {
  test('an expiry in the past is refused at creation', async () => {
    const made = await createKey(
      { apiKey: org.keys.ADMIN },
      { name: 'stale', expiresAt: new Date(Date.now() - 60_000).toISOString() },
    );
    expect(made.__typename).toBe('ValidationError');
  });

  test('a key works until its expiry, then is UNAUTHENTICATED', async () => {
    const expiresAt = new Date(Date.now() + 1_500);
    const made = await createKey({ apiKey: org.keys.ADMIN }, { name: 'short', expiresAt: expiresAt.toISOString() });
    expect(new Date(made.apiKey!.expiresAt!).getTime()).toBe(expiresAt.getTime());
    expect((await roleOf(made.key!)).role).toBe('MEMBER');
    const deadline = Date.now() + 10_000;
    while ((await roleOf(made.key!)).code !== 'UNAUTHENTICATED') {
      if (Date.now() > deadline) throw new Error('the key never expired');
      await sleep(50);
    }
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
  });
});
