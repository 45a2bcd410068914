import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findActiveApiKey, forgetApiKey } from '../../server/auth/api-key-cache.ts';
import { apiKeyParts } from '../../server/security/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let db: TestDatabase;
let org: TestOrganization;

beforeAll(async () => {
  db = await createTestDatabase();
  org = await createOrganization(db.database.prisma, 'Keys');
});
afterAll(async () => {
  await db?.drop();
});

describe('API key lookups', () => {
  it('are remembered for at most 5 s: a revocation made elsewhere is seen once that passes', async () => {
    const prisma = db.database.prisma;
    const { hash } = apiKeyParts(org.keys.MEMBER);
    const now = Date.now();
    const key = await findActiveApiKey(prisma, hash, now);
    expect(key?.role).toBe('MEMBER');
    // Another instance revokes it: this one keeps the memo briefly, then reads the revocation.
    await prisma.apiKey.update({ where: { id: key!.id }, data: { revokedAt: new Date() } });
    expect(await findActiveApiKey(prisma, hash, now + 1_000)).not.toBeNull();
    expect(await findActiveApiKey(prisma, hash, now + 5_001)).toBeNull();
  });

  it('are forgotten at once when revoked in this process', async () => {
    const prisma = db.database.prisma;
    const { hash } = apiKeyParts(org.keys.ADMIN);
    const key = await findActiveApiKey(prisma, hash);
    expect(key).not.toBeNull();
    await prisma.apiKey.update({ where: { id: key!.id }, data: { revokedAt: new Date() } });
    forgetApiKey(prisma, key!.id);
    expect(await findActiveApiKey(prisma, hash)).toBeNull();
  });

  it("carry their creator's role, re-read after the same 5 s when it changes elsewhere", async () => {
    const prisma = db.database.prisma;
    const { hash } = apiKeyParts(org.keys.VIEWER);
    const now = Date.now();
    expect((await findActiveApiKey(prisma, hash, now))?.creatorRole).toBe('VIEWER');
    await prisma.membership.deleteMany({ where: { userId: org.users.VIEWER.id, organizationId: org.id } });
    expect((await findActiveApiKey(prisma, hash, now + 1_000))?.creatorRole).toBe('VIEWER');
    expect((await findActiveApiKey(prisma, hash, now + 5_001))?.creatorRole).toBeNull();
  });
});
