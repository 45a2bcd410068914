/**
 * The last-OWNER rule holds under concurrency: two OWNERs demoting (or
 * removing) each other at the same moment leave exactly one OWNER, never none.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const UPDATE_ROLE = `mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { __typename } }`;
const REMOVE = `mutation ($input: RemoveMemberInput!) { removeMember(input: $input) { __typename } }`;
const ROUNDS = 15;
/** Each removal round signs the removed OWNER in again (scrypt): fewer rounds. */
const REMOVAL_ROUNDS = 6;

let t: TestApp;
let org: TestOrganization;
const owners: Array<{ userId: string; membershipId: string; session: { cookie: string; csrfToken: string } }> = [];

beforeAll(async () => {
  t = await startTestApp({}, { engine: 'postgresql' });
  const prisma = t.app.services.prisma;
  org = await createOrganization(prisma, 'Owners');
  // The ADMIN user becomes a second OWNER.
  await prisma.membership.updateMany({
    where: { userId: org.users.ADMIN.id, organizationId: org.id },
    data: { role: 'OWNER' },
  });
  for (const user of [org.users.OWNER, org.users.ADMIN]) {
    const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, {
      input: { email: user.email, password: user.password },
    });
    const membership = await prisma.membership.findUniqueOrThrow({
      where: { userId_organizationId: { userId: user.id, organizationId: org.id } },
    });
    owners.push({
      userId: user.id,
      membershipId: membership.id,
      session: {
        cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!,
        csrfToken: login.data!.login.csrfToken,
      },
    });
  }
});
afterAll(() => t?.close());

async function restoreOwners(): Promise<void> {
  const prisma = t.app.services.prisma;
  for (const owner of owners) {
    await prisma.membership.upsert({
      where: { userId_organizationId: { userId: owner.userId, organizationId: org.id } },
      create: { id: owner.membershipId, userId: owner.userId, organizationId: org.id, role: 'OWNER' },
      update: { role: 'OWNER' },
    });
  }
  // removeMember ends the removed user's sessions: sign in again where needed.
  for (const [index, user] of [org.users.OWNER, org.users.ADMIN].entries()) {
    const viewer = await t.gql<{ viewer: { role: string } | null }>('{ viewer { role } }', {}, owners[index]!.session);
    if (viewer.data?.viewer) continue;
    const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, {
      input: { email: user.email, password: user.password },
    });
    owners[index]!.session = {
      cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!,
      csrfToken: login.data!.login.csrfToken,
    };
  }
}

async function ownerCount(): Promise<number> {
  return t.app.services.prisma.membership.count({ where: { organizationId: org.id, role: 'OWNER' } });
}

describe('the last OWNER under concurrency (PostgreSQL)', () => {
  test('two OWNERs demoting each other at once leave one OWNER', async () => {
    const [a, b] = owners as [(typeof owners)[0], (typeof owners)[0]];
    for (let round = 0; round < ROUNDS; round++) {
      await restoreOwners();
      const results = await Promise.all([
        t.gql<{ updateMemberRole: { __typename: string } }>(
          UPDATE_ROLE,
          { input: { memberId: b.membershipId, role: 'ADMIN' } },
          a.session,
        ),
        t.gql<{ updateMemberRole: { __typename: string } }>(
          UPDATE_ROLE,
          { input: { memberId: a.membershipId, role: 'ADMIN' } },
          b.session,
        ),
      ]);
      expect(await ownerCount(), `round ${round}`).toBe(1);
      const succeeded = results.filter((result) => result.data?.updateMemberRole?.__typename === 'Member');
      expect(succeeded, `round ${round}`).toHaveLength(1);
    }
  });

  test('two OWNERs removing each other at once leave one OWNER', async () => {
    const [a, b] = owners as [(typeof owners)[0], (typeof owners)[0]];
    for (let round = 0; round < REMOVAL_ROUNDS; round++) {
      await restoreOwners();
      await Promise.all([
        t.gql(REMOVE, { input: { memberId: b.membershipId } }, a.session),
        t.gql(REMOVE, { input: { memberId: a.membershipId } }, b.session),
      ]);
      expect(await ownerCount(), `round ${round}`).toBe(1);
    }
  });
});
