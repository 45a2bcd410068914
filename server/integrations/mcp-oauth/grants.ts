/**
 * Authorization codes and tokens for the MCP resource: codes single use and
 * short-lived, access and refresh tokens opaque and random, every secret
 * stored only as its sha256. A token acts as its user with the lower of the
 * role granted at consent and the user's current role, re-read per request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Actor } from '../../actor.ts';
import { recordAudit } from '../../audit/audit-log.ts';
import type { Prisma } from '../../db/database.ts';
import type { OAuthToken } from '../../db/generated/prisma/client.ts';
import { lowerRole, type RoleName } from '../../security/roles.ts';
import { randomToken, sha256 } from '../../security/tokens.ts';
import { MCP_SCOPE } from './metadata.ts';

export const CODE_TTL_MS = 60_000;
export const ACCESS_TOKEN_TTL_MS = 3600_000;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;
const ACCESS_PREFIX = 'mcp_at_';
const REFRESH_PREFIX = 'mcp_rt_';
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export class GrantError extends Error {
  readonly error: 'invalid_grant' | 'invalid_request' | 'invalid_client' | 'invalid_target';

  constructor(error: 'invalid_grant' | 'invalid_request' | 'invalid_client' | 'invalid_target', message: string) {
    super(message);
    this.error = error;
  }
}

export function isOAuthAccessToken(token: string): boolean {
  return token.startsWith(ACCESS_PREFIX);
}

export function validChallenge(challenge: string): boolean {
  return CHALLENGE.test(challenge);
}

function s256(verifier: string): string {
  return Buffer.from(sha256(verifier), 'hex').toString('base64url');
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface Grant {
  clientId: string;
  userId: string;
  organizationId: string;
  assistantId: string;
  role: RoleName;
  resource: string;
  redirectUri: string;
  codeChallenge: string;
}

/** Spent codes are kept a while so a late replay still revokes what they issued; nothing is kept past that. */
const RETENTION_MS = 24 * 3600_000;

/** Run on every approval, so the tables stay bounded by recent use without a separate job. */
async function pruneExpired(prisma: Prisma): Promise<void> {
  const before = new Date(Date.now() - RETENTION_MS);
  await prisma.oAuthCode.deleteMany({ where: { expiresAt: { lt: before } } });
  await prisma.oAuthToken.deleteMany({ where: { refreshExpiresAt: { lt: before } } });
}

/** The approval is audited with the code, so every token in the organization traces back to a person's consent. */
export async function issueCode(prisma: Prisma, grant: Grant, clientName: string): Promise<string> {
  await pruneExpired(prisma);
  const code = randomToken();
  await prisma.$transaction(async (tx) => {
    await tx.oAuthCode.create({
      data: { ...grant, codeHash: sha256(code), expiresAt: new Date(Date.now() + CODE_TTL_MS) },
    });
    await recordAudit(
      tx,
      { organizationId: grant.organizationId, role: grant.role, userId: grant.userId, apiKeyId: null },
      {
        action: 'oauth.authorize',
        entityType: 'Assistant',
        entityId: grant.assistantId,
        after: { client: clientName, redirectUri: grant.redirectUri, role: grant.role },
      },
    );
  });
  return code;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

async function currentRole(prisma: Prisma, userId: string, organizationId: string): Promise<RoleName | null> {
  const membership = await prisma.membership.findUnique({
    where: { userId_organizationId: { userId, organizationId } },
  });
  return membership ? (membership.role as RoleName) : null;
}

/** Tokens for what `grant` (a code or the token being rotated) allowed, never above the user's `currentRole`. */
async function issueTokens(
  prisma: Prisma,
  familyId: string,
  grant: Pick<OAuthToken, 'clientId' | 'userId' | 'organizationId' | 'assistantId' | 'role' | 'resource'>,
  currentRole: RoleName,
): Promise<TokenResponse> {
  const accessToken = `${ACCESS_PREFIX}${randomToken()}`;
  const refreshToken = `${REFRESH_PREFIX}${randomToken()}`;
  const now = Date.now();
  await prisma.oAuthToken.create({
    data: {
      familyId,
      clientId: grant.clientId,
      userId: grant.userId,
      organizationId: grant.organizationId,
      assistantId: grant.assistantId,
      role: lowerRole(grant.role as RoleName, currentRole),
      resource: grant.resource,
      accessTokenHash: sha256(accessToken),
      refreshTokenHash: sha256(refreshToken),
      accessExpiresAt: new Date(now + ACCESS_TOKEN_TTL_MS),
      refreshExpiresAt: new Date(now + REFRESH_TOKEN_TTL_MS),
    },
  });
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_MS / 1000,
    refresh_token: refreshToken,
    scope: MCP_SCOPE,
  };
}

