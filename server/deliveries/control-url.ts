/** Vapi's live control URL, kept on the call so results can be spoken into it later. */
import type { Prisma } from '../db/database.ts';
import { deliveryUrl } from './delivery-url.ts';

/**
 * Stores `call.monitor.controlUrl` on the organization's call with that platform id, when the call
 * exists and the URL is a plausible http(s) URL; anything else is ignored (never a failed tool call).
 * Returns whether a row changed.
 */
export async function storeControlUrl(
  prisma: Prisma,
  call: { organizationId: string; callSid: string },
  controlUrl: unknown,
): Promise<boolean> {
  const url = deliveryUrl(controlUrl);
  if (!url) return false;
  const { count } = await prisma.call.updateMany({
    where: {
      organizationId: call.organizationId,
      callSid: call.callSid,
      OR: [{ controlUrl: null }, { controlUrl: { not: url } }],
    },
    data: { controlUrl: url },
  });
  return count > 0;
}
