import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

/** NODE_ENV unset, as `script/start` and most deployments run. */
const UNSET = { NODE_ENV: undefined as unknown as string, LOG_LEVEL: 'silent' };
/** PostgreSQL cannot store this date: Prisma fails with its own text, the SQL state and our source paths. */
const DATABASE_FAILURE = `{ toolExecutions(filter: { since: "-271821-04-20T00:00:00.000Z" }) { edges { node { id } } } }`;
const SECRET = 'sk_live_do_not_echo_4242';

let t: TestApp;
let dev: TestApp;
let org: TestOrganization;
let devOrg: TestOrganization;

beforeAll(async () => {
  t = await startTestApp(UNSET);
  dev = await startTestApp({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  org = await createOrganization(t.app.services.prisma, 'Disclosure');
  devOrg = await createOrganization(dev.app.services.prisma, 'DisclosureDev');
});
afterAll(async () => {
  await t?.close();
  await dev?.close();
});

describe('with NODE_ENV unset, errors reveal nothing internal', () => {
  test('a database failure is masked: no Prisma or PostgreSQL text, no stack, no server paths', async () => {
    const response = await t.gql(DATABASE_FAILURE, {}, { apiKey: org.keys.VIEWER });
    expect(response.errors?.[0]).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(response.errors)).not.toMatch(/prisma|invocation|22009|stack|\/work\/|server\//i);
  });

  test('no field suggestions and no introspection', async () => {
    const typo = await t.gql(`{ tools { edges { node { nam } } } }`, {}, { apiKey: org.keys.VIEWER });
    expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "nam"/);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const schema = await t.gql(`{ __schema { types { name } } }`, {}, { apiKey: org.keys.VIEWER });
    expect(schema.data).toBeNull();
    expect(schema.errors?.[0]?.message).toMatch(/introspection/i);
    const type = await t.gql(`{ __type(name: "Tool") { name } }`);
    expect(type.data).toBeNull();
  });

  test('SWITCHBOARD_INTROSPECTION=true turns introspection (and suggestions) back on', async () => {
    const open = await startTestApp({ ...UNSET, SWITCHBOARD_INTROSPECTION: 'true' });
    try {
      const schema = await open.gql<{ __schema: { types: unknown[] } }>(`{ __schema { types { name } } }`);
      expect(schema.data?.__schema.types.length).toBeGreaterThan(10);
    } finally {
      await open.close();
    }
  });
});

describe('an input marked sensitive is never echoed', () => {
  const SET_SECRET = `mutation ($i: SetSecretInput!) { setSecret(input: $i) { __typename } }`;

  test('setSecret with an extra field names the field, not the secret', async () => {
    for (const app of [
      { t, key: org.keys.ADMIN },
      { t: dev, key: devOrg.keys.ADMIN },
    ]) {
      const response = await app.t.gql(
        SET_SECRET,
        { i: { name: 'STRIPE', value: SECRET, extra: 1 } },
        { apiKey: app.key },
      );
      expect(response.errors?.[0]?.message).toMatch(/Field "extra" is not defined by type "SetSecretInput"/);
      expect(JSON.stringify(response)).not.toContain(SECRET);
    }
  });

  test('a wrongly typed secret or password is not repeated, as a variable or a literal', async () => {
    const asNumber = await t.gql(SET_SECRET, { i: { name: 'PIN', value: 987654321 } }, { apiKey: org.keys.ADMIN });
    expect(asNumber.errors?.[0]?.message).toMatch(/at "i\.value"; String cannot represent a non string value\.$/);
    expect(JSON.stringify(asNumber)).not.toContain('987654321');

    const literal = await t.gql(
      `mutation { login(input: { email: "a@example.test", password: 13371337, extra: "${SECRET}" }) { csrfToken } }`,
    );
    expect(literal.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(literal), JSON.stringify(literal.errors)).not.toMatch(/13371337|sk_live/);
  });
});

describe('explicit development', () => {
  test('NODE_ENV=development shows the underlying error and allows introspection', async () => {
    const response = await dev.gql(DATABASE_FAILURE, {}, { apiKey: devOrg.keys.VIEWER });
    expect(JSON.stringify(response.errors)).toMatch(/time zone displacement out of range/);
    const schema = await dev.gql<{ __schema: { types: unknown[] } }>(`{ __schema { types { name } } }`);
    expect(schema.data?.__schema.types.length).toBeGreaterThan(10);
  });
});
