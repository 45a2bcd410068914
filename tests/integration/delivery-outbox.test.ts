/**
 * The outbox's claim statement on a real database: fair across organizations,
 * exclusive between concurrent claimers, and a lapsed claim (its instance died)
 * is claimed again with the attempt counted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { claimDue, finishClaim } from '../../server/deliveries/delivery-outbox.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createOrganization } from '../helpers/fixtures.ts';

const LEASE_MS = 60_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function dueDeliveries(name: string, count: number, ageMs: number): Promise<string[]> {
  const { prisma } = db.database;
  const org = await createOrganization(prisma, name);
  const execution = await prisma.toolExecution.create({
    data: {
      organizationId: org.id,
      toolName: 'lookup',
      toolVersion: 1,
      inputParameters: {},
      status: 'SUCCESS',
      triggerContext: 'call',
    },
  });
  const ids: string[] = [];
  for (let sequence = 1; sequence <= count; sequence += 1) {
    const row = await prisma.resultDelivery.create({
      data: {
        organizationId: org.id,
        executionId: execution.id,
        channel: 'WEBHOOK',
        event: 'progress',
        sequence,
        payload: {},
        nextAttemptAt: new Date(Date.now() - ageMs + sequence),
      },
    });
    ids.push(row.id);
  }
  return ids;
}

async function clear(): Promise<void> {
  await db.database.prisma.resultDelivery.deleteMany({});
}

describe('claiming due deliveries', () => {
  test("one organization's backlog does not push another's delivery out of the next claim", async () => {
    await clear();
    const backlog = await dueDeliveries('Busy', 30, 60_000);
    const [quiet] = await dueDeliveries('Quiet', 1, 1_000);
    const claims = await claimDue(db.database.sql, 8, LEASE_MS);
    expect(claims).toHaveLength(8);
    expect(claims.map((claim) => claim.id)).toContain(quiet);
    expect(claims.filter((claim) => backlog.includes(claim.id))).toHaveLength(7);
    expect(claims.every((claim) => claim.attempts === 1)).toBe(true);
  });

  test('concurrent claims never take the same delivery', async () => {
    await clear();
    const ids = await dueDeliveries('Many', 40, 10_000);
    const rounds = await Promise.all(Array.from({ length: 6 }, () => claimDue(db.database.sql, 10, LEASE_MS)));
    const claimed = rounds.flat().map((claim) => claim.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.every((id) => ids.includes(id))).toBe(true);
    const again = await claimDue(db.database.sql, 50, LEASE_MS);
    expect(new Set([...claimed, ...again.map((claim) => claim.id)])).toEqual(new Set(ids));
  });

  test("a lapsed claim is claimed again, and the first claimer's late finish changes nothing", async () => {
    await clear();
    const [id] = await dueDeliveries('Crashed', 1, 1_000);
    const [first] = await claimDue(db.database.sql, 1, LEASE_MS);
    expect(first).toEqual({ id, attempts: 1 });
    expect(await claimDue(db.database.sql, 1, LEASE_MS)).toEqual([]);
    // The instance holding it died: its lease runs out.
    await db.database.prisma.resultDelivery.update({
      where: { id },
      data: { nextAttemptAt: new Date(Date.now() - 1) },
    });
    const [second] = await claimDue(db.database.sql, 1, LEASE_MS);
    expect(second).toEqual({ id, attempts: 2 });
    await finishClaim(db.database.sql, first!, { status: 'FAILED', error: 'late' });
    expect(await db.database.prisma.resultDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'PENDING',
      attempts: 2,
    });
    await finishClaim(db.database.sql, second!, { status: 'DELIVERED', error: null });
    const row = await db.database.prisma.resultDelivery.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('DELIVERED');
    expect(row.deliveredAt).not.toBeNull();
  });
});
