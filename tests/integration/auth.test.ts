import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Auth');
});
afterAll(() => t?.close());

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id name } } }`;

async function login(email: string, password: string) {
  const response = await t.gql<{ login: { csrfToken: string } }>(LOGIN, { input: { email, password } });
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { response, cookie: setCookie.split(';')[0] ?? '', setCookie };
}

describe('dashboard sessions', () => {
  test('login sets an HttpOnly SameSite cookie; the viewer is then the user', async () => {
    const { response, cookie, setCookie } = await login(org.users.ADMIN.email, org.users.ADMIN.password);
    expect(response.errors).toBeUndefined();
    expect(setCookie).toMatch(/sb_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
    const viewer = await t.gql<{ viewer: { role: string; user: { email: string }; organization: { id: string } } }>(
      `{ viewer { role user { email } organization { id } } }`,
      {},
      { cookie },
    );
    expect(viewer.data!.viewer).toEqual({
      role: 'ADMIN',
      user: { email: org.users.ADMIN.email },
      organization: { id: org.id },
    });
  });

  test('wrong password and unknown email fail alike with UNAUTHENTICATED and no cookie', async () => {
    for (const [email, password] of [
      [org.users.ADMIN.email, 'wrong password'],
      ['nobody@example.test', 'whatever1'],
    ] as const) {
      const { response, setCookie } = await login(email, password);
      expect(response.errors?.[0]).toMatchObject({
        message: 'invalid email or password',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      expect(setCookie).toBe('');
    }
  });

  test('cookie-authenticated mutations need the CSRF token', async () => {
    const { response, cookie } = await login(org.users.ADMIN.email, org.users.ADMIN.password);
    const csrfToken = response.data!.login.csrfToken;
    const without = await t.gql(CREATE_ASSISTANT, { input: { name: 'No CSRF' } }, { cookie });
    expect(without.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const wrong = await t.gql(CREATE_ASSISTANT, { input: { name: 'Wrong CSRF' } }, { cookie, csrfToken: 'nope' });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await t.app.services.prisma.assistant.count({ where: { organizationId: org.id } })).toBe(0);
    const ok = await t.gql<{ createAssistant: { __typename: string } }>(
      CREATE_ASSISTANT,
      { input: { name: 'With CSRF' } },
      { cookie, csrfToken },
    );
    expect(ok.data!.createAssistant.__typename).toBe('Assistant');
  });

  test('logout ends the session', async () => {
    const { response, cookie } = await login(org.users.MEMBER.email, org.users.MEMBER.password);
    const out = await t.gql<{ logout: boolean }>(
      `mutation { logout }`,
      {},
      { cookie, csrfToken: response.data!.login.csrfToken },
    );
    expect(out.data!.logout).toBe(true);
    expect(out.headers.get('set-cookie')).toMatch(/sb_session=; .*Max-Age=0/);
    const viewer = await t.gql<{ viewer: null }>(`{ viewer { role } }`, {}, { cookie });
    expect(viewer.data!.viewer).toBeNull();
  });
});

describe('organization switcher', () => {
  test('a member of two organizations switches the session between them', async () => {
    const other = await createOrganization(t.app.services.prisma, 'Other');
    await t.app.services.prisma.membership.create({
      data: { userId: org.users.MEMBER.id, organizationId: other.id, role: 'VIEWER' },
    });
    const { response, cookie } = await login(org.users.MEMBER.email, org.users.MEMBER.password);
    const csrfToken = response.data!.login.csrfToken;
    const before = await t.gql<{ viewer: { role: string; organization: { id: string }; memberships: unknown[] } }>(
      `{ viewer { role organization { id } memberships { organization { id } role } } }`,
      {},
      { cookie },
    );
    expect(before.data!.viewer).toMatchObject({ role: 'MEMBER', organization: { id: org.id } });
    expect(before.data!.viewer.memberships).toHaveLength(2);
    const switched = await t.gql<{ switchOrganization: { role: string; organization: { id: string } } }>(
      `mutation ($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { role organization { id } } }`,
      { input: { organizationId: other.id } },
      { cookie, csrfToken },
    );
    expect(switched.data!.switchOrganization).toEqual({ role: 'VIEWER', organization: { id: other.id } });
    const after = await t.gql<{ viewer: { role: string; organization: { id: string } } }>(
      `{ viewer { role organization { id } } }`,
      {},
      { cookie },
    );
    expect(after.data!.viewer).toEqual({ role: 'VIEWER', organization: { id: other.id } });
  });
});

describe('API keys', () => {
  test('the key is shown once, stored as a hash, usable, and revocable', async () => {
    const created = await t.gql<{
      createApiKey: { key: string; apiKey: { id: string; prefix: string; role: string } };
    }>(
      `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ... on CreateApiKeyPayload { key apiKey { id prefix role } } } }`,
      { input: { name: 'voice stack', role: 'MEMBER' } },
      { apiKey: org.keys.ADMIN },
    );
    const { key, apiKey } = created.data!.createApiKey;
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const row = await t.app.services.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(row)).not.toContain(key);

    const listed = await t.gql<{ organization: { apiKeys: Array<Record<string, unknown>> } }>(
      `{ organization { apiKeys { id name prefix role lastUsedAt revokedAt } } }`,
      {},
      { apiKey: org.keys.ADMIN },
    );
    expect(JSON.stringify(listed.data)).not.toContain(key);

    const viewer = await t.gql<{ viewer: { role: string } }>(`{ viewer { role } }`, {}, { apiKey: key });
    expect(viewer.data!.viewer.role).toBe('MEMBER');
    const used = await t.app.services.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(used.lastUsedAt).not.toBeNull();

    await t.gql(
      `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { __typename } }`,
      { input: { id: apiKey.id } },
      { apiKey: org.keys.ADMIN },
    );
    const after = await t.gql(`{ viewer { role } }`, {}, { apiKey: key });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('nobody mints a key stronger than themselves', async () => {
    const response = await t.gql(
      `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename } }`,
      { input: { name: 'escalate', role: 'OWNER' } },
      { apiKey: org.keys.ADMIN },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('malformed and unknown bearer tokens are UNAUTHENTICATED, never anonymous', async () => {
    for (const authorization of ['sb_unknown', 'not-a-key']) {
      const response = await t.gql(`{ viewer { role } }`, {}, { apiKey: authorization });
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('roles', () => {
  const cases: Array<{
    name: string;
    query: string;
    variables: () => Record<string, unknown>;
    minimum: 'VIEWER' | 'MEMBER' | 'ADMIN';
  }> = [
    { name: 'read tools', query: `{ tools { edges { node { id } } } }`, variables: () => ({}), minimum: 'VIEWER' },
    {
      name: 'create a tool',
      query: `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename } }`,
      variables: () => ({
        input: {
          name: `t_${Math.random().toString(36).slice(2)}`,
          type: 'LAMBDA',
          configuration: {
            function_name: 'f',
            region: 'us-east-1',
            access_key_field: 'AWS_KEY',
            secret_key_field: 'AWS_SECRET',
          },
        },
      }),
      minimum: 'MEMBER',
    },
    {
      name: 'set a secret',
      query: `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`,
      variables: () => ({ input: { name: 'ROLE_TEST', value: 'v' } }),
      minimum: 'ADMIN',
    },
    {
      name: 'create an assistant',
      query: CREATE_ASSISTANT,
      variables: () => ({ input: { name: 'Role test' } }),
      minimum: 'ADMIN',
    },
    {
      name: 'read the audit log',
      query: `{ auditLog { edges { node { id } } } }`,
      variables: () => ({}),
      minimum: 'ADMIN',
    },
    {
      name: 'create an API key',
      query: `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename } }`,
      variables: () => ({ input: { name: 'k', role: 'VIEWER' } }),
      minimum: 'ADMIN',
    },
  ];
  const order = ['VIEWER', 'MEMBER', 'ADMIN', 'OWNER'] as const;

  test.each(cases)('$name needs $minimum', async ({ query, variables, minimum }) => {
    for (const role of order) {
      const response = await t.gql(query, variables(), { apiKey: org.keys[role] });
      const allowed = order.indexOf(role) >= order.indexOf(minimum);
      if (allowed) expect(response.errors, `${role} should be allowed`).toBeUndefined();
      else expect(response.errors?.[0]?.extensions?.code, `${role} should be refused`).toBe('FORBIDDEN');
    }
    const anonymous = await t.gql(query, variables());
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
