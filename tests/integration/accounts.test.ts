/**
 * Accounts through real HTTP against PostgreSQL (issue 18): sign-up per the
 * operator's policy, organizations people create, rename and leave,
 * invitation links, password change and reset, session lists, and deleting
 * assistants.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type Credentials, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';
import { until } from '../helpers/live.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { SIGN_UPS_PER_ADDRESS } from '../../server/auth/sign-up.ts';

const PASSWORD = 'a long enough password';
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;
const SIGN_UP = `mutation ($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on SignUpPayload { csrfToken organizationId organizationName role }
    ... on ValidationError { issues { field message } }
    ... on ConflictError { field }
    ... on NotFoundError { entity }
  }
}`;
const VIEWER = `{ viewer { role user { email } organization { id name } memberships { organization { id } role } } }`;
const POLICY = `{ signUpPolicy }`;
const INVITE = `mutation ($input: InviteMemberInput!) {
  inviteMember(input: $input) { __typename ... on InviteMemberPayload { token link invitation { id } } }
}`;
const PREVIEW = `query ($token: String!) {
  invitationPreview(token: $token) {
    __typename
    ... on InvitationPreview { organizationName email role status hasAccount }
    ... on NotFoundError { entity }
  }
}`;
const CHANGE_PASSWORD = `mutation ($input: ChangePasswordInput!) {
  changePassword(input: $input) {
    __typename ... on PasswordChanged { sessionsEnded } ... on ValidationError { issues { field } }
  }
}`;
const RESET_LINK = `mutation ($input: CreatePasswordResetLinkInput!) {
  createPasswordResetLink(input: $input) {
    __typename ... on PasswordResetLink { url token expiresAt } ... on NotFoundError { entity }
  }
}`;
const RESET = `mutation ($input: ResetPasswordInput!) {
  resetPassword(input: $input) {
    __typename ... on PasswordWasReset { email } ... on NotFoundError { entity } ... on ValidationError { issues { field } }
  }
}`;
const SESSIONS = `{ viewer { sessions { id current userAgent clientAddress createdAt expiresAt } } }`;

interface Session extends Credentials {
  cookie: string;
  csrfToken: string;
}

function cookieOf(headers: Headers): string {
  return (headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function signIn(t: TestApp, email: string, password: string): Promise<Session> {
  const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, { input: { email, password } });
  expect(login.errors).toBeUndefined();
  return { cookie: cookieOf(login.headers), csrfToken: login.data!.login.csrfToken };
}

async function signUp(t: TestApp, input: Record<string, unknown>) {
  const response = await t.gql<{ signUp: Record<string, unknown> & { __typename: string } }>(SIGN_UP, { input });
  const session =
    response.data?.signUp?.__typename === 'SignUpPayload'
      ? { cookie: cookieOf(response.headers), csrfToken: String(response.data.signUp.csrfToken) }
      : null;
  return { response, result: response.data?.signUp ?? null, session };
}

interface ViewerData {
  viewer: {
    role: string;
    user: { email: string };
    organization: { id: string; name: string };
    memberships: Array<{ organization: { id: string }; role: string }>;
  } | null;
}

function viewerOf(t: TestApp, as: Credentials) {
  return t.gql<ViewerData>(VIEWER, {}, as).then((response) => response.data?.viewer ?? null);
}

describe('sign-up with the default policy (invite)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  test('the first user of an empty instance signs up, is signed in and OWNER of a new organization', async () => {
    expect((await t.gql<{ signUpPolicy: string }>(POLICY)).data!.signUpPolicy).toBe('OPEN');
    const short = await signUp(t, { email: 'first@example.test', password: 'short', organizationName: 'First' });
    expect(short.result).toMatchObject({ __typename: 'ValidationError', issues: [{ field: 'password' }] });

    const { result, session } = await signUp(t, {
      email: 'First@Example.test',
      password: PASSWORD,
      name: 'First Person',
      organizationName: 'First Company',
    });
    expect(result).toMatchObject({ __typename: 'SignUpPayload', organizationName: 'First Company', role: 'OWNER' });
    const viewer = await viewerOf(t, session!);
    expect(viewer).toMatchObject({ role: 'OWNER', user: { email: 'first@example.test' } });
    expect((await t.gql<{ signUpPolicy: string }>(POLICY)).data!.signUpPolicy).toBe('INVITE');
  });

  test('after the first user, signing up needs an invitation, which joins its organization', async () => {
    const refused = await signUp(t, { email: 'second@example.test', password: PASSWORD, organizationName: 'Mine' });
    expect(refused.response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const owner = await signIn(t, 'first@example.test', PASSWORD);
    const invited = await t.gql<{ inviteMember: { token: string; link: string } }>(
      INVITE,
      { input: { email: 'second@example.test', role: 'MEMBER' } },
      owner,
    );
    const { token, link } = invited.data!.inviteMember;
    expect(link).toBe(`${t.url}/invite/${token}`);

    const preview = await t.gql(PREVIEW, { token });
    expect(preview.data).toEqual({
      invitationPreview: {
        __typename: 'InvitationPreview',
        organizationName: 'First Company',
        email: 'second@example.test',
        role: 'MEMBER',
        status: 'PENDING',
        hasAccount: false,
      },
    });
    const wrongAddress = await signUp(t, { email: 'third@example.test', password: PASSWORD, invitationToken: token });
    expect(wrongAddress.result).toMatchObject({ __typename: 'ValidationError', issues: [{ field: 'email' }] });

    const joined = await signUp(t, {
      email: 'second@example.test',
      password: PASSWORD,
      name: 'Second',
      invitationToken: token,
    });
    expect(joined.result).toMatchObject({
      __typename: 'SignUpPayload',
      organizationName: 'First Company',
      role: 'MEMBER',
    });
    expect(await viewerOf(t, joined.session!)).toMatchObject({
      role: 'MEMBER',
      organization: { name: 'First Company' },
    });

    // A used token says so on its page, and cannot be used again.
    const used = await t.gql<{ invitationPreview: { status: string } }>(PREVIEW, { token });
    expect(used.data!.invitationPreview.status).toBe('ACCEPTED');
    const again = await signUp(t, { email: 'second@example.test', password: PASSWORD, invitationToken: token });
    expect(again.result).toMatchObject({ __typename: 'NotFoundError', entity: 'Invitation' });
    const unknown = await t.gql<{ invitationPreview: { __typename: string } }>(PREVIEW, { token: 'sbi_nope' });
    expect(unknown.data!.invitationPreview.__typename).toBe('NotFoundError');
  });
});

describe('sign-up on the embedded database', () => {
  let embedded: TestApp;
  beforeAll(async () => {
    embedded = await startTestApp({}, { engine: 'pglite' });
  });
  afterAll(() => embedded?.close());

  test('the first user signs up on PGlite too, and the next one needs an invitation', async () => {
    const first = await signUp(embedded, { email: 'solo@example.test', password: PASSWORD, organizationName: 'Solo' });
    expect(first.result).toMatchObject({ __typename: 'SignUpPayload', role: 'OWNER' });
    const second = await signUp(embedded, { email: 'duo@example.test', password: PASSWORD, organizationName: 'Duo' });
    expect(second.response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('sign-up policies open and closed', () => {
  let open: TestApp;
  let closed: TestApp;
  beforeAll(async () => {
    [open, closed] = await Promise.all([
      startTestApp({ SWITCHBOARD_SIGNUP: 'open' }),
      startTestApp({ SWITCHBOARD_SIGNUP: 'closed' }),
    ]);
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
  });

  test('open: anyone creates an account with an organization of their own; an address signs up once', async () => {
    const first = await signUp(open, { email: 'a@example.test', password: PASSWORD, organizationName: 'A' });
    const second = await signUp(open, { email: 'b@example.test', password: PASSWORD, organizationName: 'B' });
    expect(first.result!.__typename).toBe('SignUpPayload');
    expect(await viewerOf(open, second.session!)).toMatchObject({ role: 'OWNER', organization: { name: 'B' } });
    const twice = await signUp(open, { email: 'A@example.test', password: PASSWORD, organizationName: 'A2' });
    expect(twice.result).toMatchObject({ __typename: 'ConflictError', field: 'email' });
    expect((await open.gql<{ signUpPolicy: string }>(POLICY)).data!.signUpPolicy).toBe('OPEN');
  });

  test('closed: only the first user signs up, and invitations do not create accounts', async () => {
    const first = await signUp(closed, { email: 'root@example.test', password: PASSWORD, organizationName: 'Ops' });
    expect(first.result!.__typename).toBe('SignUpPayload');
    expect((await closed.gql<{ signUpPolicy: string }>(POLICY)).data!.signUpPolicy).toBe('CLOSED');
    const refused = await signUp(closed, { email: 'x@example.test', password: PASSWORD, organizationName: 'X' });
    expect(refused.response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const invited = await closed.gql<{ inviteMember: { token: string } }>(
      INVITE,
      { input: { email: 'y@example.test', role: 'VIEWER' } },
      first.session!,
    );
    const token = invited.data!.inviteMember.token;
    const viaSignUp = await signUp(closed, { email: 'y@example.test', password: PASSWORD, invitationToken: token });
    expect(viaSignUp.response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const viaAccept = await closed.gql(
      `mutation ($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { __typename } }`,
      { input: { token, password: PASSWORD } },
    );
    expect(viaAccept.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('organizations, passwords and sessions', () => {
  let t: TestApp;
  let a: TestOrganization;
  let b: TestOrganization;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SWITCHBOARD_SMTP_URL: smtp.url });
    a = await createOrganization(t.app.services.prisma, 'Alpha');
    b = await createOrganization(t.app.services.prisma, 'Beta');
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** The organization's security events of one kind, as its ADMIN reads them. */
  async function accountEvents(apiKey: string, kind: string) {
    await t.app.services.securityEvents.flush();
    const response = await t.gql<{
      securityEvents: { edges: Array<{ node: { subjectId: string; actorType: string; details: unknown } }> };
    }>(
      `query ($filter: SecurityEventFilter) {
        securityEvents(filter: $filter, first: 50) { edges { node { subjectId actorType details } } }
      }`,
      { filter: { kinds: [kind] } },
      { apiKey },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.securityEvents.edges.map((edge) => edge.node);
  }

  test('a signed-in user creates an organization, becomes its OWNER and is switched to it', async () => {
    const session = await signIn(t, a.users.MEMBER.email, a.users.MEMBER.password);
    const created = await t.gql<{ createOrganization: { __typename: string; id: string; name: string } }>(
      `mutation ($input: CreateOrganizationInput!) {
        createOrganization(input: $input) { __typename ... on Organization { id name } }
      }`,
      { input: { name: '  Side Project ' } },
      session,
    );
    expect(created.data!.createOrganization).toMatchObject({ __typename: 'Organization', name: 'Side Project' });
    const viewer = await viewerOf(t, session);
    expect(viewer).toMatchObject({ role: 'OWNER', organization: { id: created.data!.createOrganization.id } });
    const empty = await t.gql<{ createOrganization: { __typename: string } }>(
      `mutation { createOrganization(input: { name: " " }) { __typename } }`,
      {},
      session,
    );
    expect(empty.data!.createOrganization.__typename).toBe('ValidationError');
    const byKey = await t.gql(
      `mutation { createOrganization(input: { name: "K" }) { __typename } }`,
      {},
      {
        apiKey: a.keys.OWNER,
      },
    );
    expect(byKey.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  test('ADMINs rename the organization; MEMBERs cannot', async () => {
    const RENAME = `mutation ($input: RenameOrganizationInput!) {
      renameOrganization(input: $input) { __typename ... on Organization { name } }
    }`;
    const member = await t.gql(RENAME, { input: { name: 'Nope' } }, { apiKey: b.keys.MEMBER });
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await t.gql(RENAME, { input: { name: 'Beta Renamed' } }, { apiKey: b.keys.ADMIN });
    expect(admin.data).toEqual({ renameOrganization: { __typename: 'Organization', name: 'Beta Renamed' } });
  });

  test("leaving: not as the last OWNER, not one's only organization; otherwise the session moves on", async () => {
    const LEAVE = `mutation ($input: LeaveOrganizationInput!) {
      leaveOrganization(input: $input) {
        __typename ... on LeftOrganization { currentOrganizationId } ... on ConflictError { message field }
      }
    }`;
    const owner = await signIn(t, b.users.OWNER.email, b.users.OWNER.password);
    const lastOwner = await t.gql<{ leaveOrganization: { __typename: string; message: string } }>(
      LEAVE,
      { input: { organizationId: b.id } },
      owner,
    );
    expect(lastOwner.data!.leaveOrganization.__typename).toBe('ConflictError');
    expect(lastOwner.data!.leaveOrganization.message).toMatch(/last OWNER/);

    const viewerB = await signIn(t, b.users.VIEWER.email, b.users.VIEWER.password);
    const only = await t.gql<{ leaveOrganization: { __typename: string; message: string } }>(
      LEAVE,
      { input: { organizationId: b.id } },
      viewerB,
    );
    expect(only.data!.leaveOrganization.message).toMatch(/only organization/);

    // The MEMBER of Alpha created "Side Project" above: leaving Alpha moves their session there.
    const member = await signIn(t, a.users.MEMBER.email, a.users.MEMBER.password);
    const left = await t.gql<{ leaveOrganization: { __typename: string; currentOrganizationId: string } }>(
      LEAVE,
      { input: { organizationId: a.id } },
      member,
    );
    expect(left.data!.leaveOrganization.__typename).toBe('LeftOrganization');
    const viewer = await viewerOf(t, member);
    expect(viewer!.organization.id).toBe(left.data!.leaveOrganization.currentOrganizationId);
    expect(viewer!.memberships.map((membership) => membership.organization.id)).not.toContain(a.id);
    const notMine = await t.gql<{ leaveOrganization: { __typename: string } }>(
      LEAVE,
      { input: { organizationId: a.id } },
      member,
    );
    expect(notMine.data!.leaveOrganization.__typename).toBe('NotFoundError');
  });

  test('a signed-in user of another organization joins only by accepting the link', async () => {
    const invited = await t.gql<{ inviteMember: { token: string } }>(
      INVITE,
      { input: { email: b.users.ADMIN.email, role: 'VIEWER' } },
      { apiKey: a.keys.ADMIN },
    );
    const token = invited.data!.inviteMember.token;
    const preview = await t.gql<{ invitationPreview: { hasAccount: boolean; organizationName: string } }>(PREVIEW, {
      token,
    });
    expect(preview.data!.invitationPreview).toMatchObject({ hasAccount: true, organizationName: 'Alpha' });
    const session = await signIn(t, b.users.ADMIN.email, b.users.ADMIN.password);
    expect((await viewerOf(t, session))!.memberships).toHaveLength(1);
    const accepted = await t.gql<{ acceptInvitation: { __typename: string } }>(
      `mutation ($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { __typename } }`,
      { input: { token } },
      session,
    );
    expect(accepted.data!.acceptInvitation.__typename).toBe('InvitationAnswer');
    expect((await viewerOf(t, session))!.memberships).toHaveLength(2);
  });

  test('changing the password needs the current one and ends the other sessions', async () => {
    const user = a.users.VIEWER;
    const here = await signIn(t, user.email, user.password);
    const elsewhere = await signIn(t, user.email, user.password);
    const wrong = await t.gql<{ changePassword: { __typename: string; issues: Array<{ field: string }> } }>(
      CHANGE_PASSWORD,
      { input: { currentPassword: 'not the password', newPassword: 'a brand new password' } },
      here,
    );
    expect(wrong.data!.changePassword.issues).toEqual([{ field: 'currentPassword' }]);
    const weak = await t.gql<{ changePassword: { __typename: string; issues: Array<{ field: string }> } }>(
      CHANGE_PASSWORD,
      { input: { currentPassword: user.password, newPassword: 'short' } },
      here,
    );
    expect(weak.data!.changePassword.issues).toEqual([{ field: 'newPassword' }]);
    const changed = await t.gql(
      CHANGE_PASSWORD,
      { input: { currentPassword: user.password, newPassword: 'a brand new password' } },
      here,
    );
    expect(changed.data).toEqual({ changePassword: { __typename: 'PasswordChanged', sessionsEnded: true } });
    expect(await viewerOf(t, here)).not.toBeNull();
    expect(await viewerOf(t, elsewhere)).toBeNull();
    const old = await t.gql(LOGIN, { input: { email: user.email, password: user.password } });
    expect(old.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await signIn(t, user.email, 'a brand new password');
    expect(await accountEvents(a.keys.ADMIN, 'PASSWORD_CHANGED')).toEqual([
      { subjectId: user.id, actorType: 'user', details: {} },
    ]);
  });

  test('the session list marks the current one; revoking another signs that browser out', async () => {
    const user = a.users.ADMIN;
    const here = await signIn(t, user.email, user.password);
    const other = await signIn(t, user.email, user.password);
    const listed = await t.gql<{
      viewer: { sessions: Array<{ id: string; current: boolean; clientAddress: string }> };
    }>(SESSIONS, {}, here);
    const sessions = listed.data!.viewer.sessions;
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    expect(sessions[0]!.clientAddress).toBe('127.0.0.1');
    const otherId = sessions.find((session) => !session.current)!.id;
    const REVOKE = `mutation ($input: RevokeSessionInput!) { revokeSession(input: $input) { __typename } }`;
    const stranger = await signIn(t, b.users.OWNER.email, b.users.OWNER.password);
    const notTheirs = await t.gql<{ revokeSession: { __typename: string } }>(
      REVOKE,
      { input: { id: otherId } },
      stranger,
    );
    expect(notTheirs.data!.revokeSession.__typename).toBe('NotFoundError');
    expect(await viewerOf(t, other)).not.toBeNull();
    const revoked = await t.gql(REVOKE, { input: { id: otherId } }, here);
    expect(revoked.data).toEqual({ revokeSession: { __typename: 'Session' } });
    expect(await viewerOf(t, other)).toBeNull();
    expect(await viewerOf(t, here)).not.toBeNull();
    const events = await accountEvents(a.keys.ADMIN, 'SESSION_REVOKED');
    expect(events.map((event) => event.subjectId)).toEqual([user.id]);
  });

  test('an ADMIN makes a single-use reset link for a MEMBER, not for an OWNER nor for members of others', async () => {
    const admin = await signIn(t, a.users.ADMIN.email, a.users.ADMIN.password);
    const forOwner = await t.gql(RESET_LINK, { input: { userId: a.users.OWNER.id } }, admin);
    expect(forOwner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // b's ADMIN joined Alpha as VIEWER above, but an Alpha ADMIN does not administer Beta.
    const elsewhere = await t.gql(RESET_LINK, { input: { userId: b.users.ADMIN.id } }, admin);
    expect(elsewhere.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const stranger = await t.gql<{ createPasswordResetLink: { __typename: string } }>(
      RESET_LINK,
      { input: { userId: b.users.OWNER.id } },
      admin,
    );
    expect(stranger.data!.createPasswordResetLink.__typename).toBe('NotFoundError');
    const byKey = await t.gql(RESET_LINK, { input: { userId: a.users.OWNER.id } }, { apiKey: a.keys.OWNER });
    expect(byKey.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const member = await signIn(t, b.users.MEMBER.email, b.users.MEMBER.password);
    const bAdmin = await signIn(t, b.users.ADMIN.email, b.users.ADMIN.password);
    const made = await t.gql<{ createPasswordResetLink: { url: string; token: string } }>(
      RESET_LINK,
      { input: { userId: b.users.MEMBER.id } },
      bAdmin,
    );
    const { url, token } = made.data!.createPasswordResetLink;
    expect(url).toBe(`${t.url}/reset-password/${token}`);
    const preview = await t.gql(
      `query ($token: String!) { passwordReset(token: $token) { __typename ... on PasswordResetPreview { email } } }`,
      { token },
    );
    expect(preview.data).toEqual({
      passwordReset: { __typename: 'PasswordResetPreview', email: b.users.MEMBER.email },
    });

    const reset = await t.gql(RESET, { input: { token, newPassword: 'reset to something long' } });
    expect(reset.data).toEqual({ resetPassword: { __typename: 'PasswordWasReset', email: b.users.MEMBER.email } });
    expect(await viewerOf(t, member)).toBeNull();
    await signIn(t, b.users.MEMBER.email, 'reset to something long');
    const twice = await t.gql(RESET, { input: { token, newPassword: 'and once more please' } });
    expect(twice.data).toEqual({ resetPassword: { __typename: 'NotFoundError', entity: 'PasswordReset' } });
    expect(await accountEvents(b.keys.ADMIN, 'PASSWORD_RESET_LINK_CREATED')).toEqual([
      { subjectId: b.users.MEMBER.id, actorType: 'user', details: {} },
    ]);
    expect(await accountEvents(b.keys.ADMIN, 'PASSWORD_RESET')).toEqual([
      { subjectId: b.users.MEMBER.id, actorType: 'address', details: { link: 'admin' } },
    ]);
  });

  test('an expired reset link is refused', async () => {
    const admin = await signIn(t, b.users.OWNER.email, b.users.OWNER.password);
    const made = await t.gql<{ createPasswordResetLink: { token: string } }>(
      RESET_LINK,
      { input: { userId: b.users.VIEWER.id } },
      admin,
    );
    await t.app.services.prisma.passwordReset.updateMany({
      where: { userId: b.users.VIEWER.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const reset = await t.gql(RESET, {
      input: { token: made.data!.createPasswordResetLink.token, newPassword: 'reset to something long' },
    });
    expect(reset.data).toEqual({ resetPassword: { __typename: 'NotFoundError', entity: 'PasswordReset' } });
  });

  test('a reset request answers the same for any address and emails a link only to an account', async () => {
    const REQUEST = `mutation ($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) }`;
    const unknown = await t.gql(REQUEST, { input: { email: 'nobody@example.test' } });
    const known = await t.gql(REQUEST, { input: { email: a.users.OWNER.email.toUpperCase() } });
    expect(unknown.data).toEqual({ requestPasswordReset: true });
    expect(known.data).toEqual(unknown.data);
    await until(() => smtp.mails.length > 0, 10_000, 'the reset email');
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toBe(a.users.OWNER.email);
    const token = /\/reset-password\/(sbr_[A-Za-z0-9_-]+)/.exec(mail.text.replace(/=\r?\n/g, ''))?.[1];
    expect(mail.text).toContain(`${t.url}/reset-password/`);
    const reset = await t.gql(RESET, { input: { token, newPassword: 'emailed reset password' } });
    expect(reset.data).toEqual({ resetPassword: { __typename: 'PasswordWasReset', email: a.users.OWNER.email } });
  });

  test('ADMINs delete assistants of their own organization; executions stay without it', async () => {
    const prisma = t.app.services.prisma;
    const assistant = await prisma.assistant.create({ data: { organizationId: a.id, name: 'Retired' } });
    const execution = await prisma.toolExecution.create({
      data: {
        organizationId: a.id,
        assistantId: assistant.id,
        toolName: 'lookup',
        toolVersion: 1,
        inputParameters: {},
        status: 'SUCCESS',
        triggerContext: 'test',
      },
    });
    const DELETE = `mutation ($input: DeleteAssistantInput!) {
      deleteAssistant(input: $input) { __typename ... on DeletedAssistant { id } ... on NotFoundError { entity } }
    }`;
    const viewer = await t.gql(DELETE, { input: { id: assistant.id } }, { apiKey: a.keys.VIEWER });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const otherOrg = await t.gql(DELETE, { input: { id: assistant.id } }, { apiKey: b.keys.ADMIN });
    expect(otherOrg.data).toEqual({ deleteAssistant: { __typename: 'NotFoundError', entity: 'Assistant' } });
    const deleted = await t.gql(DELETE, { input: { id: assistant.id } }, { apiKey: a.keys.ADMIN });
    expect(deleted.data).toEqual({ deleteAssistant: { __typename: 'DeletedAssistant', id: assistant.id } });
    expect(await prisma.assistant.findUnique({ where: { id: assistant.id } })).toBeNull();
    expect(await prisma.toolExecution.findUnique({ where: { id: execution.id } })).toMatchObject({ assistantId: null });
  });

  test('sign-ups are limited per client address', async () => {
    // The limit is per process and this file's other sign-ups came from the same address: count to the refusal.
    // Refused inputs count too, so the limit says nothing about which addresses exist.
    const codes: string[] = [];
    for (let attempt = 0; attempt <= SIGN_UPS_PER_ADDRESS; attempt += 1) {
      const { response, result } = await signUp(t, {
        email: `flood${attempt}@example.test`,
        password: 'short',
        organizationName: 'F',
      });
      codes.push(result?.__typename ?? String(response.errors?.[0]?.extensions?.code));
    }
    const limited = codes.indexOf('RATE_LIMITED');
    expect(limited).toBeGreaterThan(0);
    expect(new Set(codes.slice(0, limited))).toEqual(new Set(['ValidationError']));
    const valid = await signUp(t, { email: 'late@example.test', password: PASSWORD, organizationName: 'Late' });
    expect(valid.response.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});
