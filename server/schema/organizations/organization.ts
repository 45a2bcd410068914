import { GraphQLError } from 'graphql';
import type { RoleName } from '../../security/roles.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const RoleEnum = builder.enumType('Role', {
  description: 'What a member or API key may do in an organization; each role includes the ones below it.',
  values: {
    OWNER: { description: 'Everything, including owners.' },
    ADMIN: { description: 'Manages secrets, API keys, members and assignments.' },
    MEMBER: { description: 'Creates, edits and tests tools.' },
    VIEWER: { description: 'Reads.' },
  } as const,
});

/** Objects of an organization are authorized by the viewer's role in that organization, never its current one. */
function roleIn(organizationId: string, role: RoleName) {
  return { roleIn: { organizationId, role } };
}

export const OrganizationRef = builder.prismaObject('Organization', {
  description: 'A tenant: its tools, assistants, secrets and members are its own.',
  authScopes: (organization) => roleIn(organization.id, 'VIEWER'),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    name: t.exposeString('name', { description: 'The display name.' }),
    slug: t.exposeString('slug', { description: 'A unique short name.' }),
    featureFlags: t.expose('featureFlags', { type: 'JSON', description: 'Tool types enabled for this organization.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    members: t.relation('memberships', {
      description: 'Its members, oldest first (ADMIN of this organization).',
      authScopes: (organization) => roleIn(organization.id, 'ADMIN'),
      query: { orderBy: { createdAt: 'asc' } },
    }),
    apiKeys: t.relation('apiKeys', {
      description: 'Its API keys, newest first, revoked ones included (ADMIN of this organization).',
      authScopes: (organization) => roleIn(organization.id, 'ADMIN'),
      query: { orderBy: { createdAt: 'desc' } },
    }),
  }),
});

builder.prismaObject('User', {
  description: 'A person who signs in to the dashboard.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    email: t.exposeString('email', { description: 'The sign-in address.' }),
    name: t.exposeString('name', { description: 'The display name.' }),
  }),
});

export const MemberRef = builder.prismaObject('Membership', {
  name: 'Member',
  description: "A user's membership of an organization, with their role there.",
  authScopes: (membership) => roleIn(membership.organizationId, 'VIEWER'),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID; pass it to updateMemberRole and removeMember.' }),
    user: t.relation('user', { description: 'The member.' }),
    organization: t.relation('organization', { description: 'The organization.' }),
    role: t.expose('role', { type: RoleEnum, description: 'What the member may do there.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When they joined.' }),
  }),
});

export const ApiKeyRef = builder.prismaObject('ApiKey', {
  description: 'A credential for integrations (Authorization: Bearer sb_…); the key itself is shown once, at creation.',
  authScopes: (apiKey) => roleIn(apiKey.organizationId, 'ADMIN'),
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID; pass it to revokeApiKey.' }),
    name: t.exposeString('name', { description: 'What the key is for.' }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to tell keys apart.' }),
    role: t.expose('role', {
      type: RoleEnum,
      description: "The key's own role; it acts with at most its creator's current role in the organization.",
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'After this it is refused; null: never.',
    }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Last use, to the minute.' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was revoked; null while valid.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    createdBy: t.relation('createdBy', {
      nullable: true,
      description: 'The person it answers to; it stops working when they leave.',
    }),
  }),
});

interface ViewerShape {
  organizationId: string;
  role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';
  userId: string | null;
  apiKeyId: string | null;
  csrfToken: string | null;
}

const ViewerRef = builder.objectRef<ViewerShape>('Viewer').implement({
  description: 'Who is asking: a dashboard user (session) or an API key.',
  fields: (t) => ({
    role: t.field({
      type: RoleEnum,
      description: 'The role requests are authorized with.',
      resolve: (viewer) => viewer.role,
    }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'The signed-in user; null for an API key.',
      resolve: (query, viewer, _args, context) =>
        viewer.userId ? context.services.prisma.user.findUnique({ ...query, where: { id: viewer.userId } }) : null,
    }),
    organization: t.prismaField({
      type: 'Organization',
      description: 'The organization requests act in.',
      resolve: (query, viewer, _args, context) =>
        context.services.prisma.organization.findUniqueOrThrow({ ...query, where: { id: viewer.organizationId } }),
    }),
    memberships: t.prismaField({
      type: ['Membership'],
      description: 'The organizations the user can switch to (empty for API keys).',
      resolve: (query, viewer, _args, context) =>
        viewer.userId
          ? context.services.prisma.membership.findMany({
              ...query,
              where: { userId: viewer.userId },
              orderBy: { createdAt: 'asc' },
            })
          : [],
    }),
    csrfToken: t.string({
      nullable: true,
      description: 'Send as the x-csrf-token header with cookie-authenticated mutations.',
      resolve: (viewer) => viewer.csrfToken,
    }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    nullable: true,
    description: 'Null when not signed in.',
    resolve: (_root, _args, context) =>
      context.viewer ? { ...context.viewer.actor, csrfToken: context.viewer.csrfToken } : null,
  }),
  organization: t.prismaField({
    type: 'Organization',
    authScopes: { authenticated: true },
    description: "The viewer's current organization.",
    resolve: async (query, _root, _args, context) => {
      const organization = await context.services.prisma.organization.findUnique({
        ...query,
        where: { id: actorOf(context).organizationId },
      });
      if (!organization) throw new GraphQLError('organization not found', { extensions: { code: 'NOT_FOUND' } });
      return organization;
    },
  }),
}));

export { ViewerRef };
