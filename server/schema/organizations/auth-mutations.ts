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
  description: "A member's email and password; repeated failures are throttled (RATE_LIMITED).",
  fields: (t) => ({
    email: t.string({ required: true, description: 'The email the member signs in with (case-insensitive).' }),
    password: t.string({ required: true, description: 'The password; never logged or stored.' }),
    organizationSlug: t.string({ description: 'Which organization to open; defaults to the first one.' }),
  }),
});

const LoginPayload = builder.objectRef<{ csrfToken: string }>('LoginPayload').implement({
  description: 'A session started: its cookie is set on the response; the CSRF token is for the client to keep.',
  fields: (t) => ({
    csrfToken: t.exposeString('csrfToken', {
      description: 'Send as x-csrf-token with cookie-authenticated mutations.',
    }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key for programs (CI, a voice platform) acting for the organization.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'What the key is for, 1 to 100 characters (trimmed).' }),
    role: t.field({ type: RoleEnum, description: 'Defaults to MEMBER; cannot exceed your own role.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the key stops working; no expiry when omitted.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKeyId: string; key: string }>('CreateApiKeyPayload').implement({
  description: 'The new key: the secret once, and the record that names it from now on.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The full key. Shown this once; only its hash is stored.' }),
    apiKey: t.prismaField({
      type: 'ApiKey',
      description: 'The key as listed and revoked later (prefix, role, expiry); never the full key.',
      resolve: (query, payload, _args, context) =>
        context.services.prisma.apiKey.findUniqueOrThrow({ ...query, where: { id: payload.apiKeyId } }),
    }),
  }),
});

const RevokeApiKeyInput = builder.inputType('RevokeApiKeyInput', {
  description: 'The API key to revoke.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The key id (ApiKey.id), not the key itself.' }) }),
});
const SwitchOrganizationInput = builder.inputType('SwitchOrganizationInput', {
  description: 'Another organization the signed-in user belongs to.',
  fields: (t) => ({ organizationId: t.id({ required: true, description: 'The organization to open.' }) }),
});
const UpdateMemberRoleInput = builder.inputType('UpdateMemberRoleInput', {
  description: 'A member and the role they get; you can neither give nor take away a role above your own.',
  fields: (t) => ({
    memberId: t.id({ required: true, description: 'The membership id (Member.id).' }),
    role: t.field({ type: RoleEnum, required: true, description: 'The new role; the last OWNER cannot be demoted.' }),
  }),
});
const RemoveMemberInput = builder.inputType('RemoveMemberInput', {
  description: 'A member to remove from the organization.',
  fields: (t) => ({
    memberId: t.id({ required: true, description: 'The membership id (Member.id); not the last OWNER.' }),
  }),
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
      const { token, session } = await login(
        context.services.prisma,
        input,
        ttlHours,
        context.clientAddress,
        context.userAgent ?? null,
      );
      context.session.start(token, ttlHours * 3600);
      return { csrfToken: session.csrfToken };
    },
  }),
  logout: t.boolean({
    authScopes: { authenticated: true },
    description: 'Ends the dashboard session and clears its cookie; always true (a no-op for API keys).',
    resolve: async (_root, _args, context) => {
      if (context.viewer?.sessionId) await logout(context.services.prisma, context.viewer.sessionId);
      context.session.clear();
      return true;
    },
  }),
  switchOrganization: t.field({
    type: ViewerRef,
    authScopes: { authenticated: true },
    description:
      "Moves the dashboard session to another of the user's organizations (not for API keys: BAD_USER_INPUT; not a member: NOT_FOUND).",
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
    description: 'ADMIN: creates an API key; the full key is in the answer only.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateApiKeyResult', description: 'The new key, or why it was not created.' },
    },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const { apiKey, key } = await createApiKey(context.services.prisma, actorOf(context), input);
      return { apiKeyId: apiKey.id, key };
    },
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    authScopes: { role: 'ADMIN' },
    description: 'ADMIN: the key stops working at once, on every instance; its later uses are security events.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RevokeApiKeyResult', description: 'The revoked key, or why not.' },
    },
    args: { input: t.arg({ type: RevokeApiKeyInput, required: true }) },
    resolve: (_root, { input }, context) => revokeApiKey(context.services.prisma, actorOf(context), String(input.id)),
  }),
  updateMemberRole: t.field({
    type: MemberRef,
    authScopes: { role: 'ADMIN' },
    description: "ADMIN: changes a member's role; their API keys are re-checked against it.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UpdateMemberRoleResult', description: 'The member with the new role, or why not.' },
    },
    args: { input: t.arg({ type: UpdateMemberRoleInput, required: true }) },
    resolve: (_root, { input }, context) =>
      updateMemberRole(context.services.prisma, actorOf(context), String(input.memberId), input.role),
  }),
  removeMember: t.field({
    type: MemberRef,
    authScopes: { role: 'ADMIN' },
    description: 'ADMIN: removes a member and ends their sessions in this organization.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RemoveMemberResult', description: 'The removed membership, or why not.' },
    },
    args: { input: t.arg({ type: RemoveMemberInput, required: true }) },
    resolve: (_root, { input }, context) =>
      removeMember(context.services.prisma, actorOf(context), String(input.memberId)),
  }),
}));
