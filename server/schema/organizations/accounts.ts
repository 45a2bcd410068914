import { GraphQLError } from 'graphql';
import { listSessions, revokeSession } from '../../auth/account-sessions.ts';
import { changePassword } from '../../auth/password-change.ts';
import {
  createPasswordResetLink,
  findPasswordReset,
  requestPasswordReset,
  resetPassword,
} from '../../auth/password-reset.ts';
import { startSession } from '../../auth/sessions.ts';
import { effectiveSignUpPolicy, signUp } from '../../auth/sign-up.ts';
import type { Session } from '../../db/generated/prisma/client.ts';
import type { Context } from '../../context.ts';
import { previewInvitation, invitationStatus, type InvitationPreview } from '../../organizations/invitation-service.ts';
import { createOrganization, leaveOrganization, renameOrganization } from '../../organizations/organization-service.ts';
import type { RoleName } from '../../security/roles.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { InvitationStatusEnum } from './invitations.ts';
import { OrganizationRef, RoleEnum, ViewerRef } from './organization.ts';

/** The signed-in dashboard user; API keys have no account to manage. */
function sessionUser(context: Context): { userId: string; sessionId: string } {
  const viewer = context.viewer;
  if (!viewer) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  if (viewer.via !== 'session' || !viewer.user || !viewer.sessionId) {
    throw new GraphQLError('only a signed-in user can do this, not an API key', { extensions: { code: 'FORBIDDEN' } });
  }
  return { userId: viewer.user.id, sessionId: viewer.sessionId };
}

/** Each of these costs a deliberately slow scrypt: aliases must not multiply it. */
function onePasswordCheckPerRequest(context: Context): void {
  if (context.loginAttempted) {
    throw new GraphQLError('only one sign-in, sign-up or password change per request', {
      extensions: { code: 'BAD_REQUEST' },
    });
  }
  context.loginAttempted = true;
}

function linkBase(context: Context): string {
  return context.services.config.publicUrl ?? context.requestOrigin ?? '';
}

const SignUpPolicyEnum = builder.enumType('SignUpPolicy', {
  description: 'Who may create an account on this instance (SWITCHBOARD_SIGNUP).',
  values: {
    OPEN: { value: 'open', description: 'Anyone, with an organization of their own.' },
    INVITE: { value: 'invite', description: 'Only with an invitation link, joining the inviting organization.' },
    CLOSED: { value: 'closed', description: 'Nobody; accounts join by invitation only if they already exist.' },
  } as const,
});

const SignUpInput = builder.inputType('SignUpInput', {
  description: 'A new account: with an organization of its own, or joining the one an invitation names.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The sign-in address; with an invitation, the invited one.' }),
    password: t.string({ required: true, description: 'At least 12 characters.' }),
    name: t.string({ description: 'The display name.' }),
    organizationName: t.string({ description: 'The new organization, of which you become OWNER (no invitation).' }),
    invitationToken: t.string({ description: 'Joins that organization with the invited role instead.' }),
  }),
});

const SignUpPayload = builder
  .objectRef<{ csrfToken: string; organizationId: string; organizationName: string; role: string }>('SignUpPayload')
  .implement({
    description: 'The new account, signed in (session cookie).',
    fields: (t) => ({
      csrfToken: t.exposeString('csrfToken', {
        description: 'Send as x-csrf-token with cookie-authenticated mutations.',
      }),
      organizationId: t.exposeID('organizationId', {
        description: 'The organization the session opens: the new one, or the one the invitation joined.',
      }),
      organizationName: t.exposeString('organizationName', { description: 'Its name.' }),
      role: t.field({
        type: RoleEnum,
        description: 'Your role there: OWNER of a new organization, or the invited role.',
        resolve: (payload) => payload.role as RoleName,
      }),
    }),
  });

const NameInput = (name: string, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({ name: t.string({ required: true, description: 'The display name, 1-100 characters.' }) }),
  });
