import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let org: TestOrganization;

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_BODY_LIMIT_BYTES: String(64 * 1024) });
  org = await createOrganization(t.app.services.prisma, 'Hardening');
});
afterAll(() => t?.close());

describe('query limits', () => {
  test('deep queries are refused', async () => {
    const deep = `{ tools { edges { node { assignments { assistant { toolAssignments { tool { assignments { assistant { toolAssignments { tool { assignments { assistant { id } } } } } } } } } } } } } }`;
    const response = await t.gql(deep, {}, { apiKey: org.keys.VIEWER });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.message).toMatch(/depth/i);
  });

  test('alias floods are refused', async () => {
    const aliases = Array.from({ length: 50 }, (_, index) => `a${index}: viewer { role }`).join(' ');
    const response = await t.gql(`{ ${aliases} }`, {}, { apiKey: org.keys.VIEWER });
    expect(response.errors?.[0]?.message).toMatch(/alias/i);
  });

  test('unexpected errors are masked', async () => {
    const response = await t.gql(`{ tools(first: 100000) { edges { node { id } } } }`, {}, { apiKey: org.keys.VIEWER });
    // A bad page size is the user's mistake and says so; nothing internal leaks.
    expect(JSON.stringify(response.errors ?? [])).not.toMatch(/prisma|stack|node_modules/i);
  });
});

describe('request limits', () => {
  test('bodies over the limit get 413 before any parsing', async () => {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.keys.VIEWER}` },
      body: JSON.stringify({ query: `{ viewer { role } }`, variables: { pad: 'x'.repeat(70 * 1024) } }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('a body of unknown size (chunked, no Content-Length) above the limit gets 413 as it streams', async () => {
    // Yoga's own body-size guard is off: the front door counts chunked bodies and hands on a Content-Length.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"query":"{ __typename }", "pad": "');
      req.write('x'.repeat(64 * 1024));
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  test('unknown paths are 404, health answers', async () => {
    expect((await fetch(`${t.url}/nope`)).status).toBe(404);
    expect(await (await fetch(`${t.url}/health`)).json()).toEqual({ status: 'ok' });
  });
});

describe('members', () => {
  test('admins re-role and remove members; owners are protected', async () => {
    // Joining is by invitation (tests/integration/invitations.test.ts); here the member already joined.
    const prisma = t.app.services.prisma;
    const user = await prisma.user.create({ data: { email: 'new.person@example.test', passwordHash: '-' } });
    const membership = await prisma.membership.create({
      data: { userId: user.id, organizationId: org.id, role: 'MEMBER' },
    });
    const role = await t.gql<{ updateMemberRole: { role: string } }>(
      `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { ... on Member { role } } }`,
      { input: { memberId: membership.id, role: 'VIEWER' } },
      { apiKey: org.keys.ADMIN },
    );
    expect(role.data!.updateMemberRole.role).toBe('VIEWER');

    const owner = await prisma.membership.findFirstOrThrow({
      where: { organizationId: org.id, role: 'OWNER' },
    });
    const demoteLastOwner = await t.gql<{ updateMemberRole: { __typename: string } }>(
      `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { __typename } }`,
      { input: { memberId: owner.id, role: 'ADMIN' } },
      { apiKey: org.keys.OWNER },
    );
    expect(demoteLastOwner.data!.updateMemberRole.__typename).toBe('ConflictError');

    const removed = await t.gql<{ removeMember: { __typename: string } }>(
      `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) { __typename } }`,
      { input: { memberId: membership.id } },
      { apiKey: org.keys.ADMIN },
    );
    expect(removed.data!.removeMember.__typename).toBe('Member');
  });
});
