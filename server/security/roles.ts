export const ROLES = ['VIEWER', 'MEMBER', 'ADMIN', 'OWNER'] as const;
export type RoleName = (typeof ROLES)[number];

/** VIEWER reads; MEMBER builds and tests tools; ADMIN manages secrets, keys, members, assignments; OWNER everything. */
export function hasRole(actual: RoleName, required: RoleName): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required);
}

/** The weaker of two roles: what a key may do given its own role and its creator's. */
export function lowerRole(a: RoleName, b: RoleName): RoleName {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}
