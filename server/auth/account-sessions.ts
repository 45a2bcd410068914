/** A user's own dashboard sessions: listed so they can see where they are signed in, and ended one by one. */
import type { Prisma } from '../db/database.ts';
import type { Session } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { NotFoundError } from '../errors.ts';
import { recordAccountEvent } from './account-events.ts';

/** More than anyone has open; the oldest beyond it are not listed (they still expire). */
export const LISTED_SESSIONS_MAX = 100;

export function listSessions(prisma: Prisma, userId: string): Promise<Session[]> {
  return prisma.session.findMany({
    where: { userId, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: 'desc' },
    take: LISTED_SESSIONS_MAX,
  });
}

/** Ends one of the user's sessions; another user's session id behaves like one that does not exist. */
export async function revokeSession(prisma: Prisma, userId: string, id: string): Promise<Session> {
  const session = isUuid(id) ? await prisma.session.findFirst({ where: { id, userId } }) : null;
  if (!session) throw new NotFoundError('Session');
  await prisma.session.deleteMany({ where: { id, userId } });
  await recordAccountEvent(prisma, 'SESSION_REVOKED', userId, { type: 'user', id: userId });
  return session;
}
