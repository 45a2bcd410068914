/**
 * The viewer's role in any organization, not only the one it is signed in to:
 * what a field of an object of another organization (reached through
 * memberships) must be authorized against.
 */
import type { Prisma } from '../db/database.ts';
import type { RoleName } from '../security/roles.ts';
import type { Viewer } from './viewer.ts';

export type OrganizationRoleOf = (organizationId: string) => Promise<RoleName | null>;

/**
 * One lookup per organization per request: the current organization answers
 * from the viewer itself; another organization from the user's membership
 * there (API keys belong to one organization and reach no other).
 */
export function organizationRoles(prisma: Prisma, viewer: Viewer | null): OrganizationRoleOf {
  const known = new Map<string, Promise<RoleName | null>>();
  return (organizationId) => {
    if (!viewer) return Promise.resolve(null);
    if (organizationId === viewer.actor.organizationId) return Promise.resolve(viewer.actor.role);
    const userId = viewer.via === 'session' ? viewer.actor.userId : null;
    if (!userId) return Promise.resolve(null);
    let role = known.get(organizationId);
    if (!role) {
      role = prisma.membership
        .findUnique({ where: { userId_organizationId: { userId, organizationId } }, select: { role: true } })
        .then((membership) => (membership ? (membership.role as RoleName) : null));
      known.set(organizationId, role);
    }
    return role;
  };
}
