import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createLoginThrottle,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_FAILURES_PER_EMAIL,
} from '../../server/auth/login-throttle.ts';
import {
  hashPassword,
  passwordHashingLoad,
  SCRYPT_CONCURRENCY,
  SCRYPT_QUEUE_LIMIT,
  verifyPassword,
} from '../../server/security/passwords.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp();
  org = await createOrganization(t.app.services.prisma, 'Abuse');
});
afterAll(() => t?.close());

const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }';

async function metrics(): Promise<string> {
  return (await fetch(`${t.url}/metrics`)).text();
}

function operationNames(body: string): Set<string> {
  return new Set([...body.matchAll(/operationName="([^"]*)"/g)].map((match) => match[1]!));
}

describe('/metrics labels are bounded', () => {
  test('300 anonymous requests with random operation names add no operation-name series', async () => {
    const random = Array.from({ length: 300 }, () => `Op_${randomBytes(6).toString('hex')}`);
    for (let index = 0; index < random.length; index += 50) {
      await Promise.all(
        random.slice(index, index + 50).map((name, offset) =>
          fetch(`${t.url}/graphql?pad=${index + offset}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `query ${name} { __typename }`, operationName: name }),
          }),
        ),
      );
    }
    // A named operation from an authenticated client is labelled (the sentinel that metrics were recorded).
    await t.gql('query ToolsScreen { tools { edges { node { id } } } }', {}, { apiKey: org.keys.VIEWER });
    const body = await metrics();
    const names = operationNames(body);
    expect(names).toContain('ToolsScreen');
    for (const name of random) expect(body).not.toContain(name);
    expect(body).not.toMatch(/pad=/);
    expect(names.size).toBeLessThanOrEqual(4);
  });
});

describe('login cost is bounded', () => {
  test('a request with 30 aliased logins runs one of them; the rest fail with BAD_REQUEST', async () => {
    const user = org.users.VIEWER;
    const aliases = Array.from(
      { length: 30 },
      (_, index) =>
        `l${index}: login(input: { email: "${user.email}", password: "wrong password ${index}" }) { csrfToken }`,
    ).join('\n');
    const response = await t.gql(`mutation { ${aliases} }`);
    const codes = (response.errors ?? []).map((error) => error.extensions?.code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(1);
    expect(codes.filter((code) => code === 'BAD_REQUEST')).toHaveLength(29);
    expect(response.errors!.find((error) => error.extensions?.code === 'BAD_REQUEST')!.message).toMatch(
      /one login per request/,
    );
  });

  test('scrypt runs at most SCRYPT_CONCURRENCY at a time, with a bounded queue behind it', async () => {
    const stored = await hashPassword('the right password');
    const checks = Array.from({ length: SCRYPT_CONCURRENCY + SCRYPT_QUEUE_LIMIT + 5 }, () =>
      verifyPassword('a wrong password', stored).then(
        (valid) => ({ valid }),
        (error: unknown) => ({ error: error as Error & { code?: string } }),
      ),
    );
    expect(passwordHashingLoad()).toEqual({ active: SCRYPT_CONCURRENCY, pending: SCRYPT_QUEUE_LIMIT });
    const outcomes = await Promise.all(checks);
    expect(outcomes.filter((outcome) => 'valid' in outcome && outcome.valid === false)).toHaveLength(
      SCRYPT_CONCURRENCY + SCRYPT_QUEUE_LIMIT,
    );
    const refused = outcomes.filter((outcome) => 'error' in outcome);
    expect(refused).toHaveLength(5);
    expect(refused.every((outcome) => 'error' in outcome && outcome.error.code === 'RATE_LIMITED')).toBe(true);
  }, 120_000);
});

describe('the login throttle cannot be reset by flooding', () => {
  test('after 10 failures even the right password is refused with RATE_LIMITED', async () => {
    const user = org.users.MEMBER;
    for (let attempt = 0; attempt < LOGIN_FAILURES_PER_EMAIL; attempt += 1) {
      const failed = await t.gql(LOGIN, { input: { email: user.email, password: `nope ${attempt}` } });
      expect(failed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const refused = await t.gql(LOGIN, { input: { email: user.email, password: user.password } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  }, 120_000);

  test('10,000 failures for other emails from other addresses leave a victim throttled', async () => {
    const throttle = createLoginThrottle();
    for (let attempt = 0; attempt < LOGIN_FAILURES_PER_EMAIL; attempt += 1) {
      await throttle.recordFailure('victim@example.test', '198.51.100.1');
    }
    for (let index = 0; index < 10_000; index += 1) {
      await throttle.recordFailure(
        `flood-${index}@example.test`,
        `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`,
      );
    }
    await expect(throttle.check('victim@example.test', '198.51.100.2')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  test('one address is refused after LOGIN_FAILURES_PER_ADDRESS failures, whatever the emails', async () => {
    const throttle = createLoginThrottle();
    for (let index = 0; index < LOGIN_FAILURES_PER_ADDRESS; index += 1) {
      await throttle.recordFailure(`spray-${index}@example.test`, '203.0.113.7');
    }
    await expect(throttle.check('fresh@example.test', '203.0.113.7')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(throttle.check('fresh@example.test', '203.0.113.8')).resolves.toBeUndefined();
  });
});
