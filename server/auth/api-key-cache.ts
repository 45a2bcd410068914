/**
 * A short in-process memo of API key lookups (with their creator's current
 * role): a voice runtime sends its key with every tool call, and reading it
 * back each time costs round trips on the hot path. Revoking a key, or
 * changing or removing its creator's membership, here forgets it at once;
 * another instance sees the change within TTL_MS.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Prisma } from '../db/database.ts';
import type { ApiKey } from '../db/generated/prisma/client.ts';
import type { RoleName } from '../security/roles.ts';

/** A key that is not revoked, with its creator's role in the key's organization (null: no creator, or not a member). */
export type ActiveApiKey = ApiKey & { creatorRole: RoleName | null };

const TTL_MS = 5_000;
/** Memory the memo may take per database client. */
const MEMO_BYTES = 8 * 1024 * 1024;

interface Entry {
  apiKey: ActiveApiKey;
  expiresAt: number;
}

/** One memo per database client, so two apps in one process (tests) never share entries. */
const memos = new WeakMap<Prisma, LRUCache<string, Entry>>();

function memoOf(prisma: Prisma): LRUCache<string, Entry> {
  let memo = memos.get(prisma);
  if (!memo) {
    memo = new LRUCache<string, Entry>({
      maxSize: MEMO_BYTES,
      sizeCalculation: (entry, key) => approximateBytes(entry.apiKey, key),
    });
    memos.set(prisma, memo);
  }
  return memo;
}

/** The unrevoked key with this hash, or null (unknown and revoked keys are never remembered). */
export async function findActiveApiKey(
  prisma: Prisma,
  keyHash: string,
  now = Date.now(),
): Promise<ActiveApiKey | null> {
  const memo = memoOf(prisma);
  const cached = memo.get(keyHash);
  if (cached && cached.expiresAt > now) return cached.apiKey;
  memo.delete(keyHash);
  const row = await prisma.apiKey.findUnique({ where: { keyHash } });
  if (!row || row.revokedAt) return null;
  const membership = row.createdById
    ? await prisma.membership.findUnique({
        where: { userId_organizationId: { userId: row.createdById, organizationId: row.organizationId } },
        select: { role: true },
      })
    : null;
  const apiKey: ActiveApiKey = { ...row, creatorRole: (membership?.role as RoleName | undefined) ?? null };
  memo.set(keyHash, { apiKey, expiresAt: now + TTL_MS });
  return apiKey;
}

/** Records a last-used time in the memo too, so the next hits do not write it again. */
export function rememberLastUsed(prisma: Prisma, keyHash: string, at: Date): void {
  const cached = memoOf(prisma).get(keyHash);
  if (cached) cached.apiKey = { ...cached.apiKey, lastUsedAt: at };
}

/** Forgets a key (on revocation), so this instance refuses it from the next request on. */
export function forgetApiKey(prisma: Prisma, id: string): void {
  const memo = memoOf(prisma);
  for (const [hash, entry] of [...memo.entries()]) if (entry.apiKey.id === id) memo.delete(hash);
}

/** Forgets every key a user created (their role changed or they left), so the next request re-reads it. */
export function forgetApiKeysCreatedBy(prisma: Prisma, userId: string): void {
  const memo = memoOf(prisma);
  for (const [hash, entry] of memo) if (entry.apiKey.createdById === userId) memo.delete(hash);
}
