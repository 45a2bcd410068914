import type { Prisma } from '../db/database.ts';
import type { ResultDelivery } from '../db/generated/prisma/client.ts';
import { securityEventsOf } from './security-events.ts';

/** A result delivery (assistant webhook, Vapi control URL) whose destination the SSRF guard refused. */
export function recordDeliveryRefusal(
  prisma: Prisma,
  delivery: Pick<ResultDelivery, 'id' | 'organizationId' | 'executionId' | 'channel'>,
  outcome: { kind: string; error?: string },
): void {
  if (outcome.kind !== 'failed' || !outcome.error?.startsWith('SSRF_BLOCKED')) return;
  securityEventsOf(prisma).record({
    kind: 'SSRF_REFUSED',
    organizationId: delivery.organizationId,
    actor: { type: 'system', id: null },
    subject: { type: 'execution', id: delivery.executionId },
    details: { deliveryId: delivery.id, channel: delivery.channel, errorCode: 'SSRF_BLOCKED' },
  });
}
