import { GraphQLError } from 'graphql';
import { createApiKey, revokeApiKey } from '../../auth/api-keys.ts';
import { login, logout, switchOrganization } from '../../auth/sessions.ts';
import { uuidOrNil } from '../../db/json.ts';
import { removeMember, updateMemberRole } from '../../organizations/member-service.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { ApiKeyRef, MemberRef, RoleEnum, ViewerRef } from './organization.ts';

const LoginInput = builder.inputType('LoginInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
    organizationSlug: t.string({ description: 'Which organization to open; defaults to the first one.' }),
  }),
});

const LoginPayload = builder.objectRef<{ csrfToken: string }>('LoginPayload').implement({
  fields: (t) => ({
    csrfToken: t.exposeString('csrfToken', {
      description: 'Send as x-csrf-token with cookie-authenticated mutations.',
    }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, description: 'Defaults to MEMBER; cannot exceed your own role.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the key stops working; no expiry when omitted.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKeyId: string; key: string }>('CreateApiKeyPayload').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The full key. Shown this once; only its hash is stored.' }),
    apiKey: t.prismaField({
      type: 'ApiKey',
      resolve: (query, payload, _args, context) =>
        context.services.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: payload.apiKeyId } }),
    }),
  }),
});

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', { fields: (t) => ({ id: t.id({ required: true }) }) });
const SwitchOrganizationInput = builder.inputType('SwitchOrganizationInput', {
  fields: (t) => ({ organizationId: t.id({ required: true }) }),
});
const UpdateMemberRoleInput = builder.inputType('UpdateMemberRoleInput', {
  fields: (t) => ({ memberId: t.id({ required: true }), role: t.field({ type: RoleEnum, required: true }) }),
});
const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  fields: (t) => ({ memberId: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  login: t.field({
    type: LoginPayload,
    description: 'Starts a dashboard session (HttpOnly cookie). Wrong credentials fail with UNAUTHENTICATED.',
    args: { input: t.arg({ type: LoginInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      // Each login costs a deliberately slow scrypt: aliases must not multiply it.
      if (context.loginAttempted) {
        throw new GraphQLError('only one login per request', { extensions: { code: 'BAD_REQUEST' } });
      }
      context.loginAttempted = true;
      const ttlHours = context.services.config.sessionTtlHours;
      const { token, session } = await login(context.services.prisma, input, ttlHours, context.clientAddress);
      context.session.start(token, ttlHours * 3600);
      return { csrfToken: session.csrfToken };
    },
  }),
  logout: t.boolean({
    authScopes: { authenticated: true },
    resolve: async (_root, _args, context) => {
      if (context.viewer?.sessionId) await logout(context.services.prisma, context.viewer.sessionId);
      context.session.clear();
      return true;
    },
  }),
  switchOrganization: t.field({
    type: ViewerRef,
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: SwitchOrganizationInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const viewer = context.viewer;
      if (!viewer?.sessionId || !viewer.user) {
        throw new GraphQLError('only dashboard sessions can switch organization', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      const organizationId = uuidOrNil(input.organizationId);
      if (!(await switchOrganization(context.services.prisma, viewer.sessionId, viewer.user.id, organizationId))) {
        throw new GraphQLError('organization not found', { extensions: { code: 'NOT_FOUND' } });
      }
      const membership = await context.services.prisma.membership.findUniqueOrThrow({
        where: { userId_organizationId: { userId: viewer.user.id, organizationId } },
      });
      return {
        organizationId,
        role: membership.role,
        userId: viewer.user.id,
        apiKeyId: null,
        csrfToken: viewer.csrfToken,
      };
    },
  }),
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'CreateApiKeyResult' } },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { apiKey, key } = await createApiKey(context.services.prisma, actorOf(context), input);
      return { apiKeyId: apiKey.id, key };
    },
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RevokeApiKeyResult' } },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    resolve: (_root, { input }, context) => revokeApiKey(context.services.prisma, actorOf(context), String(input.id)),
  }),
  updateMemberRole: t.field({
    type: MemberRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'UpdateMemberRoleResult' } },
    args: { input: t.arg({ type: UpdateMemberRoleInput, required: true }) },
    resolve: (_root, { input }, context) =>
      updateMemberRole(context.services.prisma, actorOf(context), String(input.memberId), input.role),
  }),
  removeMember: t.field({
    type: MemberRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RemoveMemberResult' } },
    args: { input: t.arg({ type: RemoveMemberInput, required: true }) },
    resolve: (_root, { input }, context) =>
      removeMember(context.services.prisma, actorOf(context), String(input.memberId)),
  }),
}));
