/** Who is signed in, into which organization, and what their role lets them do. */
import { ERROR_FIELDS, errorMessage, mutate, query, setCsrfToken } from './graphql/client.ts';

export type Role = 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';

export interface Membership {
  id: string;
  role: Role;
  organization: { id: string; name: string; slug: string };
}

export interface Viewer {
  role: Role;
  csrfToken: string | null;
  user: { id: string; name: string | null; email: string } | null;
  organization: { id: string; name: string; slug: string; featureFlags: Record<string, boolean> | null } | null;
  memberships: Membership[];
}

const VIEWER_FIELDS = `
  role csrfToken
  user { id name email }
  organization { id name slug featureFlags }
  memberships { id role organization { id name slug } }
`;

class Session {
  viewer = $state<Viewer | null>(null);
  loaded = $state(false);
  /** Why the server could not say who is signed in (unreachable, failing); never taken as signed out. */
  unreachable = $state<string | null>(null);

  get role(): Role | null {
    return this.viewer?.role ?? null;
  }
  /** MEMBER and above create, edit and test tools. */
  get canEdit(): boolean {
    return this.role !== null && this.role !== 'VIEWER';
  }
  /** ADMIN and above manage assignments, secrets, API keys and members. */
  get canAdmin(): boolean {
    return this.role === 'ADMIN' || this.role === 'OWNER';
  }

  async load(): Promise<void> {
    try {
      const data = await query<{ viewer: Viewer | null }>(`query Viewer { viewer { ${VIEWER_FIELDS} } }`);
      this.unreachable = null;
      this.set(data.viewer);
    } catch (error) {
      this.unreachable = errorMessage(error);
    } finally {
      this.loaded = true;
    }
  }

  private set(viewer: Viewer | null): void {
    setCsrfToken(viewer?.csrfToken ?? null);
    this.viewer = viewer;
  }

  async login(email: string, password: string): Promise<void> {
    const data = await mutate<{ login: { csrfToken: string } | null }>(
      `mutation Login($input: LoginInput!) { login(input: $input) { csrfToken } }`,
      { input: { email, password } },
    );
    setCsrfToken(data.login?.csrfToken ?? null);
    await this.load();
  }

  /** After a mutation that started a session (signUp): keep its CSRF token and read who we are. */
  async adopt(csrfToken: string): Promise<void> {
    setCsrfToken(csrfToken);
    await this.load();
  }

  async logout(): Promise<void> {
    try {
      await mutate(`mutation Logout { logout }`);
    } finally {
      this.set(null);
    }
  }

  async switchOrganization(organizationId: string): Promise<void> {
    const data = await mutate<{ switchOrganization: Viewer | null }>(
      `mutation SwitchOrganization($input: SwitchOrganizationInput!) { switchOrganization(input: $input) { ${VIEWER_FIELDS} } }`,
      { input: { organizationId } },
    );
    this.set(data.switchOrganization);
  }
}

export const session = new Session();
export { ERROR_FIELDS };
