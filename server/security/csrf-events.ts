import type { Context } from '../context.ts';
import { securityEventsOf } from './security-events.ts';

/** A cookie-authenticated mutation without the session's CSRF token: likely a cross-site form or script. */
export function recordCsrfRefusal(context: Context, operationName: string | null | undefined): void {
  const viewer = context.viewer;
  if (!viewer) return;
  const origin = (context as Context & { request?: Request }).request?.headers.get('origin') ?? null;
  securityEventsOf(context.services.prisma).record({
    kind: 'CSRF_REFUSED',
    organizationId: viewer.actor.organizationId,
    actor: { type: 'address', id: context.clientAddress ?? null },
    subject: viewer.user ? { type: 'user', id: viewer.user.id } : null,
    details: { origin, operationName: operationName ?? null },
  });
}
