/**
 * Secret values are write-only: no API response, audit entry or log line ever
 * carries them, and at rest they are AES-256-GCM bound to their organization.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../server/logger.ts';
import { createSecretCipher } from '../../server/security/secret-cipher.ts';
import { createLogSink } from '../helpers/log-sink.ts';
import { startTestApp, TEST_MASTER_KEY, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const VALUE = 'sk_live_extremely-secret-value-4242';
const REPLACED = 'sk_live_replacement-value-9999';
const { stream: sink, lines: logLines } = createLogSink();

let t: TestApp;
let org: TestOrganization;
const responses: string[] = [];

async function gql(query: string, variables: Record<string, unknown> = {}, apiKey = org.keys.ADMIN) {
  const response = await t.gql(query, variables, { apiKey });
  responses.push(JSON.stringify(response.data), JSON.stringify(response.errors ?? null));
  return response;
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_INTROSPECTION: 'true' }, { logger: createLogger('trace', sink) });
  org = await createOrganization(t.app.services.prisma, 'Secrets');
});
afterAll(() => t?.close());

describe('secrets', () => {
  test('set, replace, list names, delete — values never come back', async () => {
    const set = await gql(
      `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename ... on Secret { name } } }`,
      {
        input: { name: 'STRIPE_KEY', value: VALUE },
      },
    );
    expect(set.data).toEqual({ setSecret: { __typename: 'Secret', name: 'STRIPE_KEY' } });
    await gql(`mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`, {
      input: { name: 'STRIPE_KEY', value: REPLACED },
    });
    const listed = await gql(`{ secrets { id name createdAt updatedAt } }`);
    expect((listed.data as { secrets: Array<{ name: string }> }).secrets.map((secret) => secret.name)).toEqual([
      'STRIPE_KEY',
    ]);
    const audit = await gql(`{ auditLog { edges { node { action entityType diff } } } }`);
    expect(JSON.stringify(audit.data)).toContain('secret.replace');
    const introspection = await gql(`{ __type(name: "Secret") { fields { name } } }`);
    expect(JSON.stringify(introspection.data)).toContain('"name"');
    expect(JSON.stringify(introspection.data)).not.toMatch(/"value"|encrypted/i);

    const stored = await t.app.services.prisma.secret.findFirstOrThrow({ where: { organizationId: org.id } });
    expect(Buffer.from(stored.encryptedValue).toString('latin1')).not.toContain(REPLACED);
    const cipher = createSecretCipher(Buffer.from(TEST_MASTER_KEY, 'base64'));
    expect(cipher.decrypt(org.id, stored.encryptedValue)).toBe(REPLACED);
    expect(() => cipher.decrypt('00000000-0000-0000-0000-000000000000', stored.encryptedValue)).toThrow();

    const deleted = await gql(`mutation { deleteSecret(input: { name: "STRIPE_KEY" }) { __typename } }`);
    expect(deleted.data).toEqual({ deleteSecret: { __typename: 'Secret' } });
    const again = await gql(`mutation { deleteSecret(input: { name: "STRIPE_KEY" }) { __typename } }`);
    expect(again.data).toEqual({ deleteSecret: { __typename: 'NotFoundError' } });
  });

  test('bad names and empty or oversized values are ValidationErrors that store nothing', async () => {
    for (const input of [
      { name: '1BAD', value: 'x' },
      { name: 'has space', value: 'x' },
      { name: 'EMPTY', value: '' },
      { name: 'HUGE', value: 'x'.repeat(65 * 1024) },
    ]) {
      const response = await gql(`mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`, {
        input,
      });
      expect(response.data).toEqual({ setSecret: { __typename: 'ValidationError' } });
    }
    expect(await t.app.services.prisma.secret.count({ where: { organizationId: org.id } })).toBe(0);
  });

  test('a failed mutation that carried the value does not echo it', async () => {
    const response = await gql(
      `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename } }`,
      {
        input: { name: 'VIEWER_TRY', value: VALUE },
      },
      org.keys.VIEWER,
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('no response, audit entry or log line contains a secret value', async () => {
    const audits = await t.app.services.prisma.auditLog.findMany({ where: { organizationId: org.id } });
    expect(audits.length).toBeGreaterThan(0);
    const haystacks = [...responses, JSON.stringify(audits), ...logLines];
    // The operations themselves were logged (with their variables), only the values were redacted.
    expect(logLines.some((line) => line.includes('STRIPE_KEY'))).toBe(true);
    for (const text of haystacks) {
      expect(text).not.toContain(VALUE);
      expect(text).not.toContain(REPLACED);
    }
  });
});
