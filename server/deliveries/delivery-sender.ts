/**
 * One attempt at one delivery: the request through the SSRF guard (the one
 * endpoint tools use), with a timeout and a bounded response read, and what
 * its answer means for the outbox.
 */
import type { CallPlatform, CallStatus, ResultDelivery } from '../db/generated/prisma/client.ts';
import { guardedFetch, GuardedFetchError } from '../security/guarded-fetch.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import { revealControlUrl } from './control-url.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';
import { vapiControlBody, webhookBody, type DeliveryEvent, type DeliveryPayload } from './delivery-payload.ts';
import { deliveryUrl } from './delivery-url.ts';
import { outcomeOfStatus } from './retry-policy.ts';
import { signWebhook } from './webhook-signature.ts';

/** Receivers answer with an acknowledgement; nothing in it is read beyond the status. */
const MAX_RESPONSE_BYTES = 16 * 1024;
const MAX_ERROR_LENGTH = 500;

export type SendOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; error: string }
  | { kind: 'failed'; error: string }
  | { kind: 'undelivered'; error: string }
  /** The instance is closing: the attempt does not count and another instance (or the next start) takes it. */
  | { kind: 'released' };

export interface DeliveryTarget extends ResultDelivery {
  call: {
    id: string;
    organizationId: string;
    callSid: string;
    platform: CallPlatform;
    status: CallStatus;
    /** Sealed (control-url.ts). */
    controlUrl: Uint8Array | null;
  } | null;
  execution: {
    assistant: { organizationId: string; callbackUrl: string | null; callbackSecret: Uint8Array | null } | null;
  };
}

export interface SenderDeps {
  policy: SsrfPolicy;
  cipher: SecretCipher;
  timeoutMs: number;
}

export const CALL_ENDED_ERROR = 'The call had ended; nothing was sent to it.';

function bounded(message: string): string {
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
}

export async function postDelivery(
  deps: SenderDeps,
  url: string,
  headers: Record<string, string>,
  body: string,
  closing: AbortSignal,
): Promise<SendOutcome> {
  try {
    const response = await guardedFetch(
      { url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body },
      {
        policy: deps.policy,
        signal: AbortSignal.any([closing, AbortSignal.timeout(deps.timeoutMs)]),
        maxResponseBytes: MAX_RESPONSE_BYTES,
        // A redirect is an answer other than 2xx: following it would send the signed body somewhere not configured.
        maxRedirects: 0,
      },
    );
    const outcome = outcomeOfStatus(response.status);
    if (outcome === 'delivered') return { kind: 'delivered' };
    return { kind: outcome, error: `The receiver answered HTTP ${response.status}` };
  } catch (error) {
    if (closing.aborted) return { kind: 'released' };
    if (!(error instanceof GuardedFetchError)) throw error;
    // A destination the guard refuses stays refused; timeouts, refused connections and cut-off answers may pass.
    const permanent = error.code === 'SSRF_BLOCKED' || error.code === 'INVALID_CONFIGURATION';
    return { kind: permanent ? 'failed' : 'retry', error: bounded(`${error.code}: ${error.message}`) };
  }
}

export async function sendDelivery(
  deps: SenderDeps,
  target: DeliveryTarget,
  closing: AbortSignal,
): Promise<SendOutcome> {
  const payload = target.payload as unknown as DeliveryPayload;
  const event = target.event as DeliveryEvent;
  if (target.channel === 'VAPI_CONTROL') {
    if (target.call?.status !== 'IN_PROGRESS') return { kind: 'undelivered', error: CALL_ENDED_ERROR };
    // Vapi sends it with the call's messages; it may arrive after the result, so its absence is retried.
    const controlUrl = deliveryUrl(revealControlUrl(deps.cipher, target.call));
    if (!controlUrl)
      return { kind: 'retry', error: 'Vapi has not sent the call’s control URL (call.monitor.controlUrl)' };
    return postDelivery(deps, controlUrl, {}, JSON.stringify(vapiControlBody(event, payload)), closing);
  }
  const assistant = target.execution.assistant;
  const url = deliveryUrl(assistant?.callbackUrl);
  if (!assistant || !url || !assistant.callbackSecret) {
    return { kind: 'failed', error: 'The assistant has no callback URL any more' };
  }
  const secret = deps.cipher.decrypt(assistant.organizationId, assistant.callbackSecret);
  const call = target.call && { id: target.call.id, externalId: target.call.callSid, platform: target.call.platform };
  const callEnded = target.callEnded || target.call?.status === 'ENDED';
  const body = webhookBody({ id: target.id, event, createdAt: target.createdAt, callEnded, call, payload });
  const headers = {
    'Switchboard-Delivery-Id': target.id,
    'Switchboard-Event': `execution.${event}`,
    'Switchboard-Signature': signWebhook(secret, body, Math.floor(Date.now() / 1000)),
  };
  return postDelivery(deps, url, headers, body, closing);
}
