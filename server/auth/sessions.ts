/**
 * Dashboard sessions: an opaque cookie token (only its hash is stored) plus a
 * per-session CSRF token that cookie-authenticated mutations must echo in the
 * `x-csrf-token` header.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Prisma } from '../db/database.ts';
import type { Session } from '../db/generated/prisma/client.ts';
import { AccessError } from '../errors.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from '../security/passwords.ts';
import { randomToken, sha256 } from '../security/tokens.ts';

export const SESSION_COOKIE = 'sb_session';

/** Failed logins allowed per email per window before answering "too many attempts". */
const LOGIN_ATTEMPTS = 10;
const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** Bounded by memory (emails are the caller's text); the least recently failing are forgotten first. */
const failures = new LRUCache<string, { count: number; since: number }>({
  maxSize: 4 * 1024 * 1024,
  sizeCalculation: (_, email) => approximateBytes(null, email),
  ttl: LOGIN_WINDOW_MS,
});
/** Unknown emails still pay for one scrypt, so response time does not reveal which accounts exist. */
let dummyHash: Promise<string> | null = null;

function throttle(email: string): void {
  const entry = failures.get(email);
  if (entry && Date.now() - entry.since < LOGIN_WINDOW_MS && entry.count >= LOGIN_ATTEMPTS) {
    throw new AccessError('UNAUTHENTICATED', 'too many failed login attempts; try again later');
  }
}

function recordFailure(email: string): void {
  const entry = failures.get(email);
  if (!entry || Date.now() - entry.since >= LOGIN_WINDOW_MS) failures.set(email, { count: 1, since: Date.now() });
  else entry.count += 1;
}

export async function login(
  prisma: Prisma,
  input: { email: string; password: string; organizationSlug?: string | null },
  ttlHours: number,
): Promise<{ token: string; session: Session }> {
  const email = input.email.trim().toLowerCase();
  throttle(email);
  const user = await prisma.user.findUnique({
    where: { email },
    include: { memberships: { include: { organization: true }, orderBy: { createdAt: 'asc' } } },
  });
  dummyHash ??= hashPassword(randomToken(16));
  const checkedPassword = input.password.slice(0, MAX_PASSWORD_LENGTH);
  const valid = (await verifyPassword(checkedPassword, user?.passwordHash ?? (await dummyHash))) && user !== null;
  const membership = user?.memberships.find(
    (candidate) => !input.organizationSlug || candidate.organization.slug === input.organizationSlug,
  );
  if (!user || !valid || !membership) {
    recordFailure(email);
    throw new AccessError('UNAUTHENTICATED', 'invalid email or password');
  }
  failures.delete(email);
  const token = randomToken();
  const session = await prisma.session.create({
    data: {
      tokenHash: sha256(token),
      csrfToken: randomToken(24),
      userId: user.id,
      organizationId: membership.organizationId,
      expiresAt: new Date(Date.now() + ttlHours * 3600 * 1000),
    },
  });
  return { token, session };
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
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return null;
}
