/**
 * An assistant's callback webhook: the URL results and progress are POSTed to
 * and the secret they are signed with (encrypted at rest, shown only when made).
 */
import type { Actor } from '../actor.ts';
import { findAssistant } from '../assistants/assistant-service.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Assistant } from '../db/generated/prisma/client.ts';
import { ValidationError } from '../errors.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import { deliveryUrl, MAX_DELIVERY_URL_LENGTH } from './delivery-url.ts';
import { newCallbackSecret } from './webhook-signature.ts';

export interface CallbackDeps {
  prisma: Prisma;
  cipher: SecretCipher;
}

export interface CallbackSettings {
  assistant: Assistant;
  /** The signing secret when this call created one (first URL, or a rotation); null when it was kept or removed. */
  secret: string | null;
}

/** Sets (or with null removes, secret included) the callback URL; the first URL gets a new secret. */
export async function setAssistantCallback(
  deps: CallbackDeps,
  actor: Actor,
  assistantId: string,
  url: string | null,
): Promise<CallbackSettings> {
  const current = await findAssistant(deps.prisma, actor, assistantId);
  const callbackUrl = url === null ? null : deliveryUrl(url.trim());
  if (url !== null && callbackUrl === null) {
    throw new ValidationError([
      {
        field: 'url',
        message: `must be an http(s) URL without credentials, at most ${MAX_DELIVERY_URL_LENGTH} characters`,
      },
    ]);
  }
  const secret = callbackUrl !== null && !current.callbackSecret ? newCallbackSecret() : null;
  const assistant = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.assistant.update({
      where: { id: current.id },
      data: {
        callbackUrl,
        ...(callbackUrl === null && { callbackSecret: null }),
        ...(secret !== null && { callbackSecret: deps.cipher.encrypt(current.organizationId, secret) }),
      },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.setCallback',
      entityType: 'Assistant',
      entityId: current.id,
      before: { callbackUrl: current.callbackUrl },
      after: { callbackUrl, callbackSecret: secret !== null ? 'created' : callbackUrl === null ? 'none' : 'kept' },
    });
    return updated;
  });
  return { assistant, secret };
}

/** A new secret; deliveries signed from now on use it, including retries of earlier ones. */
export async function rotateAssistantCallbackSecret(
  deps: CallbackDeps,
  actor: Actor,
  assistantId: string,
): Promise<CallbackSettings & { secret: string }> {
  const current = await findAssistant(deps.prisma, actor, assistantId);
  if (!current.callbackUrl) {
    throw new ValidationError([{ field: 'assistantId', message: 'set a callback URL first (setAssistantCallback)' }]);
  }
  const secret = newCallbackSecret();
  const assistant = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.assistant.update({
      where: { id: current.id },
      data: { callbackSecret: deps.cipher.encrypt(current.organizationId, secret) },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.rotateCallbackSecret',
      entityType: 'Assistant',
      entityId: current.id,
      before: { callbackSecret: current.callbackSecret ? 'set' : 'none' },
      after: { callbackSecret: 'rotated' },
    });
    return updated;
  });
  return { assistant, secret };
}
