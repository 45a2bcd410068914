/**
 * One way to turn credentials into a viewer, used by HTTP requests, graphql-ws
 * connections and the REST/MCP adapters alike.
 */
import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import { AccessError } from '../errors.ts';
import { findActiveApiKey, rememberLastUsed } from './api-key-cache.ts';
import { lowerRole, type RoleName } from '../security/roles.ts';
import { API_KEY_PREFIX, apiKeyParts, sha256 } from '../security/tokens.ts';
import { readCookie, SESSION_COOKIE } from './sessions.ts';
import { recordRevokedKeyUse } from './revoked-key-use.ts';

export interface Viewer {
  actor: Actor;
  user: { id: string; email: string; name: string } | null;
  via: 'session' | 'apiKey';
  sessionId: string | null;
  csrfToken: string | null;
}

export interface Credentials {
  authorization?: string | null;
  cookie?: string | null;
  apiKey?: string | null;
}

/** Writing last-used time on every request would turn reads into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

async function viewerFromApiKey(prisma: Prisma, key: string): Promise<Viewer> {
  if (!key.startsWith(API_KEY_PREFIX) || key.length > 200) throw new AccessError('UNAUTHENTICATED', 'invalid API key');
  const { hash } = apiKeyParts(key);
  const apiKey = await findActiveApiKey(prisma, hash);
  if (!apiKey) {
    await recordRevokedKeyUse(prisma, hash);
    throw new AccessError('UNAUTHENTICATED', 'invalid or revoked API key');
  }
  if (apiKey.expiresAt && apiKey.expiresAt.getTime() <= Date.now())
    throw new AccessError('UNAUTHENTICATED', 'this API key has expired');
  if (!apiKey.creatorRole)
    throw new AccessError('UNAUTHENTICATED', 'the person who created this API key is no longer a member');
  if (!apiKey.lastUsedAt || Date.now() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    const at = new Date();
    await prisma.apiKey.update({ where: { id: apiKey.id }, data: { lastUsedAt: at } });
    rememberLastUsed(prisma, hash, at);
  }
  return {
    actor: {
      organizationId: apiKey.organizationId,
      role: lowerRole(apiKey.role as RoleName, apiKey.creatorRole),
      userId: null,
      apiKeyId: apiKey.id,
    },
    user: null,
    via: 'apiKey',
    sessionId: null,
    csrfToken: null,
  };
}

async function viewerFromSession(prisma: Prisma, token: string): Promise<Viewer | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
  if (!session || session.expiresAt.getTime() < Date.now()) return null;
  const membership = await prisma.membership.findUnique({
    where: { userId_organizationId: { userId: session.userId, organizationId: session.organizationId } },
  });
  if (!membership) return null;
  return {
    actor: {
      organizationId: session.organizationId,
      role: membership.role as RoleName,
      userId: session.userId,
      apiKeyId: null,
    },
    user: { id: session.user.id, email: session.user.email, name: session.user.name },
    via: 'session',
    sessionId: session.id,
    csrfToken: session.csrfToken,
  };
}

/**
 * Bearer API keys win over cookies. Presented-but-invalid API keys are an
 * error (never a silent fallback to anonymous); a stale cookie is just "no viewer".
 */
export async function resolveViewer(prisma: Prisma, credentials: Credentials): Promise<Viewer | null> {
  const bearer = credentials.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const key = credentials.apiKey ?? bearer;
  if (credentials.authorization && !bearer)
    throw new AccessError('UNAUTHENTICATED', 'Authorization must be "Bearer <api key>"');
  if (key) return viewerFromApiKey(prisma, key);
  const token = readCookie(credentials.cookie, SESSION_COOKIE);
  return token ? viewerFromSession(prisma, token) : null;
}

export function sessionTokenHash(token: string): string {
  return sha256(token);
}

/**
 * Whether `credentials` still resolve to exactly `viewer` (same organization,
 * role, key or session): what a long-lived subscription re-checks, so a revoked
 * key, an ended session, a removed member or a changed role stops it. Failures
 * other than refused credentials (the database being away) are thrown, not
 * taken as a revocation.
 */
export async function stillViewer(prisma: Prisma, credentials: Credentials, viewer: Viewer): Promise<boolean> {
  let current: Viewer | null;
  try {
    current = await resolveViewer(prisma, credentials);
  } catch (error) {
    if (error instanceof AccessError) return false;
    throw error;
  }
  return (
    current !== null &&
    current.via === viewer.via &&
    current.actor.organizationId === viewer.actor.organizationId &&
    current.actor.role === viewer.actor.role &&
    current.actor.apiKeyId === viewer.actor.apiKeyId &&
    current.actor.userId === viewer.actor.userId &&
    current.sessionId === viewer.sessionId
  );
}
