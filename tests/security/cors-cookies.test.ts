import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const TRUSTED = 'https://dashboard.example.test';
let plain: TestApp;
let proxied: TestApp;
let org: TestOrganization;
let proxiedOrg: TestOrganization;

beforeAll(async () => {
  plain = await startTestApp({ SWITCHBOARD_TRUSTED_ORIGINS: TRUSTED });
  proxied = await startTestApp({ SWITCHBOARD_TRUST_PROXY: '127.0.0.1' });
  org = await createOrganization(plain.app.services.prisma, 'Cors');
  proxiedOrg = await createOrganization(proxied.app.services.prisma, 'Proxied');
});
afterAll(async () => {
  await plain?.close();
  await proxied?.close();
});

function preflight(t: TestApp, origin: string): Promise<Response> {
  return fetch(`${t.url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-csrf-token',
    },
  });
}

describe('credentialed CORS only for our own and trusted origins', () => {
  test.each(['http://evil.example', 'http://127.0.0.1:1', 'null'])(
    'a preflight from %s is not allowed to read responses',
    async (origin) => {
      const response = await preflight(plain, origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    },
  );

  test('a cookie-carrying POST from another origin gets no CORS headers', async () => {
    const response = await fetch(`${plain.url}/graphql`, {
      method: 'POST',
      headers: { origin: 'http://attacker.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { csrfToken } }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('the server itself and SWITCHBOARD_TRUSTED_ORIGINS are allowed with credentials', async () => {
    for (const origin of [new URL(plain.url).origin, TRUSTED]) {
      const response = await preflight(plain, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('access-control-allow-headers')).toMatch(/x-csrf-token/);
    }
  });
});

async function loginCookie(t: TestApp, o: TestOrganization, headers: Record<string, string>): Promise<string> {
  const user = o.users.MEMBER;
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      query: 'mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }',
      variables: { input: { email: user.email, password: user.password } },
    }),
  });
  const body = (await response.json()) as { data?: { login?: { csrfToken: string } } };
  expect(body.data?.login?.csrfToken).toBeTruthy();
  return response.headers.get('set-cookie') ?? '';
}

describe('the session cookie is Secure when the client used TLS', () => {
  test('plain HTTP: not Secure, and X-Forwarded-Proto from an untrusted peer is ignored', async () => {
    expect(await loginCookie(plain, org, {})).not.toMatch(/;\s*Secure/i);
    expect(await loginCookie(plain, org, { 'x-forwarded-proto': 'https' })).not.toMatch(/;\s*Secure/i);
  });

  test('behind a proxy listed in SWITCHBOARD_TRUST_PROXY, X-Forwarded-Proto: https makes it Secure', async () => {
    const cookie = await loginCookie(proxied, proxiedOrg, {
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '203.0.113.9',
    });
    expect(cookie).toMatch(/^sb_session=.*;\s*Secure/i);
    expect(await loginCookie(proxied, proxiedOrg, { 'x-forwarded-proto': 'http' })).not.toMatch(/;\s*Secure/i);
  });
});
