/**
 * Members join by consent: an ADMIN invites an address and gets a token, the
 * answer never reveals whether the address has an account, and the person
 * joins only by accepting (signed in as that address, or by creating the
 * account). addMember, which attached existing users without asking, is gone.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { schema } from '../../server/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const INVITE = `mutation ($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    __typename
    ... on InviteMemberPayload { token invitation { id email role status expiresAt } }
    ... on ConflictError { field }
  }
}`;
const ACCEPT = `mutation ($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    __typename
    ... on InvitationAnswer { organizationId organizationName email role status }
    ... on ValidationError { issues { field } }
  }
}`;
const DECLINE = `mutation ($input: InvitationTokenInput!) {
  declineInvitation(input: $input) { __typename ... on InvitationAnswer { status } }
}`;
const REVOKE = `mutation ($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { __typename ... on Invitation { status } }
}`;

interface InvitePayload {
  __typename: string;
  token: string;
  invitation: { id: string; email: string; role: string; status: string; expiresAt: string };
}

let t: TestApp;
let a: TestOrganization;
let b: TestOrganization;

beforeAll(async () => {
  t = await startTestApp();
  a = await createOrganization(t.app.services.prisma, 'Inviting');
  b = await createOrganization(t.app.services.prisma, 'Elsewhere');
});
afterAll(() => t?.close());

async function invite(email: string, role = 'MEMBER', apiKey = a.keys.ADMIN) {
  return t.gql<{ inviteMember: InvitePayload }>(INVITE, { input: { email, role } }, { apiKey });
}

async function signIn(email: string, password: string, organizationSlug?: string) {
  const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, {
    input: { email, password, ...(organizationSlug ? { organizationSlug } : {}) },
  });
  expect(login.errors).toBeUndefined();
  return { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, csrfToken: login.data!.login.csrfToken };
}

async function isMember(email: string, organizationId: string): Promise<boolean> {
  const count = await t.app.services.prisma.membership.count({ where: { organizationId, user: { email } } });
  return count > 0;
}

/** The payload with what must differ between two invitations (token, ids, addresses, times) blanked out. */
function shape(payload: InvitePayload): unknown {
  return {
    ...payload,
    token: payload.token.length,
    invitation: { ...payload.invitation, id: '', email: '', expiresAt: '' },
  };
}

