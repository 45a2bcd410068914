/**
 * Organization members. ADMINs manage members; only an OWNER grants or
 * removes OWNER, and the last OWNER cannot be demoted or removed.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { forgetApiKeysCreatedBy } from '../auth/api-key-cache.ts';
import type { Prisma } from '../db/database.ts';
import type { Membership, Prisma as P } from '../db/generated/prisma/client.ts';
import { isUniqueViolation, isUuid } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../security/passwords.ts';
import { hasRole, lowerRole, type RoleName } from '../security/roles.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function assertMayGrant(actor: Actor, role: RoleName): void {
  if (role === 'OWNER' && actor.role !== 'OWNER')
    throw new AccessError('FORBIDDEN', 'only an OWNER can grant or change OWNER');
  if (!hasRole(actor.role, role)) throw new AccessError('FORBIDDEN', `you cannot grant the ${role} role`);
}

export async function addMember(
  prisma: Prisma,
  actor: Actor,
  input: { email: string; name?: string | null; role: RoleName; password?: string | null },
): Promise<Membership> {
  assertMayGrant(actor, input.role);
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new ValidationError([{ field: 'email', message: 'must be an email address' }]);
  let user = await prisma.user.findUnique({ where: { email } });
  if (!user) {
    const password = input.password ?? '';
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      throw new ValidationError([
        {
          field: 'password',
          message: `a new user needs a password of ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`,
        },
      ]);
    }
    user = await prisma.user.create({
      data: { email, name: input.name ?? '', passwordHash: await hashPassword(password) },
    });
  }
  try {
    return await prisma.$transaction(async (tx) => {
      const membership = await tx.membership.create({
        data: { userId: user.id, organizationId: actor.organizationId, role: input.role },
      });
      await recordAudit(tx, actor, {
        action: 'member.add',
        entityType: 'Membership',
        entityId: membership.id,
        after: { email, role: input.role },
      });
      return membership;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`${email} is already a member`, 'email');
    throw error;
  }
}

async function findMembership(prisma: Prisma, actor: Actor, id: string): Promise<Membership> {
  const membership = isUuid(id)
    ? await prisma.membership.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!membership) throw new NotFoundError('Member');
  return membership;
}

/** The user an actor answers to: the signed-in user, or the creator of the API key. */
async function accountableUserId(tx: P.TransactionClient, actor: Actor): Promise<string | null> {
  if (actor.userId) return actor.userId;
  if (!actor.apiKeyId) return null;
  const key = await tx.apiKey.findUnique({ where: { id: actor.apiKeyId }, select: { createdById: true } });
  return key?.createdById ?? null;
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
