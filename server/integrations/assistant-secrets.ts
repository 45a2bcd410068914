/**
 * How voice platforms prove they speak for an assistant: a per-assistant
 * server secret (Vapi's bearer credential or `X-Vapi-Secret`; any platform
 * that can send a header), and for Retell its own `x-retell-signature`
 * (HMAC-SHA256 of raw body + timestamp, keyed with the Retell API key).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { findAssistant } from '../assistants/assistant-service.ts';
import type { Prisma } from '../db/database.ts';
import type { Assistant } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { ValidationError } from '../errors.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import { randomToken, sha256 } from '../security/tokens.ts';

export const SERVER_SECRET_PREFIX = 'sbs_';
/** Retell's documented tolerance for the signature timestamp. */
export const RETELL_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;
const RETELL_KEY_MAX_LENGTH = 512;

export async function setAssistantServerSecret(
  deps: { prisma: Prisma; cipher: SecretCipher },
  actor: Actor,
  assistantId: string,
): Promise<{ assistant: Assistant; secret: string }> {
  const current = await findAssistant(deps.prisma, actor, assistantId);
  const secret = `${SERVER_SECRET_PREFIX}${randomToken(30)}`;
  const assistant = await deps.prisma.$transaction(async (tx) => {
    const updated = await tx.assistant.update({
      where: { id: current.id },
      // Sealed as well: Vapi's HMAC and OAuth2 credentials are keyed with it (vapi-credentials.ts).
      data: {
        serverSecretHash: sha256(secret),
        serverSecretSealed: deps.cipher.encrypt(current.organizationId, secret),
      },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.setServerSecret',
      entityType: 'Assistant',
      entityId: current.id,
      before: { serverSecret: current.serverSecretHash ? 'set' : 'none' },
      after: { serverSecret: 'rotated' },
    });
    return updated;
  });
  return { assistant, secret };
}

/** Null removes the key (and with it signature verification). */
export async function setAssistantRetellKey(
  deps: { prisma: Prisma; cipher: SecretCipher },
  actor: Actor,
  assistantId: string,
  apiKey: string | null,
): Promise<Assistant> {
  const current = await findAssistant(deps.prisma, actor, assistantId);
  if (apiKey !== null && (apiKey.trim() === '' || apiKey.length > RETELL_KEY_MAX_LENGTH)) {
    throw new ValidationError([{ field: 'apiKey', message: `must be 1-${RETELL_KEY_MAX_LENGTH} characters` }]);
  }
  return deps.prisma.$transaction(async (tx) => {
    const updated = await tx.assistant.update({
      where: { id: current.id },
      data: { retellApiKey: apiKey === null ? null : deps.cipher.encrypt(current.organizationId, apiKey.trim()) },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.setRetellKey',
      entityType: 'Assistant',
      entityId: current.id,
      before: { retellKey: current.retellApiKey ? 'set' : 'none' },
      after: { retellKey: apiKey === null ? 'none' : 'set' },
    });
    return updated;
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The secret the request presents: `Authorization: Bearer …` or `X-Vapi-Secret`. */
export function presentedSecret(headers: IncomingHttpHeaders): string | null {
  const bearer = header(headers, 'authorization')
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  return bearer || header(headers, 'x-vapi-secret')?.trim() || null;
}

export function secretMatches(assistant: Pick<Assistant, 'serverSecretHash'>, secret: string | null): boolean {
  if (!assistant.serverSecretHash || !secret || secret.length > 200) return false;
  return sameHash(sha256(secret), assistant.serverSecretHash);
}

export async function loadAssistant(prisma: Prisma, assistantId: string): Promise<Assistant | null> {
  return isUuid(assistantId) ? prisma.assistant.findUnique({ where: { id: assistantId } }) : null;
}

export function retellSignature(rawBody: string, apiKey: string, timestampMs: number): string {
  const digest = createHmac('sha256', apiKey)
    .update(rawBody + String(timestampMs))
    .digest('hex');
  return `v=${timestampMs},d=${digest}`;
}

/**
 * The signature's digest (lower case) when `signature` is Retell's for `rawBody` within the tolerance, else
 * null. The digest is accepted in either case, as retell-sdk's `verify()` does.
 */
export function verifiedRetellDigest(
  rawBody: string,
  apiKey: string,
  signature: string | null,
  now = Date.now(),
): string | null {
  const match = signature?.match(/^v=(\d{1,16}),d=([0-9a-fA-F]{64})$/);
  if (!match?.[1] || !match[2]) return null;
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > RETELL_SIGNATURE_TOLERANCE_MS) return null;
  const expected = createHmac('sha256', apiKey)
    .update(rawBody + match[1])
    .digest('hex');
  const digest = match[2].toLowerCase();
  return sameHash(expected, digest) ? digest : null;
}
