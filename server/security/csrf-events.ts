import type { Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import type { Prisma } from '../db/database.ts';
import { securityEventsOf } from './security-events.ts';

/**
 * A cookie-authenticated request refused as cross-site: a mutation without the
 * session's CSRF token, or a WebSocket opened from an untrusted origin.
 */
export function recordOriginRefusal(
  prisma: Prisma,
  viewer: Viewer,
  request: { clientAddress: string | null; origin: string | null; operationName?: string | null; transport: string },
): void {
  securityEventsOf(prisma).record({
    kind: 'CSRF_REFUSED',
    organizationId: viewer.actor.organizationId,
    actor: { type: 'address', id: request.clientAddress },
    subject: viewer.user ? { type: 'user', id: viewer.user.id } : null,
    details: { origin: request.origin, operationName: request.operationName ?? null, transport: request.transport },
  });
}

export function recordCsrfRefusal(context: Context, operationName: string | null | undefined): void {
  if (!context.viewer) return;
  const origin = (context as Context & { request?: Request }).request?.headers.get('origin') ?? null;
  recordOriginRefusal(context.services.prisma, context.viewer, {
    clientAddress: context.clientAddress ?? null,
    origin,
    operationName: operationName ?? null,
    transport: 'http',
  });
}
