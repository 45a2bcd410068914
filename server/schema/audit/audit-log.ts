import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

builder.prismaObject('AuditLog', {
  name: 'AuditLogEntry',
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.exposeString('action', { description: 'e.g. tool.update, secret.create.' }),
    entityType: t.exposeString('entityType'),
    entityId: t.exposeString('entityId', { nullable: true }),
    diff: t.expose('diff', {
      type: 'JSON',
      description: 'Changed fields as { before, after }, sensitive values redacted.',
    }),
    actorUser: t.relation('actorUser', { nullable: true }),
    actorApiKey: t.relation('actorApiKey', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
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
