import type { Prisma as P } from '../../db/generated/prisma/client.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

/** Stored actor and subject ids are clipped to this length too, so a longer filter could match nothing. */
const MAX_FILTER_ID_CHARS = 200;

const SecurityEventKindEnum = builder.enumType('SecurityEventKind', {
  description: 'What happened.',
  values: {
    SSRF_REFUSED: {
      description: 'An endpoint, Lambda or sandboxed fetch to a private or reserved address was refused.',
    },
    SANDBOX_PERMISSION_DENIED: { description: 'Sandboxed code tried to import a module it may not use.' },
    SANDBOX_MEMORY_KILL: { description: 'Sandboxed code was stopped for exceeding its memory limit.' },
    SANDBOX_TIME_KILL: { description: 'Sandboxed code was stopped for exceeding its time limit.' },
    LOGIN_FAILED: { description: 'A wrong password (or no membership) for a member of this organization.' },
    LOGIN_THROTTLED: { description: 'A login refused because the email or address failed too often.' },
    CSRF_REFUSED: {
      description: 'A cookie-authenticated mutation without the session CSRF token (a cross-site request).',
    },
    API_KEY_CREATED: {},
    API_KEY_REVOKED: {},
    API_KEY_REVOKED_USE: { description: 'A request presented a revoked API key.' },
    APPROVAL_APPROVED: {},
    APPROVAL_REJECTED: {},
    SECRET_GRANTED: { description: 'A secret was granted (or a suspended grant approved again) to a tool.' },
    SECRET_GRANT_REVOKED: {},
    SECRET_USED: { description: 'An execution read a secret (the name only).' },
    SECRET_USE_DENIED: { description: 'An execution was refused because a secret it reads is not granted.' },
    PASSWORD_CHANGED: { description: 'A member changed their password (their other sessions ended).' },
    PASSWORD_RESET_LINK_CREATED: { description: "An ADMIN made a password reset link for a member's account." },
    PASSWORD_RESET: { description: "A member's password was set through a reset link (all their sessions ended)." },
    SESSION_REVOKED: { description: 'A member ended one of their dashboard sessions.' },
  },
});

const SecurityEventSeverityEnum = builder.enumType('SecurityEventSeverity', {
  description: 'How much attention an event asks for: INFO, WARNING or HIGH.',
  values: ['INFO', 'WARNING', 'HIGH'] as const,
});

builder.prismaObject('SecurityEvent', {
  description: 'A security-relevant happening in the organization. Kept for SWITCHBOARD_SECURITY_EVENT_RETENTION_DAYS.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The event id.' }),
    kind: t.expose('kind', { type: SecurityEventKindEnum, description: 'What happened.' }),
    severity: t.expose('severity', { type: SecurityEventSeverityEnum, description: 'Fixed per kind.' }),
    actorType: t.exposeString('actorType', { description: 'user, apiKey, address (a client IP) or system.' }),
    actorId: t.exposeString('actorId', { nullable: true, description: 'The user, API key or address id.' }),
    subjectType: t.exposeString('subjectType', {
      nullable: true,
      description: 'tool, execution, apiKey, secret (by name) or user.',
    }),
    subjectId: t.exposeString('subjectId', { nullable: true, description: 'The id (or secret name) of the subject.' }),
    details: t.expose('details', {
      type: 'JSON',
      description: 'Bounded context such as the error code or tool name; never secret values or bodies.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
  }),
});

const SecurityEventFilter = builder.inputType('SecurityEventFilter', {
  description: 'Narrows the security event log; every field is optional.',
  fields: (t) => ({
    kinds: t.field({ type: [SecurityEventKindEnum], description: 'Any of these kinds.' }),
    since: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    until: t.field({ type: 'DateTime', description: 'Exclusive.' }),
    actorId: t.string({ description: 'Events by this actor.' }),
    subjectId: t.string({ description: 'Events about this subject.' }),
  }),
});

builder.queryFields((t) => ({
  securityEvents: t.prismaConnection({
    type: 'SecurityEvent',
    cursor: 'id',
    authScopes: { role: 'ADMIN' },
    maxSize: 200,
    defaultSize: 50,
    args: { filter: t.arg({ type: SecurityEventFilter }) },
    description: "The organization's security event log, newest first.",
    resolve: (query, _root, args, context) => {
      const filter = args.filter ?? {};
      const where: P.SecurityEventWhereInput = {
        organizationId: actorOf(context).organizationId,
        ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
        ...(filter.since || filter.until
          ? { createdAt: { ...(filter.since && { gte: filter.since }), ...(filter.until && { lt: filter.until }) } }
          : {}),
        ...(filter.actorId ? { actorId: filter.actorId.slice(0, MAX_FILTER_ID_CHARS) } : {}),
        ...(filter.subjectId ? { subjectId: filter.subjectId.slice(0, MAX_FILTER_ID_CHARS) } : {}),
      };
      return context.services.prisma.securityEvent.findMany({
        ...query,
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
}));
