/**
 * A short in-process memo of API key lookups: a voice runtime sends its key
 * with every tool call, and reading it back each time costs a round trip on
 * the hot path. Revoking a key here forgets it at once; another instance sees
 * the revocation within TTL_MS.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { Prisma } from '../db/database.ts';
import type { ApiKey } from '../db/generated/prisma/client.ts';

const TTL_MS = 5_000;
/** Memory the memo may take per database client. */
const MEMO_BYTES = 8 * 1024 * 1024;

interface Entry {
  apiKey: ApiKey;
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

/** The active key with this hash, or null (unknown and revoked keys are never remembered). */
export async function findActiveApiKey(prisma: Prisma, keyHash: string, now = Date.now()): Promise<ApiKey | null> {
  const memo = memoOf(prisma);
  const cached = memo.get(keyHash);
  if (cached && cached.expiresAt > now) return cached.apiKey;
  memo.delete(keyHash);
  const apiKey = await prisma.apiKey.findUnique({ where: { keyHash } });
  if (!apiKey || apiKey.revokedAt) return null;
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
