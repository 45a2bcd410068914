/**
 * Vapi's other server credentials, both keyed with the assistant's server
 * secret (kept sealed beside its hash since it is needed here in the clear):
 *
 * - HMAC (Vapi's `HMACAuthenticationPlan` with its defaults): `x-signature` =
 *   hex HMAC-SHA256 over `{timestamp}.{body}`, `x-timestamp` in seconds or
 *   milliseconds, within five minutes; a `sha256=` prefix is accepted.
 * - OAuth2 client credentials (Vapi's `OAuth2AuthenticationPlan`): Vapi posts
 *   `grant_type=client_credentials` with the assistant id as client id and the
 *   server secret as client secret to `POST /v1/oauth/token` and sends the
 *   short-lived token it gets as `Authorization: Bearer`. Tokens are signed
 *   with a key derived from the secret, so rotating the secret revokes them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Assistant } from '../db/generated/prisma/client.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';

export const VAPI_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const ACCESS_TOKEN_PREFIX = 'sbat_';
const MAX_HEADER_LENGTH = 512;

function hmacHex(key: string | Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

function sameHex(expected: string, given: string): boolean {
  const left = Buffer.from(expected, 'hex');
  const right = Buffer.from(given.toLowerCase(), 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' && value.length <= MAX_HEADER_LENGTH ? value.trim() : null;
}

/** The assistant's server secret in the clear, when it was set since it is kept sealed. */
export function revealServerSecret(
  cipher: SecretCipher,
  assistant: Pick<Assistant, 'organizationId' | 'serverSecretSealed'>,
): string | null {
  return assistant.serverSecretSealed ? cipher.decrypt(assistant.organizationId, assistant.serverSecretSealed) : null;
}

/** The signature to send for `rawBody` at `timestamp` (seconds): what Vapi computes, for tests and clients. */
export function vapiHmacSignature(rawBody: string, secret: string, timestamp: number): string {
  return hmacHex(secret, `${timestamp}.${rawBody}`);
}

export function verifyVapiHmac(
  headers: IncomingHttpHeaders,
  rawBody: string,
  secret: string,
  now = Date.now(),
): boolean {
  const signature = header(headers, 'x-signature')?.replace(/^sha256=/i, '');
  const stamp = header(headers, 'x-timestamp');
  if (!signature || !stamp || !/^\d{1,16}$/.test(stamp) || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const value = Number(stamp);
  const stampMs = value > 1e12 ? value : value * 1000;
  if (Math.abs(now - stampMs) > VAPI_SIGNATURE_TOLERANCE_MS) return false;
  return sameHex(hmacHex(secret, `${stamp}.${rawBody}`), signature);
}

function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('switchboard vapi oauth2 access token').digest();
}

export function issueAccessToken(
  assistantId: string,
  secret: string,
  now = Date.now(),
): { access_token: string; token_type: 'Bearer'; expires_in: number } {
  const expires = Math.floor(now / 1000) + ACCESS_TOKEN_TTL_SECONDS;
  const body = `${assistantId}.${expires}`;
  return {
    access_token: `${ACCESS_TOKEN_PREFIX}${body}.${hmacHex(tokenKey(secret), body)}`,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}

export function isAccessToken(token: string): boolean {
  return token.startsWith(ACCESS_TOKEN_PREFIX);
}

export function verifyAccessToken(token: string, assistantId: string, secret: string, now = Date.now()): boolean {
  const match = token.match(/^sbat_([0-9a-f-]{36})\.(\d{1,12})\.([0-9a-f]{64})$/);
  if (!match || match[1] !== assistantId) return false;
  if (Number(match[2]) * 1000 <= now) return false;
  return sameHex(hmacHex(tokenKey(secret), `${match[1]}.${match[2]}`), match[3]!);
}
