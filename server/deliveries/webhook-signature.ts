/**
 * `Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` — the
 * timestamp is signed with the body so a captured request cannot be replayed later with a new time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../security/tokens.ts';

export const CALLBACK_SECRET_PREFIX = 'whsec_';
/** How far a receiver should accept the signed time from its own clock (what `verifyWebhookSignature` uses). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export function newCallbackSecret(): string {
  return `${CALLBACK_SECRET_PREFIX}${randomToken(32)}`;
}

function digest(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

export function signWebhook(secret: string, rawBody: string, timestamp: number): string {
  return `t=${timestamp},v1=${digest(secret, timestamp, rawBody)}`;
}

/** What a receiver does (the README shows the same in a few lines). */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  header: string | null,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const match = header?.match(/^t=(\d{1,12}),v1=([0-9a-f]{64})$/);
  if (!match?.[1] || !match[2]) return false;
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(digest(secret, timestamp, rawBody), 'hex');
  const given = Buffer.from(match[2], 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
