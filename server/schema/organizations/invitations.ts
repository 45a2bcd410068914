import {
  acceptInvitation,
  declineInvitation,
  inviteMember,
  invitationStatus,
  revokeInvitation,
  type InvitationAnswer,
} from '../../organizations/invitation-service.ts';
import { AccessError } from '../../errors.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { RoleEnum } from './organization.ts';

const InvitationStatusEnum = builder.enumType('InvitationStatus', {
  values: ['PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED'] as const,
});

const InvitationRef = builder.prismaObject('Invitation', {
  description: 'An invitation to join an organization; the invitee joins only by accepting it.',
  authScopes: (invitation) => ({ roleIn: { organizationId: invitation.organizationId, role: 'ADMIN' } }),
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    role: t.expose('role', { type: RoleEnum }),
    status: t.field({ type: InvitationStatusEnum, resolve: (invitation) => invitationStatus(invitation) }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    invitedBy: t.relation('invitedBy', { nullable: true }),
  }),
});

builder.prismaObjectField('Organization', 'invitations', (t) =>
  t.relation('invitations', {
    description: 'Newest first (ADMIN of this organization).',
    authScopes: (organization) => ({ roleIn: { organizationId: organization.id, role: 'ADMIN' } }),
    query: { orderBy: { createdAt: 'desc' }, take: 200 },
  }),
);

const InviteMemberInput = builder.inputType('InviteMemberInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

const InviteMemberPayload = builder
  .objectRef<{ invitationId: string; token: string }>('InviteMemberPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', {
        description:
          'Give this to the invitee (acceptInvitation / declineInvitation). Shown once; only its hash is stored.',
      }),
      invitation: t.prismaField({
        type: 'Invitation',
        resolve: (query, payload, _args, context) =>
          context.services.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: payload.invitationId } }),
      }),
    }),
  });

const InvitationAnswerRef = builder.objectRef<InvitationAnswer>('InvitationAnswer').implement({
  description: 'What the invitee sees of an invitation they answered.',
  fields: (t) => ({
    organizationId: t.id({ resolve: (answer) => answer.invitation.organizationId }),
    organizationName: t.exposeString('organizationName'),
    email: t.string({ resolve: (answer) => answer.invitation.email }),
    role: t.field({ type: RoleEnum, resolve: (answer) => answer.invitation.role }),
    status: t.field({ type: InvitationStatusEnum, resolve: (answer) => invitationStatus(answer.invitation) }),
  }),
});

const AcceptInvitationInput = builder.inputType('AcceptInvitationInput', {
  fields: (t) => ({
    token: t.string({ required: true }),
    name: t.string({ description: 'For a new account.' }),
    password: t.string({
      description: 'Creates the account when the address has none; an existing account signs in and accepts.',
    }),
  }),
});
const InvitationTokenInput = builder.inputType('InvitationTokenInput', {
  fields: (t) => ({ token: t.string({ required: true }) }),
});
const RevokeInvitationInput = builder.inputType('RevokeInvitationInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  inviteMember: t.field({
    type: InviteMemberPayload,
    authScopes: { role: 'ADMIN' },
    description: 'Invites an email address; the answer is the same whether it has an account or not.',
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'InviteMemberResult' } },
    args: { input: t.arg({ type: InviteMemberInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { invitation, token } = await inviteMember(
        context.services.prisma,
        actorOf(context),
        input,
        context.services.config.invitationTtlHours,
      );
      return { invitationId: invitation.id, token };
    },
  }),
  revokeInvitation: t.field({
    type: InvitationRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RevokeInvitationResult' } },
    args: { input: t.arg({ type: RevokeInvitationInput, required: true }) },
    resolve: (_root, { input }, context) =>
      revokeInvitation(context.services.prisma, actorOf(context), String(input.id)),
  }),
  acceptInvitation: t.field({
    type: InvitationAnswerRef,
    description:
      'Joins the organization: signed in as the invited address, or without an account by choosing a password.',
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'AcceptInvitationResult' } },
    args: { input: t.arg({ type: AcceptInvitationInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const viewer = context.viewer;
      if (viewer && viewer.via !== 'session') throw new AccessError('FORBIDDEN', 'API keys cannot accept invitations');
      return acceptInvitation(
        context.services.prisma,
        { userId: viewer?.user?.id ?? null, email: viewer?.user?.email ?? null },
        input,
      );
    },
  }),
  declineInvitation: t.field({
    type: InvitationAnswerRef,
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'DeclineInvitationResult' } },
    args: { input: t.arg({ type: InvitationTokenInput, required: true }) },
    resolve: (_root, { input }, context) => declineInvitation(context.services.prisma, input.token),
  }),
}));
