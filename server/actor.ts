import type { RoleName } from './security/roles.ts';

/** Who is acting, within which organization: the input every domain operation is scoped by. */
export interface Actor {
  organizationId: string;
  role: RoleName;
  userId: string | null;
  apiKeyId: string | null;
}
