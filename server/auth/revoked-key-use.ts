import type { Prisma } from '../db/database.ts';
import { createEventGate } from '../security/event-gate.ts';
import { securityEventsOf } from '../security/security-events.ts';

/** A leaked key retried in a loop is one event a minute, not one per request. */
const revokedUseGate = createEventGate(60_000);

/**
 * A refused key that exists but was revoked is recorded in its organization
 * (a leaked key still in use); unknown keys name no organization and are not.
 * Never throws: the caller refuses the request either way.
 */
export async function recordRevokedKeyUse(prisma: Prisma, keyHash: string): Promise<void> {
  if (!revokedUseGate(keyHash)) return;
  const row = await prisma.apiKey
    .findUnique({
      where: { keyHash },
      select: { id: true, organizationId: true, name: true, prefix: true, revokedAt: true },
    })
    .catch(() => null);
  if (!row?.revokedAt) return;
  securityEventsOf(prisma).record({
    kind: 'API_KEY_REVOKED_USE',
    organizationId: row.organizationId,
    actor: { type: 'apiKey', id: row.id },
    subject: { type: 'apiKey', id: row.id },
    details: { name: row.name, prefix: row.prefix, revokedAt: row.revokedAt.toISOString() },
  });
}
