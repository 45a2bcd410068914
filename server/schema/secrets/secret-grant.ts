import {
  approveSecretGrant,
  grantSecret,
  revokeSecretGrant,
  viewGrant,
  type GrantView,
} from '../../secrets/secret-grants.ts';
import type { SurfaceChange } from '../../secrets/secret-surface.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

const SecretGrantStatus = builder.enumType('SecretGrantStatus', {
  description: 'Whether a grant lets runs read the secret.',
  values: {
    ACTIVE: { description: 'The tool is as an ADMIN approved it: runs may read the secret.' },
    SUSPENDED: {
      description:
        "The tool's code, URL, headers, auth or Lambda target changed since: runs are refused until approveSecretGrant.",
    },
  } as const,
});

const SecretGrantChange = builder.objectRef<SurfaceChange>('SecretGrantChange').implement({
  description: 'One configuration key that differs from what the ADMIN approved.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'The configuration key, e.g. url or code.' }),
    before: t.expose('before', { type: 'JSON', nullable: true, description: 'Its value when the grant was approved.' }),
    after: t.expose('after', { type: 'JSON', nullable: true, description: 'Its value now.' }),
  }),
});

const SecretGrantRef = builder.objectRef<GrantView>('SecretGrant').implement({
  description: 'Permission for one tool to read one secret, granted by an ADMIN for the tool as it was then.',
  fields: (t) => ({
    id: t.id({ description: 'A UUID.', resolve: (view) => view.grant.id }),
    secretName: t.string({ description: 'The secret the tool may read.', resolve: (view) => view.grant.secretName }),
    toolId: t.id({ description: 'The tool that may read it.', resolve: (view) => view.tool.id }),
    toolName: t.string({ description: 'The name of that tool.', resolve: (view) => view.tool.name }),
    approvedVersion: t.int({
      description: 'The tool version the ADMIN approved.',
      resolve: (view) => view.grant.approvedVersion,
    }),
    grantedAt: t.field({
      type: 'DateTime',
      description: 'When the grant was made or last approved.',
      resolve: (view) => view.grant.grantedAt,
    }),
    status: t.field({
      type: SecretGrantStatus,
      description: 'ACTIVE, or SUSPENDED until an ADMIN approves the changed tool.',
      resolve: (view) => view.status,
    }),
    changes: t.field({
      type: [SecretGrantChange],
      description: 'What changed since the approval (empty when ACTIVE): the diff to review before approveSecretGrant.',
      resolve: (view) => view.changes,
    }),
  }),
});

builder.prismaObjectField('Tool', 'secretGrants', (t) =>
  t.field({
    type: [SecretGrantRef],
    description: 'The secrets this tool may read, and whether each grant is suspended.',
    resolve: async (tool, _args, context) => {
      const grants = await context.services.prisma.secretGrant.findMany({
        where: { toolId: tool.id, organizationId: actorOf(context).organizationId },
        orderBy: { secretName: 'asc' },
      });
      return grants.map((grant) => viewGrant(grant, tool));
    },
  }),
);

builder.prismaObjectField('Secret', 'grants', (t) =>
  t.field({
    type: [SecretGrantRef],
    description: 'The tools this secret is granted to.',
    resolve: async (secret, _args, context) => {
      const grants = await context.services.prisma.secretGrant.findMany({
        where: { organizationId: secret.organizationId, secretName: secret.name },
        include: { tool: { select: { id: true, name: true, type: true, version: true, configuration: true } } },
        orderBy: { grantedAt: 'asc' },
      });
      return grants.map(({ tool, ...grant }) => viewGrant(grant, tool));
    },
  }),
);

const SecretGrantInput = builder.inputType('SecretGrantInput', {
  description: 'One secret and one tool.',
  fields: (t) => ({
    secretName: t.string({ required: true, description: 'The name of the secret.' }),
    toolId: t.id({ required: true, description: 'The tool.' }),
    toolVersion: t.int({
      description: 'Refuse (ConflictError) unless the tool is still at this version: approve what was reviewed.',
    }),
  }),
});

builder.mutationFields((t) => ({
  grantSecret: t.field({
    type: SecretGrantRef,
    authScopes: { role: 'ADMIN' },
    description: 'Lets the tool read the secret, for the tool as it is now.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'GrantSecretResult', description: 'The grant, or why it was not made.' },
    },
    args: { input: t.arg({ type: SecretGrantInput, required: true }) },
    resolve: (_root, { input }, context) =>
      grantSecret(context.services.prisma, actorOf(context), { ...input, toolId: String(input.toolId) }),
  }),
  approveSecretGrant: t.field({
    type: SecretGrantRef,
    authScopes: { role: 'ADMIN' },
    description: 'Approves a suspended grant again, for the tool as it is now (review `changes` first).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'ApproveSecretGrantResult',
        description: 'The approved grant, or why it was not approved.',
      },
    },
    args: { input: t.arg({ type: SecretGrantInput, required: true }) },
    resolve: (_root, { input }, context) =>
      approveSecretGrant(context.services.prisma, actorOf(context), { ...input, toolId: String(input.toolId) }),
  }),
  revokeSecretGrant: t.field({
    type: SecretGrantRef,
    authScopes: { role: 'ADMIN' },
    description: 'Withdraws the permission: runs of the tool that read the secret fail with SECRET_NOT_GRANTED.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RevokeSecretGrantResult', description: 'The revoked grant, or why it was not revoked.' },
    },
    args: { input: t.arg({ type: SecretGrantInput, required: true }) },
    resolve: (_root, { input }, context) =>
      revokeSecretGrant(context.services.prisma, actorOf(context), { ...input, toolId: String(input.toolId) }),
  }),
}));
