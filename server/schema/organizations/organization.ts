import { GraphQLError } from 'graphql';
import type { RoleName } from '../../security/roles.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const RoleEnum = builder.enumType('Role', {
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

builder.prismaObject('Organization', {
  authScopes: (organization) => roleIn(organization.id, 'VIEWER'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    featureFlags: t.expose('featureFlags', { type: 'JSON', description: 'Tool types enabled for this organization.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    members: t.relation('memberships', {
      authScopes: (organization) => roleIn(organization.id, 'ADMIN'),
      query: { orderBy: { createdAt: 'asc' } },
    }),
    apiKeys: t.relation('apiKeys', {
      authScopes: (organization) => roleIn(organization.id, 'ADMIN'),
      query: { orderBy: { createdAt: 'desc' } },
    }),
  }),
});

builder.prismaObject('User', {
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
  }),
});

export const MemberRef = builder.prismaObject('Membership', {
  name: 'Member',
  authScopes: (membership) => roleIn(membership.organizationId, 'VIEWER'),
  fields: (t) => ({
    id: t.exposeID('id'),
    user: t.relation('user'),
    organization: t.relation('organization'),
    role: t.expose('role', { type: RoleEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ApiKeyRef = builder.prismaObject('ApiKey', {
  authScopes: (apiKey) => roleIn(apiKey.organizationId, 'ADMIN'),
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to tell keys apart.' }),
    role: t.expose('role', {
      type: RoleEnum,
      description: "The key's own role; it acts with at most its creator's current role in the organization.",
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    createdBy: t.relation('createdBy', { nullable: true }),
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
    role: t.field({ type: RoleEnum, resolve: (viewer) => viewer.role }),
    user: t.prismaField({
      type: 'User',
      nullable: true,
      resolve: (query, viewer, _args, context) =>
        viewer.userId ? context.services.prisma.user.findUnique({ ...query, where: { id: viewer.userId } }) : null,
    }),
    organization: t.prismaField({
      type: 'Organization',
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
