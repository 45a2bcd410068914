export const ROLES = ['VIEWER', 'MEMBER', 'ADMIN', 'OWNER'] as const;
export type RoleName = (typeof ROLES)[number];

/** VIEWER reads; MEMBER builds and tests tools; ADMIN manages secrets, keys, members, assignments; OWNER everything. */
export function hasRole(actual: RoleName, required: RoleName): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required);
}
