import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

builder.prismaObject('AuditLog', {
  name: 'AuditLogEntry',
  description: 'One change made in the organization: who did what to which entity, and the diff.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The entry id.' }),
    action: t.exposeString('action', { description: 'e.g. tool.update, secret.create.' }),
    entityType: t.exposeString('entityType', {
      description: 'The kind of entity changed, e.g. Tool, Secret, Membership.',
    }),
    entityId: t.exposeString('entityId', {
      nullable: true,
      description: "The changed entity's id (it may be deleted since); null for changes to no single entity.",
    }),
    diff: t.expose('diff', {
      type: 'JSON',
      description: 'Changed fields as { before, after }, sensitive values redacted.',
    }),
    actorUser: t.relation('actorUser', {
      nullable: true,
      description: 'The user who made the change in a dashboard session; null for API keys and the system.',
    }),
    actorApiKey: t.relation('actorApiKey', {
      nullable: true,
      description: 'The API key the change was made with; null for dashboard sessions and the system.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the change was made.' }),
  }),
});

builder.queryFields((t) => ({
  auditLog: t.prismaConnection({
    type: 'AuditLog',
    cursor: 'id',
    authScopes: { role: 'ADMIN' },
    maxSize: 200,
    defaultSize: 50,
    description: 'Newest first.',
    resolve: (query, _root, _args, context) =>
      context.services.prisma.auditLog.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
}));
