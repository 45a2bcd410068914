/** Vapi's live control URL, kept on the call (sealed: it controls the live call) so results can be spoken into it later. */
import type { Prisma } from '../db/database.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import { sha256 } from '../security/tokens.ts';
import { deliveryUrl } from './delivery-url.ts';

/**
 * Stores `call.monitor.controlUrl` on the organization's call with that platform id, when the call
 * exists and the URL is a plausible http(s) URL; anything else is ignored (never a failed tool call).
 * Returns whether a row changed.
 */
export async function storeControlUrl(
  deps: { prisma: Prisma; cipher: SecretCipher },
  call: { organizationId: string; callSid: string },
  controlUrl: unknown,
): Promise<boolean> {
  const url = deliveryUrl(controlUrl);
  if (!url) return false;
  const digest = sha256(url);
  const { count } = await deps.prisma.call.updateMany({
    where: {
      organizationId: call.organizationId,
      callSid: call.callSid,
      OR: [{ controlUrlDigest: null }, { controlUrlDigest: { not: digest } }],
    },
    data: { controlUrl: deps.cipher.encrypt(call.organizationId, url), controlUrlDigest: digest },
  });
  return count > 0;
}

/** The call's control URL in the clear, or null when Vapi has not sent one. */
export function revealControlUrl(
  cipher: SecretCipher,
  call: { organizationId: string; controlUrl: Uint8Array | null },
): string | null {
  return call.controlUrl ? cipher.decrypt(call.organizationId, call.controlUrl) : null;
}
