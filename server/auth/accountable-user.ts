import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import type { Prisma as P } from '../db/generated/prisma/client.ts';

/**
 * The person an actor answers to: the signed-in user, or the creator of the
 * API key used. Keys and invitations made by a key answer to that person too,
 * so none outlives their role.
 */
export async function accountableUserId(db: Prisma | P.TransactionClient, actor: Actor): Promise<string | null> {
  if (actor.userId) return actor.userId;
  if (!actor.apiKeyId) return null;
  const key = await db.apiKey.findUnique({ where: { id: actor.apiKeyId }, select: { createdById: true } });
  return key?.createdById ?? null;
}
