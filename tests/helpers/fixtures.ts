/**
 * Organizations with one API key per role, created straight through the
 * domain services (the API under test is exercised by the tests themselves).
 */
import { randomBytes } from 'node:crypto';
import type { Prisma } from '../../server/db/database.ts';
import type { Tool } from '../../server/db/generated/prisma/client.ts';
import type { RoleName } from '../../server/security/roles.ts';
import { hashPassword } from '../../server/security/passwords.ts';
import { generateApiKey } from '../../server/security/tokens.ts';

export interface TestOrganization {
  id: string;
  slug: string;
  keys: Record<RoleName, string>;
  users: Record<RoleName, { id: string; email: string; password: string }>;
}

const ROLES: RoleName[] = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'];
const PASSWORD = 'correct horse battery staple';
/** scrypt is deliberately slow; fixtures share one hash. */
let passwordHash: Promise<string> | null = null;

export async function createOrganization(prisma: Prisma, name = 'Org'): Promise<TestOrganization> {
  const suffix = randomBytes(4).toString('hex');
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${suffix}`;
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  const organization = await prisma.organization.create({ data: { name, slug } });
  const keys = {} as Record<RoleName, string>;
  const users = {} as TestOrganization['users'];
  for (const role of ROLES) {
    const email = `${role.toLowerCase()}-${suffix}@example.test`;
    const user = await prisma.user.create({ data: { email, name: `${role} user`, passwordHash: hash } });
    await prisma.membership.create({ data: { userId: user.id, organizationId: organization.id, role } });
    users[role] = { id: user.id, email, password: PASSWORD };
    const key = generateApiKey();
    await prisma.apiKey.create({
      data: {
        organizationId: organization.id,
        name: `${role} key`,
        prefix: key.prefix,
        keyHash: key.hash,
        role,
        createdById: user.id,
      },
    });
    keys[role] = key.key;
  }
  return { id: organization.id, slug, keys, users };
}

export const ENDPOINT_CONFIGURATION = { url: 'https://api.example.com/orders/${parameters.order_id}', method: 'GET' };

export function endpointToolInput(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: 'ENDPOINT',
    description: 'Looks up an order',
    configuration: ENDPOINT_CONFIGURATION,
    functionDefinition: {
      name,
      description: 'Look up an order',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    },
    ...extra,
  };
}

/** A tool row written straight to the database (no save-time validation), callable in calls and tests. */
export async function createToolRow(
  prisma: Prisma,
  organizationId: string,
  type: 'ENDPOINT' | 'LAMBDA' | 'CODE',
  configuration: Record<string, unknown>,
): Promise<Tool> {
  const name = `${type.toLowerCase()}_${randomBytes(4).toString('hex')}`;
  return prisma.tool.create({
    data: {
      organizationId,
      name,
      displayName: name,
      type,
      configuration: configuration as object,
      functionDefinition: { name, description: 'test tool', parameters: { type: 'object', properties: {} } },
      allowedContexts: ['call', 'test'],
      timeoutSeconds: 20,
    },
  });
}
