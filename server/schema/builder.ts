import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { organizationRoles } from '../auth/organization-role.ts';
import type { Context } from '../context.ts';
import type PrismaTypes from '../db/generated/pothos-types.ts';
import { getDatamodel } from '../db/generated/pothos-types.ts';
import type { JsonValue } from '../executors/types.ts';
import { hasRole, type RoleName } from '../security/roles.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: {
    authenticated: boolean;
    role: RoleName;
    /** The viewer's role in the given organization (that of the object a field belongs to). */
    roleIn: { organizationId: string; role: RoleName };
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: JsonValue; Output: unknown };
  };
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin, ErrorsPlugin, DataloaderPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => {
      const roleOf = organizationRoles(context.services.prisma, context.viewer);
      return {
        authenticated: context.viewer !== null,
        role: (required: RoleName) => context.viewer !== null && hasRole(context.viewer.actor.role, required),
        roleIn: async ({ organizationId, role }: { organizationId: string; role: RoleName }) => {
          const actual = await roleOf(organizationId);
          return actual !== null && hasRole(actual, role);
        },
      };
    },
    unauthorizedError: (_parent, context) =>
      context.viewer
        ? new GraphQLError('your role does not allow this', { extensions: { code: 'FORBIDDEN' } })
        : new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } }),
  },
  prisma: {
    client: (context) => context.services.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Ids are plain UUIDs shared with the REST, Vapi and MCP adapters; no global `node` lookup to scope.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    defaultConnectionTypeOptions: { description: 'A page of a list: pass pageInfo.endCursor as `after` for the next.' },
    defaultEdgeTypeOptions: { description: 'One item of the page and its cursor.' },
    edgesFieldOptions: { description: 'The items of this page, in order.' },
    pageInfoFieldOptions: { description: 'Where this page sits in the list.' },
    nodeFieldOptions: { description: 'The item.' },
    cursorFieldOptions: { description: "The item's position, for `after` / `before`." },
    pageInfoTypeOptions: { description: 'Cursors and whether more items exist on either side.' },
    hasNextPageFieldOptions: { description: 'More items follow this page.' },
    hasPreviousPageFieldOptions: { description: 'Items come before this page.' },
    startCursorFieldOptions: { description: 'The cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'The cursor of the last item: `after` for the next page.' },
  },
  errors: { defaultTypes: [] },
});

/** The builder's type parameters, for helpers that add the same fields to several types. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;
