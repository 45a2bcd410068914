/**
 * Organization members. ADMINs manage members; only an OWNER grants or
 * removes OWNER, and the last OWNER cannot be demoted or removed.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { forgetApiKeysCreatedBy } from '../auth/api-key-cache.ts';
import type { Prisma } from '../db/database.ts';
import type { Membership } from '../db/generated/prisma/client.ts';
import { isUniqueViolation, isUuid } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../security/passwords.ts';
import { hasRole, type RoleName } from '../security/roles.ts';

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

async function assertNotLastOwner(prisma: Prisma, membership: Membership): Promise<void> {
  if (membership.role !== 'OWNER') return;
  const owners = await prisma.membership.count({ where: { organizationId: membership.organizationId, role: 'OWNER' } });
  if (owners <= 1) throw new ConflictError('an organization needs at least one OWNER', 'role');
}

export async function updateMemberRole(prisma: Prisma, actor: Actor, id: string, role: RoleName): Promise<Membership> {
  const membership = await findMembership(prisma, actor, id);
  assertMayGrant(actor, role);
  assertMayGrant(actor, membership.role as RoleName);
  if (role !== 'OWNER') await assertNotLastOwner(prisma, membership);
  const result = await prisma.$transaction(async (tx) => {
    const updated = await tx.membership.update({ where: { id: membership.id }, data: { role } });
    await recordAudit(tx, actor, {
      action: 'member.updateRole',
      entityType: 'Membership',
      entityId: membership.id,
      before: { role: membership.role },
      after: { role },
    });
    return updated;
  });
  forgetApiKeysCreatedBy(prisma, membership.userId);
  return result;
}

export async function removeMember(prisma: Prisma, actor: Actor, id: string): Promise<Membership> {
  const membership = await findMembership(prisma, actor, id);
  assertMayGrant(actor, membership.role as RoleName);
  await assertNotLastOwner(prisma, membership);
  await prisma.$transaction(async (tx) => {
    await tx.membership.delete({ where: { id: membership.id } });
    await tx.session.deleteMany({ where: { userId: membership.userId, organizationId: membership.organizationId } });
    await recordAudit(tx, actor, {
      action: 'member.remove',
      entityType: 'Membership',
      entityId: membership.id,
      before: { role: membership.role },
    });
  });
  forgetApiKeysCreatedBy(prisma, membership.userId);
  return membership;
}
