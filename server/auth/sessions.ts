/**
 * Dashboard sessions: an opaque cookie token (only its hash is stored) plus a
 * per-session CSRF token that cookie-authenticated mutations must echo in the
 * `x-csrf-token` header.
 */
import type { Prisma } from '../db/database.ts';
import type { Prisma as P, Session } from '../db/generated/prisma/client.ts';
import { AccessError } from '../errors.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from '../security/passwords.ts';
import { randomToken, sha256 } from '../security/tokens.ts';
import { createLoginThrottle } from './login-throttle.ts';
import { recordLoginRefusal } from './login-events.ts';

export const SESSION_COOKIE = 'sb_session';

const throttle = createLoginThrottle();
/** Unknown emails still pay for one scrypt, so response time does not reveal which accounts exist. */
let dummyHash: Promise<string> | null = null;

/** Where a session was started from, shown in the user's session list. */
export interface SessionOrigin {
  clientAddress?: string | undefined;
  userAgent?: string | null | undefined;
}

const USER_AGENT_MAX_LENGTH = 200;

/** A new session for a user in one of their organizations: the cookie token (returned once) and the row. */
export async function startSession(
  prisma: Prisma | P.TransactionClient,
  userId: string,
  organizationId: string,
  ttlHours: number,
  origin: SessionOrigin = {},
): Promise<{ token: string; session: Session }> {
  const token = randomToken();
  const session = await prisma.session.create({
    data: {
      tokenHash: sha256(token),
      csrfToken: randomToken(24),
      userId,
      organizationId,
      expiresAt: new Date(Date.now() + ttlHours * 3600 * 1000),
      userAgent: origin.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      clientAddress: origin.clientAddress ?? null,
    },
  });
  return { token, session };
}

export async function login(
  prisma: Prisma,
  input: { email: string; password: string; organizationSlug?: string | null },
  ttlHours: number,
  clientAddress = 'unknown',
  userAgent: string | null = null,
): Promise<{ token: string; session: Session }> {
  const email = input.email.trim().toLowerCase();
  await throttle.check(email, clientAddress).catch(async (error: unknown) => {
    await recordLoginRefusal(prisma, 'LOGIN_THROTTLED', email, clientAddress);
    throw error;
  });
  const user = await prisma.user.findUnique({
    where: { email },
    include: { memberships: { include: { organization: true }, orderBy: { createdAt: 'asc' } } },
  });
  // A refusal (scrypt queue full) must not be kept as the dummy hash for good.
  dummyHash ??= hashPassword(randomToken(16)).catch((error: unknown) => {
    dummyHash = null;
    throw error;
  });
  const checkedPassword = input.password.slice(0, MAX_PASSWORD_LENGTH);
  const valid = (await verifyPassword(checkedPassword, user?.passwordHash ?? (await dummyHash))) && user !== null;
  const membership = user?.memberships.find(
    (candidate) => !input.organizationSlug || candidate.organization.slug === input.organizationSlug,
  );
  if (!user || !valid || !membership) {
    await throttle.recordFailure(email, clientAddress);
    await recordLoginRefusal(prisma, 'LOGIN_FAILED', email, clientAddress, user?.memberships ?? []);
    throw new AccessError('UNAUTHENTICATED', 'invalid email or password');
  }
  await throttle.recordSuccess(email);
  return startSession(prisma, user.id, membership.organizationId, ttlHours, { clientAddress, userAgent });
}

export async function logout(prisma: Prisma, sessionId: string): Promise<void> {
  await prisma.session.deleteMany({ where: { id: sessionId } });
}

export async function switchOrganization(
  prisma: Prisma,
  sessionId: string,
  userId: string,
  organizationId: string,
): Promise<boolean> {
  const membership = await prisma.membership.findFirst({ where: { userId, organizationId } });
  if (!membership) return false;
  await prisma.session.update({ where: { id: sessionId }, data: { organizationId } });
  return true;
}

export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(part.slice(index + 1).trim());
      } catch {
        // Not a value this server ever set: no session, as with a stale cookie.
        return null;
      }
    }
  }
  return null;
}
