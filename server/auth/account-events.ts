/**
 * Account changes as security events: one event in every organization the
 * account belongs to (each one's admins see what happens to their members'
 * accounts), like failed logins in login-events.ts.
 */
import type { Prisma } from '../db/database.ts';
import { securityEventsOf, type SecurityActorType, type SecurityDetailValue } from '../security/security-events.ts';

/** A user in more organizations than this gets the event in the first ones only. */
const MAX_ORGANIZATIONS = 20;

export type AccountEventKind =
  'PASSWORD_CHANGED' | 'PASSWORD_RESET_LINK_CREATED' | 'PASSWORD_RESET' | 'SESSION_REVOKED';

export async function recordAccountEvent(
  prisma: Prisma,
  kind: AccountEventKind,
  userId: string,
  actor: { type: SecurityActorType; id: string | null },
  details: Record<string, SecurityDetailValue> = {},
): Promise<void> {
  const memberships = await prisma.membership.findMany({
    where: { userId },
    select: { organizationId: true },
    orderBy: { createdAt: 'asc' },
    take: MAX_ORGANIZATIONS,
  });
  const events = securityEventsOf(prisma);
  for (const { organizationId } of memberships) {
    events.record({ kind, organizationId, actor, subject: { type: 'user', id: userId }, details });
  }
}