const CreateOrganizationInput = NameInput('CreateOrganizationInput', 'A new organization; you become its OWNER.');
const RenameOrganizationInput = NameInput('RenameOrganizationInput', "The current organization's new name.");
const LeaveOrganizationInput = builder.inputType('LeaveOrganizationInput', {
  description: 'The organization to leave.',
  fields: (t) => ({ organizationId: t.id({ required: true, description: 'One of your organizations.' }) }),
});
const ChangePasswordInput = builder.inputType('ChangePasswordInput', {
  description: 'Your current password and the new one.',
  fields: (t) => ({
    currentPassword: t.string({ required: true, description: 'The password you signed in with.' }),
    newPassword: t.string({ required: true, description: 'At least 12 characters.' }),
  }),
});
const RequestPasswordResetInput = builder.inputType('RequestPasswordResetInput', {
  description: 'The address of the account.',
  fields: (t) => ({ email: t.string({ required: true, description: 'The sign-in address.' }) }),
});
const CreatePasswordResetLinkInput = builder.inputType('CreatePasswordResetLinkInput', {
  description: 'The member who needs a new password.',
  fields: (t) => ({ userId: t.id({ required: true, description: "The member's user id." }) }),
});
const ResetPasswordInput = builder.inputType('ResetPasswordInput', {
  description: 'A reset token and the new password.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token from the reset link.' }),
    newPassword: t.string({ required: true, description: 'At least 12 characters.' }),
  }),
});
const RevokeSessionInput = builder.inputType('RevokeSessionInput', {
  description: 'The session to end.',
  fields: (t) => ({ id: t.id({ required: true, description: 'One of your sessions.' }) }),
});

const LeftOrganization = builder
  .objectRef<{ organizationId: string; currentOrganizationId: string }>('LeftOrganization')
  .implement({
    description: 'An organization you left.',
    fields: (t) => ({
      organizationId: t.exposeID('organizationId', { description: 'The organization left.' }),
      currentOrganizationId: t.exposeID('currentOrganizationId', {
        description: 'Where your sessions there were moved: your oldest remaining organization.',
      }),
    }),
  });

const PasswordChanged = builder.objectRef<{ sessionsEnded: boolean }>('PasswordChanged').implement({
  description: 'The password was changed; your other sessions ended.',
  fields: (t) => ({ sessionsEnded: t.exposeBoolean('sessionsEnded', { description: 'Always true.' }) }),
});

const PasswordResetLink = builder
  .objectRef<{ token: string; url: string; expiresAt: Date }>('PasswordResetLink')
  .implement({
    description: 'A single-use link that sets a new password; shown once, valid for an hour.',
    fields: (t) => ({
      url: t.exposeString('url', { description: 'Give this to the member, privately.' }),
      token: t.exposeString('token', { description: 'The token in the link; only its hash is stored.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the link stops working.' }),
    }),
  });

const PasswordResetPreview = builder.objectRef<{ email: string; expiresAt: Date }>('PasswordResetPreview').implement({
  description: 'Whose password an unused reset link sets.',
  fields: (t) => ({
    email: t.exposeString('email', { description: 'The account.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the link stops working.' }),
  }),
});

const PasswordWasReset = builder.objectRef<{ email: string }>('PasswordWasReset').implement({
  description: 'The new password is set and every session of the account ended; sign in with it.',
  fields: (t) => ({ email: t.exposeString('email', { description: 'The account to sign in to.' }) }),
});

const InvitationPreviewRef = builder.objectRef<InvitationPreview>('InvitationPreview').implement({
  description: 'What the holder of an invitation link sees before answering it.',
  fields: (t) => ({
    organizationName: t.exposeString('organizationName', { description: 'The inviting organization.' }),
    email: t.string({ description: 'The invited address.', resolve: (preview) => preview.invitation.email }),
    role: t.field({ type: RoleEnum, description: 'The role on accepting.', resolve: (p) => p.invitation.role }),
    status: t.field({
      type: InvitationStatusEnum,
      description: 'Only PENDING can be answered; the others say why not.',
      resolve: (preview) => invitationStatus(preview.invitation),
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'When it stops working.',
      resolve: (preview) => preview.invitation.expiresAt,
    }),
    hasAccount: t.exposeBoolean('hasAccount', {
      description: 'Whether the address has an account: it signs in to accept, otherwise it signs up.',
    }),
  }),
});

