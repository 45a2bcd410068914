/**
 * Organizations people make themselves: anyone signed in creates one (and is
 * its OWNER), ADMINs rename it, members leave it. The last OWNER cannot leave,
 * and nobody leaves their only organization (an account without one could not
 * sign in again).
 */
import { randomBytes } from 'node:crypto';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { forgetApiKeysCreatedBy } from '../auth/api-key-cache.ts';
import type { Prisma } from '../db/database.ts';
import type { Organization, Prisma as P } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';

export const ORGANIZATION_NAME_MAX = 100;
/** Memberships one account may hold: bounds what one sign-up can create. */
export const MAX_MEMBERSHIPS_PER_USER = 50;
const SLUG_BASE_MAX = 40;

/** The trimmed name, or a ValidationError on `field`. */
export function checkOrganizationName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > ORGANIZATION_NAME_MAX) {
    throw new ValidationError([{ field, message: `must be 1-${ORGANIZATION_NAME_MAX} characters` }]);
  }
  return trimmed;
}

/** A unique slug from the name: its letters and digits, and a random suffix so two "Acme"s never collide. */
function slugFor(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_BASE_MAX);
  return `${base || 'org'}-${randomBytes(3).toString('hex')}`;
}

/** Creates an organization with `userId` as its OWNER, inside the caller's transaction. */
export async function createOwnedOrganization(
  tx: P.TransactionClient,
  userId: string,
  name: string,
): Promise<Organization> {
  const organization = await tx.organization.create({ data: { name, slug: slugFor(name) } });
  await tx.membership.create({ data: { userId, organizationId: organization.id, role: 'OWNER' } });
  await recordAudit(
    tx,
    { organizationId: organization.id, role: 'OWNER', userId, apiKeyId: null },
    { action: 'organization.create', entityType: 'Organization', entityId: organization.id, after: { name } },
  );
  return organization;
}

export async function createOrganization(prisma: Prisma, userId: string, input: { name: string }) {
  const name = checkOrganizationName(input.name);
  const held = await prisma.membership.count({ where: { userId } });
  if (held >= MAX_MEMBERSHIPS_PER_USER) {
    throw new ValidationError([
      { field: 'name', message: `an account can belong to at most ${MAX_MEMBERSHIPS_PER_USER} organizations` },
    ]);
  }
  return prisma.$transaction((tx) => createOwnedOrganization(tx, userId, name));
}

export async function renameOrganization(prisma: Prisma, actor: Actor, input: { name: string }): Promise<Organization> {
  const name = checkOrganizationName(input.name);
  return prisma.$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: actor.organizationId } });
    const renamed = await tx.organization.update({ where: { id: actor.organizationId }, data: { name } });
    await recordAudit(tx, actor, {
      action: 'organization.rename',
      entityType: 'Organization',
      entityId: actor.organizationId,
      before: { name: before.name },
      after: { name },
    });
    return renamed;
  });
}

/**
 * The user leaves `organizationId`. Their sessions there move to their oldest
 * remaining organization, so the browser they left from stays signed in.
 * Returns that organization's id.
 */
export async function leaveOrganization(prisma: Prisma, userId: string, organizationId: string): Promise<string> {
  if (!isUuid(organizationId)) throw new NotFoundError('Organization');
  const next = await prisma.$transaction(async (tx) => {
    // The organization's OWNER rows and the user's own, locked in id order: two OWNERs leaving at once serialise.
    await tx.$queryRaw`
      SELECT "id" FROM "memberships"
      WHERE "organization_id" = ${organizationId}::uuid AND ("role" = 'OWNER' OR "user_id" = ${userId}::uuid)
      ORDER BY "id" FOR UPDATE`;
    const membership = await tx.membership.findUnique({
      where: { userId_organizationId: { userId, organizationId } },
    });
    if (!membership) throw new NotFoundError('Organization');
    if (membership.role === 'OWNER') {
      const owners = await tx.membership.count({ where: { organizationId, role: 'OWNER' } });
      if (owners <= 1) {
        throw new ConflictError('you are the last OWNER: make another member OWNER before leaving', 'organizationId');
      }
    }
    const other = await tx.membership.findFirst({
      where: { userId, organizationId: { not: organizationId } },
      orderBy: { createdAt: 'asc' },
    });
    if (!other) {
      throw new ConflictError(
        'this is your only organization: create or join another before leaving it',
        'organizationId',
      );
    }
    await tx.membership.delete({ where: { id: membership.id } });
    await tx.session.updateMany({ where: { userId, organizationId }, data: { organizationId: other.organizationId } });
    await recordAudit(
      tx,
      { organizationId, role: membership.role, userId, apiKeyId: null },
      { action: 'member.leave', entityType: 'Membership', entityId: membership.id, before: { role: membership.role } },
    );
    return other.organizationId;
  });
  forgetApiKeysCreatedBy(prisma, userId);
  return next;
}
