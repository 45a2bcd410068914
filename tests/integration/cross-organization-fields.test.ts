/**
 * Fields of an object of an organization are authorized by the viewer's role
 * in *that* organization, not in the one they are signed in to. The walk
 * below requests every field of every object type reachable from
 * `viewer.memberships.organization` (read from the schema itself, so a field added
 * later is walked too) as a user who is ADMIN in A and VIEWER in B, signed in
 * to A, and asserts that nothing only B's ADMINs may read comes back.
 */
import {
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { schema } from '../../server/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { csrfToken } }`;

let t: TestApp;
let a: TestOrganization;
let b: TestOrganization;
let session: { cookie: string; csrfToken: string };
/** Values only B's ADMINs may see: its members' emails (but the viewer's own), its keys' names and prefixes. */
let adminOnlyOfB: string[];

beforeAll(async () => {
  t = await startTestApp();
  const prisma = t.app.services.prisma;
  a = await createOrganization(prisma, 'Alpha');
  b = await createOrganization(prisma, 'Beta');
  // A's ADMIN user also joins B as a VIEWER.
  await prisma.membership.create({ data: { userId: a.users.ADMIN.id, organizationId: b.id, role: 'VIEWER' } });
  const login = await t.gql<{ login: { csrfToken: string } }>(LOGIN, {
    input: { email: a.users.ADMIN.email, password: a.users.ADMIN.password, organizationSlug: a.slug },
  });
  session = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, csrfToken: login.data!.login.csrfToken };
  await prisma.apiKey.updateMany({ where: { organizationId: b.id, role: 'OWNER' }, data: { name: 'beta deploy key' } });
  await prisma.invitation.create({
    data: {
      organizationId: b.id,
      email: 'beta-invitee@example.test',
      role: 'MEMBER',
      tokenHash: 'beta-invitation-hash',
      invitedById: b.users.ADMIN.id,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
  const keys = await prisma.apiKey.findMany({ where: { organizationId: b.id } });
  adminOnlyOfB = [
    'beta-invitee@example.test',
    ...Object.values(b.users).map((user) => user.email),
    'beta deploy key',
    ...keys.map((key) => key.prefix),
  ];
});
afterAll(() => t?.close());

function unwrap(type: GraphQLOutputType): GraphQLOutputType {
  return isNonNullType(type) || isListType(type) ? unwrap(type.ofType as GraphQLOutputType) : type;
}

/**
 * A selection of every field of `type` without required arguments, following
 * object types not already on the path (so cycles end) up to `depth` levels.
 */
function selectAll(type: GraphQLObjectType, path: Set<string>, depth: number, walked: Set<string>): string {
  walked.add(type.name);
  const parts: string[] = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    const named = getNamedType(unwrap(field.type));
    if (!isObjectType(named)) {
      parts.push(field.name);
      continue;
    }
    if (path.has(named.name) || depth <= 0) continue;
    const inner = selectAll(named, new Set([...path, named.name]), depth - 1, walked);
    parts.push(`${field.name} { ${inner} }`);
  }
  return parts.join(' ');
}

describe('fields of another organization', () => {
  test('a VIEWER of B signed in to A as ADMIN reads nothing of B that needs ADMIN, whatever the field', async () => {
    const organization = schema.getType('Organization') as GraphQLObjectType;
    const walked = new Set<string>();
    const selection = selectAll(organization, new Set(['Organization']), 4, walked);
    // The walk must reach what this finding was about.
    expect(selection).toContain('members {');
    expect(selection).toContain('apiKeys {');
    expect([...walked]).toEqual(expect.arrayContaining(['Organization', 'Member', 'User', 'ApiKey', 'Invitation']));

    const response = await t.gql<{
      viewer: { role: string; memberships: Array<{ role: string; organization: { id: string; name: string } | null }> };
    }>(`{ viewer { role memberships { role organization { ${selection} } } } }`, {}, session);
    expect(response.data!.viewer.role).toBe('ADMIN');
    const inB = response.data!.viewer.memberships.find((membership) => membership.role === 'VIEWER');
    // Positive sentinel: B itself was read (so the refusals below are field-level, not a failed query).
    const bodyText = JSON.stringify(response.data);
    expect(bodyText).toContain('Beta');
    expect(inB).toBeDefined();
    for (const value of adminOnlyOfB) expect(bodyText).not.toContain(value);
    // A's own ADMIN-only fields still answer for A.
    expect(bodyText).toContain(a.users.OWNER.email);
    const refusals = (response.errors ?? []).map((error) => error.extensions?.code);
    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['FORBIDDEN']));
  });

  test('the same user reads B’s members once signed in to B as ADMIN there', async () => {
    await t.app.services.prisma.membership.updateMany({
      where: { userId: a.users.ADMIN.id, organizationId: b.id },
      data: { role: 'ADMIN' },
    });
    const response = await t.gql<{
      viewer: { memberships: Array<{ organization: { slug: string; members: Array<{ user: { email: string } }> } }> };
    }>('{ viewer { memberships { organization { slug members { user { email } } } } } }', {}, session);
    expect(response.errors).toBeUndefined();
    const beta = response.data!.viewer.memberships.find((membership) => membership.organization.slug === b.slug)!;
    expect(beta.organization.members.map((member) => member.user.email)).toContain(b.users.OWNER.email);
    await t.app.services.prisma.membership.updateMany({
      where: { userId: a.users.ADMIN.id, organizationId: b.id },
      data: { role: 'VIEWER' },
    });
  });
});