const SessionRef = builder.objectRef<Session>('Session').implement({
  description: 'A dashboard sign-in of yours.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Pass it to revokeSession.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When you signed in.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it ends by itself.' }),
    userAgent: t.exposeString('userAgent', { nullable: true, description: 'The browser, as it named itself.' }),
    clientAddress: t.exposeString('clientAddress', { nullable: true, description: 'The address it signed in from.' }),
    current: t.boolean({
      description: 'Whether this is the session asking.',
      resolve: (session, _args, context) => session.id === context.viewer?.sessionId,
    }),
  }),
});

builder.objectField(ViewerRef, 'sessions', (t) =>
  t.field({
    type: [SessionRef],
    description: "The signed-in user's unexpired sessions, newest first (empty for API keys).",
    resolve: (viewer, _args, context) =>
      viewer.userId && context.viewer?.via === 'session' ? listSessions(context.services.prisma, viewer.userId) : [],
  }),
);

builder.queryFields((t) => ({
  signUpPolicy: t.field({
    type: SignUpPolicyEnum,
    description: 'Whether the sign-up screen may create accounts here; OPEN while the instance has no users.',
    resolve: (_root, _args, context) =>
      effectiveSignUpPolicy(context.services.prisma, context.services.config.signUpPolicy),
  }),
  invitationPreview: t.field({
    type: InvitationPreviewRef,
    description: 'The invitation a link names, for its accept page.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'InvitationPreviewResult', description: 'The invitation, or NotFoundError for an unknown token.' },
    },
    args: { token: t.arg.string({ required: true, description: 'The token from the invitation link.' }) },
    resolve: (_root, { token }, context) => previewInvitation(context.services.prisma, token),
  }),
  passwordReset: t.field({
    type: PasswordResetPreview,
    description: 'The account an unused reset link is for.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'PasswordResetResult', description: 'The account, or NotFoundError: unknown, used or expired.' },
    },
    args: { token: t.arg.string({ required: true, description: 'The token from the reset link.' }) },
    resolve: async (_root, { token }, context) => {
      const reset = await findPasswordReset(context.services.prisma, token);
      return { email: reset.user.email, expiresAt: reset.expiresAt };
    },
  }),
}));