describe('inviting', () => {
  test('the answer is the same whether the address has an account or not, and nobody joins yet', async () => {
    const existing = await invite(b.users.VIEWER.email);
    const fresh = await invite('nobody-yet@example.test');
    expect(existing.errors).toBeUndefined();
    expect(fresh.errors).toBeUndefined();
    expect(shape(existing.data!.inviteMember)).toEqual(shape(fresh.data!.inviteMember));
    expect(existing.data!.inviteMember.invitation.status).toBe('PENDING');
    expect(await isMember(b.users.VIEWER.email, a.id)).toBe(false);
  });

  test('only ADMINs invite, and only an OWNER invites an OWNER', async () => {
    expect((await invite('x@example.test', 'VIEWER', a.keys.MEMBER)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await invite('x@example.test', 'OWNER', a.keys.ADMIN)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await invite('x@example.test', 'OWNER', a.keys.OWNER)).data!.inviteMember.__typename).toBe(
      'InviteMemberPayload',
    );
  });

  test('ADMINs list invitations with their status; others cannot', async () => {
    const list = await t.gql<{ organization: { invitations: Array<{ email: string; status: string }> } }>(
      '{ organization { invitations { email status role invitedBy { email } } } }',
      {},
      { apiKey: a.keys.ADMIN },
    );
    expect(list.errors).toBeUndefined();
    expect(list.data!.organization.invitations.map((invitation) => invitation.email)).toContain(
      'nobody-yet@example.test',
    );
    const member = await t.gql('{ organization { invitations { email } } }', {}, { apiKey: a.keys.MEMBER });
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('addMember is gone', () => {
    expect(schema.getMutationType()!.getFields().addMember).toBeUndefined();
  });
});

describe('accepting', () => {
  test('an existing user joins only by accepting, signed in as the invited address', async () => {
    const { token } = (await invite(b.users.MEMBER.email, 'VIEWER')).data!.inviteMember;
    const anonymous = await t.gql(ACCEPT, { input: { token, password: 'a long enough password' } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const someoneElse = await t.gql(
      ACCEPT,
      { input: { token } },
      await signIn(b.users.OWNER.email, b.users.OWNER.password),
    );
    expect(someoneElse.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await isMember(b.users.MEMBER.email, a.id)).toBe(false);

    const session = await signIn(b.users.MEMBER.email, b.users.MEMBER.password);
    const accepted = await t.gql<{ acceptInvitation: Record<string, unknown> }>(ACCEPT, { input: { token } }, session);
    expect(accepted.data!.acceptInvitation).toEqual({
      __typename: 'InvitationAnswer',
      organizationId: a.id,
      organizationName: 'Inviting',
      email: b.users.MEMBER.email,
      role: 'VIEWER',
      status: 'ACCEPTED',
    });
    expect(await isMember(b.users.MEMBER.email, a.id)).toBe(true);
    const again = await t.gql<{ acceptInvitation: { __typename: string } }>(ACCEPT, { input: { token } }, session);
    expect(again.data!.acceptInvitation.__typename).toBe('NotFoundError');
  });

  test('an address without an account accepts by choosing a password, then signs in', async () => {
    const { token } = (await invite('New.Comer@Example.test', 'MEMBER')).data!.inviteMember;
    const short = await t.gql<{ acceptInvitation: { __typename: string } }>(ACCEPT, {
      input: { token, password: 'short' },
    });
    expect(short.data!.acceptInvitation.__typename).toBe('ValidationError');
    const accepted = await t.gql<{ acceptInvitation: { status: string; email: string } }>(ACCEPT, {
      input: { token, name: 'New Comer', password: 'a long enough password' },
    });
    expect(accepted.data!.acceptInvitation).toMatchObject({ status: 'ACCEPTED', email: 'new.comer@example.test' });
    const session = await signIn('new.comer@example.test', 'a long enough password');
    const viewer = await t.gql<{ viewer: { role: string } }>('{ viewer { role } }', {}, session);
    expect(viewer.data!.viewer.role).toBe('MEMBER');
  });

  test('declined, revoked, replaced and unknown invitations cannot be accepted', async () => {
    const declined = (await invite('decliner@example.test')).data!.inviteMember;
    const answer = await t.gql<{ declineInvitation: { status: string } }>(DECLINE, {
      input: { token: declined.token },
    });
    expect(answer.data!.declineInvitation.status).toBe('DECLINED');

    const revoked = (await invite('revoked@example.test')).data!.inviteMember;
    const revoke = await t.gql<{ revokeInvitation: { status: string } }>(
      REVOKE,
      { input: { id: revoked.invitation.id } },
      { apiKey: a.keys.ADMIN },
    );
    expect(revoke.data!.revokeInvitation.status).toBe('REVOKED');

    const replaced = (await invite('twice@example.test')).data!.inviteMember;
    await invite('twice@example.test');

    for (const token of [declined.token, revoked.token, replaced.token, 'sbi_not-a-real-token']) {
      const response = await t.gql<{ acceptInvitation: { __typename: string } }>(ACCEPT, {
        input: { token, password: 'a long enough password' },
      });
      expect(response.data!.acceptInvitation.__typename, token).toBe('NotFoundError');
    }
    // Another organization's ADMIN cannot revoke it.
    const other = await t.gql<{ revokeInvitation: { __typename: string } }>(
      REVOKE,
      { input: { id: revoked.invitation.id } },
      { apiKey: b.keys.ADMIN },
    );
    expect(other.data!.revokeInvitation.__typename).toBe('NotFoundError');
  });

  test('an invitation dies with its inviter’s right to grant the role', async () => {
    const prisma = t.app.services.prisma;
    const { token } = (await invite('late@example.test', 'ADMIN')).data!.inviteMember;
    await prisma.membership.updateMany({
      where: { userId: a.users.ADMIN.id, organizationId: a.id },
      data: { role: 'MEMBER' },
    });
    try {
      const response = await t.gql<{ acceptInvitation: { __typename: string } }>(ACCEPT, {
        input: { token, password: 'a long enough password' },
      });
      expect(response.data!.acceptInvitation.__typename).toBe('NotFoundError');
      expect(await isMember('late@example.test', a.id)).toBe(false);
    } finally {
      await prisma.membership.updateMany({
        where: { userId: a.users.ADMIN.id, organizationId: a.id },
        data: { role: 'ADMIN' },
      });
    }
  });
});
