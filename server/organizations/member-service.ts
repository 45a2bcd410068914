/**
 * Organization members. ADMINs manage members (new ones join by accepting an
 * invitation, see invitation-service.ts); only an OWNER grants or removes
 * OWNER, and the last OWNER cannot be demoted or removed.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { accountableUserId } from '../auth/accountable-user.ts';
import { forgetApiKeysCreatedBy } from '../auth/api-key-cache.ts';
import type { Prisma } from '../db/database.ts';
import type { Membership, Prisma as P } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hasRole, lowerRole, type RoleName } from '../security/roles.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** The address lower-cased and trimmed, or a ValidationError on `email`. */
export function normalizeEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new ValidationError([{ field: 'email', message: 'must be an email address' }]);
  return email;
}

export function assertMayGrant(actor: Actor, role: RoleName): void {
  if (role === 'OWNER' && actor.role !== 'OWNER')
    throw new AccessError('FORBIDDEN', 'only an OWNER can grant or change OWNER');
  if (!hasRole(actor.role, role)) throw new AccessError('FORBIDDEN', `you cannot grant the ${role} role`);
}

async function findMembership(prisma: Prisma, actor: Actor, id: string): Promise<Membership> {
  const membership = isUuid(id)
    ? await prisma.membership.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!membership) throw new NotFoundError('Member');
  return membership;
}

/**
 * Locks the organization's OWNER rows, the target's and the actor's own (in id
 * order, so two changes cannot deadlock), then re-reads them: two OWNERs
 * demoting or removing each other at once are serialised here, and the second
 * sees the first's outcome (one OWNER left, and no longer an OWNER itself).
 */
async function lockedChange(
  tx: P.TransactionClient,
  actor: Actor,
  id: string,
): Promise<{ membership: Membership; actor: Actor }> {
  const userId = await accountableUserId(tx, actor);
  await tx.$queryRaw`
    SELECT "id" FROM "memberships"
    WHERE "organization_id" = ${actor.organizationId}::uuid
      AND ("role" = 'OWNER' OR "id" = ${id}::uuid OR "user_id" = ${userId}::uuid)
    ORDER BY "id" FOR UPDATE`;
  const membership = await tx.membership.findFirst({ where: { id, organizationId: actor.organizationId } });
  if (!membership) throw new NotFoundError('Member');
  const own = userId
    ? await tx.membership.findUnique({
        where: { userId_organizationId: { userId, organizationId: actor.organizationId } },
      })
    : null;
  if (!own) throw new AccessError('FORBIDDEN', 'you are no longer a member of this organization');
  return { membership, actor: { ...actor, role: lowerRole(actor.role, own.role as RoleName) } };
}

async function assertNotLastOwner(tx: P.TransactionClient, membership: Membership): Promise<void> {
  if (membership.role !== 'OWNER') return;
  const owners = await tx.membership.count({ where: { organizationId: membership.organizationId, role: 'OWNER' } });
  if (owners <= 1) throw new ConflictError('an organization needs at least one OWNER', 'role');
}

export async function updateMemberRole(prisma: Prisma, actor: Actor, id: string, role: RoleName): Promise<Membership> {
  await findMembership(prisma, actor, id);
  const updated = await prisma.$transaction(async (tx) => {
    const locked = await lockedChange(tx, actor, id);
    const membership = locked.membership;
    assertMayGrant(locked.actor, role);
    assertMayGrant(locked.actor, membership.role as RoleName);
    if (role !== 'OWNER') await assertNotLastOwner(tx, membership);
    const changed = await tx.membership.update({ where: { id: membership.id }, data: { role } });
    await recordAudit(tx, actor, {
      action: 'member.updateRole',
      entityType: 'Membership',
      entityId: membership.id,
      before: { role: membership.role },
      after: { role },
    });
    return changed;
  });
  forgetApiKeysCreatedBy(prisma, updated.userId);
  return updated;
}

export async function removeMember(prisma: Prisma, actor: Actor, id: string): Promise<Membership> {
  await findMembership(prisma, actor, id);
  const removed = await prisma.$transaction(async (tx) => {
    const { membership, actor: current } = await lockedChange(tx, actor, id);
    assertMayGrant(current, membership.role as RoleName);
    await assertNotLastOwner(tx, membership);
    await tx.membership.delete({ where: { id: membership.id } });
    await tx.session.deleteMany({ where: { userId: membership.userId, organizationId: membership.organizationId } });
    await recordAudit(tx, actor, {
      action: 'member.remove',
      entityType: 'Membership',
      entityId: membership.id,
      before: { role: membership.role },
    });
    return membership;
  });
  forgetApiKeysCreatedBy(prisma, removed.userId);
  return removed;
}
