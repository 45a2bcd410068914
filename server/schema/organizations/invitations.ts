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

export const InvitationStatusEnum = builder.enumType('InvitationStatus', {
  description: 'Where an invitation stands; EXPIRED is PENDING past its expiresAt.',
  values: ['PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED'] as const,
});

const InvitationRef = builder.prismaObject('Invitation', {
  description: 'An invitation to join an organization; the invitee joins only by accepting it.',
  authScopes: (invitation) => ({ roleIn: { organizationId: invitation.organizationId, role: 'ADMIN' } }),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    email: t.exposeString('email', { description: 'The invited address.' }),
    role: t.expose('role', { type: RoleEnum, description: 'The role the invitee gets on accepting.' }),
    status: t.field({
      type: InvitationStatusEnum,
      description: 'PENDING until answered, revoked or expired.',
      resolve: (invitation) => invitationStatus(invitation),
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'After this it can no longer be accepted.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was sent.' }),
    invitedBy: t.relation('invitedBy', { nullable: true, description: 'Who invited; null when that user is gone.' }),
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
  description: 'Whom to invite, and as what.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The address to invite.' }),
    role: t.field({ type: RoleEnum, required: true, description: 'OWNER needs an OWNER to invite.' }),
  }),
});

const InviteMemberPayload = builder
  .objectRef<{ invitationId: string; token: string }>('InviteMemberPayload')
  .implement({
    description: 'A new invitation and its token.',
    fields: (t) => ({
      token: t.exposeString('token', {
        description:
          'Give this to the invitee (acceptInvitation / declineInvitation). Shown once; only its hash is stored.',
      }),
      link: t.string({
        description: 'The dashboard page where the invitee sees the invitation and accepts or declines it.',
        resolve: (payload, _args, context) =>
          `${context.services.config.publicUrl ?? context.requestOrigin ?? ''}/invite/${payload.token}`,
      }),
      invitation: t.prismaField({
        type: 'Invitation',
        description: 'The invitation created.',
        resolve: (query, payload, _args, context) =>
          context.services.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: payload.invitationId } }),
      }),
    }),
  });

const InvitationAnswerRef = builder.objectRef<InvitationAnswer>('InvitationAnswer').implement({
  description: 'What the invitee sees of an invitation they answered.',
  fields: (t) => ({
    organizationId: t.id({
      description: 'The organization joined or declined.',
      resolve: (answer) => answer.invitation.organizationId,
    }),
    organizationName: t.exposeString('organizationName', { description: 'Its name.' }),
    email: t.string({ description: 'The invited address.', resolve: (answer) => answer.invitation.email }),
    role: t.field({ type: RoleEnum, description: 'The role it carries.', resolve: (answer) => answer.invitation.role }),
    status: t.field({
      type: InvitationStatusEnum,
      description: 'ACCEPTED or DECLINED after the answer.',
      resolve: (answer) => invitationStatus(answer.invitation),
    }),
  }),
});

const AcceptInvitationInput = builder.inputType('AcceptInvitationInput', {
  description: 'The token of the invitation, and a password when the address has no account.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The token inviteMember returned.' }),
    name: t.string({ description: 'For a new account.' }),
    password: t.string({
      description: 'Creates the account when the address has none; an existing account signs in and accepts.',
    }),
  }),
});
const InvitationTokenInput = builder.inputType('InvitationTokenInput', {
  description: 'An invitation, by its token.',
  fields: (t) => ({ token: t.string({ required: true, description: 'The token inviteMember returned.' }) }),
});
const RevokeInvitationInput = builder.inputType('RevokeInvitationInput', {
  description: 'The invitation to withdraw.',
  fields: (t) => ({ id: t.id({ required: true, description: 'Its id.' }) }),
});

builder.mutationFields((t) => ({
  inviteMember: t.field({
    type: InviteMemberPayload,
    authScopes: { role: 'ADMIN' },
    description: 'Invites an email address; the answer is the same whether it has an account or not.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'InviteMemberResult', description: 'The invitation, or why it was not made.' },
    },
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
    description: 'Withdraws a pending invitation: its token stops working.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RevokeInvitationResult', description: 'The revoked invitation, or why not.' },
    },
    args: { input: t.arg({ type: RevokeInvitationInput, required: true }) },
    resolve: (_root, { input }, context) =>
      revokeInvitation(context.services.prisma, actorOf(context), String(input.id)),
  }),
  acceptInvitation: t.field({
    type: InvitationAnswerRef,
    description:
      'Joins the organization: signed in as the invited address, or without an account by choosing a password.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'AcceptInvitationResult', description: 'The answer, or why it failed.' },
    },
    args: { input: t.arg({ type: AcceptInvitationInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const viewer = context.viewer;
      if (viewer && viewer.via !== 'session') throw new AccessError('FORBIDDEN', 'API keys cannot accept invitations');
      return acceptInvitation(
        context.services.prisma,
        { userId: viewer?.user?.id ?? null, email: viewer?.user?.email ?? null },
        input,
        { mayCreateAccount: context.services.config.signUpPolicy !== 'closed' },
      );
    },
  }),
  declineInvitation: t.field({
    type: InvitationAnswerRef,
    description: 'Declines an invitation; its token stops working.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeclineInvitationResult', description: 'The answer, or why it failed.' },
    },
    args: { input: t.arg({ type: InvitationTokenInput, required: true }) },
    resolve: (_root, { input }, context) => declineInvitation(context.services.prisma, input.token),
  }),
}));