builder.mutationFields((t) => ({
  signUp: t.field({
    type: SignUpPayload,
    description: 'Creates an account per the sign-up policy and signs it in (HttpOnly cookie).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SignUpResult', description: 'The signed-in account, or why it was not created.' },
    },
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      onePasswordCheckPerRequest(context);
      const { prisma, config } = context.services;
      const created = await signUp(prisma, config.signUpPolicy, input, context.clientAddress);
      const { token, session } = await startSession(
        prisma,
        created.userId,
        created.organizationId,
        config.sessionTtlHours,
        { clientAddress: context.clientAddress, userAgent: context.userAgent },
      );
      context.session.start(token, config.sessionTtlHours * 3600);
      const membership = await prisma.membership.findUniqueOrThrow({
        where: { userId_organizationId: { userId: created.userId, organizationId: created.organizationId } },
        include: { organization: { select: { name: true } } },
      });
      return {
        csrfToken: session.csrfToken,
        organizationId: created.organizationId,
        organizationName: membership.organization.name,
        role: membership.role,
      };
    },
  }),
  createOrganization: t.field({
    type: OrganizationRef,
    authScopes: { authenticated: true },
    description: 'Creates an organization with you as OWNER and switches this session to it.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateOrganizationResult', description: 'The organization, or why it was not created.' },
    },
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { userId, sessionId } = sessionUser(context);
      const { prisma } = context.services;
      const organization = await createOrganization(prisma, userId, input);
      await prisma.session.update({ where: { id: sessionId }, data: { organizationId: organization.id } });
      return organization;
    },
  }),
  renameOrganization: t.field({
    type: OrganizationRef,
    authScopes: { role: 'ADMIN' },
    description: 'Renames the current organization (ADMIN).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RenameOrganizationResult', description: 'The organization, or why it was not renamed.' },
    },
    args: { input: t.arg({ type: RenameOrganizationInput, required: true }) },
    resolve: (_root, { input }, context) => renameOrganization(context.services.prisma, actorOf(context), input),
  }),
  leaveOrganization: t.field({
    type: LeftOrganization,
    authScopes: { authenticated: true },
    description:
      'Leaves one of your organizations; the last OWNER cannot, nor can anyone leave their only organization.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'LeaveOrganizationResult', description: 'What you left, or ConflictError saying why not.' },
    },
    args: { input: t.arg({ type: LeaveOrganizationInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { userId } = sessionUser(context);
      const organizationId = String(input.organizationId);
      const current = await leaveOrganization(context.services.prisma, userId, organizationId);
      return { organizationId, currentOrganizationId: current };
    },
  }),
  changePassword: t.field({
    type: PasswordChanged,
    authScopes: { authenticated: true },
    description: 'Sets a new password (the current one is required) and ends your other sessions.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ChangePasswordResult', description: 'Done, or ValidationError naming the field at fault.' },
    },
    args: { input: t.arg({ type: ChangePasswordInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      onePasswordCheckPerRequest(context);
      const { userId, sessionId } = sessionUser(context);
      await changePassword(context.services.prisma, userId, sessionId, input);
      return { sessionsEnded: true };
    },
  }),
  requestPasswordReset: t.boolean({
    description:
      'Emails a reset link to the address when it has an account and SMTP is configured. Always answers true.',
    args: { input: t.arg({ type: RequestPasswordResetInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { prisma, resetMailer, logger } = context.services;
      await requestPasswordReset(
        prisma,
        {
          send: resetMailer ? (to, link) => resetMailer.send(to, link) : null,
          onError: (error) => logger.warn({ err: error }, 'password reset email failed'),
        },
        input,
        context.clientAddress,
      );
      return true;
    },
  }),
  createPasswordResetLink: t.field({
    type: PasswordResetLink,
    authScopes: { role: 'ADMIN' },
    description:
      'Makes a reset link for a member (ADMIN; OWNERs only by an OWNER, and only when you administer every organization they belong to).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreatePasswordResetLinkResult', description: 'The link, or why it was not made.' },
    },
    args: { input: t.arg({ type: CreatePasswordResetLinkInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      sessionUser(context);
      const link = await createPasswordResetLink(context.services.prisma, actorOf(context), String(input.userId));
      return { token: link.token, url: `${linkBase(context)}${link.path}`, expiresAt: link.expiresAt };
    },
  }),
  resetPassword: t.field({
    type: PasswordWasReset,
    description: 'Uses a reset link: sets the new password once and ends every session of the account.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'ResetPasswordResult',
        description: 'Done, NotFoundError for an unknown, used or expired link, or ValidationError.',
      },
    },
    args: { input: t.arg({ type: ResetPasswordInput, required: true }) },
    resolve: (_root, { input }, context) => {
      onePasswordCheckPerRequest(context);
      return resetPassword(context.services.prisma, input, context.clientAddress);
    },
  }),
  revokeSession: t.field({
    type: SessionRef,
    authScopes: { authenticated: true },
    description: 'Ends one of your sessions; that browser is signed out at its next request.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RevokeSessionResult', description: 'The ended session, or NotFoundError.' },
    },
    args: { input: t.arg({ type: RevokeSessionInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { userId, sessionId } = sessionUser(context);
      const revoked = await revokeSession(context.services.prisma, userId, String(input.id));
      if (revoked.id === sessionId) context.session.clear();
      return revoked;
    },
  }),
}));