/** A replayed code or refresh token means one copy leaked: everything issued from that grant stops working. */
async function revokeFamily(prisma: Prisma, familyId: string): Promise<void> {
  await prisma.oAuthToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
}

export async function exchangeCode(
  prisma: Prisma,
  input: { clientId: string; code: string; codeVerifier: string; redirectUri: string | null; resource: string | null },
): Promise<TokenResponse> {
  const code = await prisma.oAuthCode.findUnique({
    where: { codeHash: sha256(input.code) },
    include: { client: true },
  });
  if (!code || code.client.clientId !== input.clientId)
    throw new GrantError('invalid_grant', 'unknown authorization code');
  // Spent before anything else is checked: a code is tried once, right or wrong.
  const spent = await prisma.oAuthCode.updateMany({
    where: { id: code.id, usedAt: null },
    data: { usedAt: new Date() },
  });
  if (spent.count === 0) {
    await revokeFamily(prisma, code.id);
    throw new GrantError('invalid_grant', 'the authorization code was already used');
  }
  if (code.expiresAt.getTime() <= Date.now())
    throw new GrantError('invalid_grant', 'the authorization code has expired');
  if (input.redirectUri !== null && input.redirectUri !== code.redirectUri)
    throw new GrantError('invalid_grant', 'redirect_uri differs from the authorization request');
  if (!VERIFIER.test(input.codeVerifier) || !sameText(s256(input.codeVerifier), code.codeChallenge))
    throw new GrantError('invalid_grant', 'code_verifier does not match the code_challenge');
  if (input.resource !== null && input.resource !== code.resource)
    throw new GrantError('invalid_target', 'resource differs from the authorization request');
  const role = await currentRole(prisma, code.userId, code.organizationId);
  if (!role) throw new GrantError('invalid_grant', 'the user is no longer a member of the organization');
  return issueTokens(prisma, code.id, code, role);
}

export async function refreshTokens(
  prisma: Prisma,
  input: { clientId: string; refreshToken: string; resource: string | null },
): Promise<TokenResponse> {
  const token = await prisma.oAuthToken.findUnique({
    where: { refreshTokenHash: sha256(input.refreshToken) },
    include: { client: true },
  });
  if (!token || token.client.clientId !== input.clientId)
    throw new GrantError('invalid_grant', 'unknown refresh token');
  if (token.refreshExpiresAt.getTime() <= Date.now())
    throw new GrantError('invalid_grant', 'the refresh token has expired');
  if (input.resource !== null && input.resource !== token.resource)
    throw new GrantError('invalid_target', 'resource differs from the original grant');
  // Rotation: the presented token is retired in the same step that checks it is still live.
  const retired = await prisma.oAuthToken.updateMany({
    where: { id: token.id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (retired.count === 0) {
    await revokeFamily(prisma, token.familyId);
    throw new GrantError('invalid_grant', 'the refresh token was already used or revoked');
  }
  const role = await currentRole(prisma, token.userId, token.organizationId);
  if (!role) throw new GrantError('invalid_grant', 'the user is no longer a member of the organization');
  return issueTokens(prisma, token.familyId, token, role);
}

/** The actor an access token stands for on `assistantId`'s MCP resource, or null (unknown, expired, revoked, other resource, no longer a member). */
export async function accessTokenActor(
  prisma: Prisma,
  accessToken: string,
  assistantId: string,
): Promise<Actor | null> {
  if (!isOAuthAccessToken(accessToken) || accessToken.length > 200) return null;
  const token = await prisma.oAuthToken.findUnique({ where: { accessTokenHash: sha256(accessToken) } });
  if (!token || token.revokedAt || token.accessExpiresAt.getTime() <= Date.now()) return null;
  if (token.assistantId !== assistantId) return null;
  const role = await currentRole(prisma, token.userId, token.organizationId);
  if (!role) return null;
  return {
    organizationId: token.organizationId,
    role: lowerRole(token.role as RoleName, role),
    userId: token.userId,
    apiKeyId: null,
  };
}
