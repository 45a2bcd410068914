import { deleteSecret, setSecret } from '../../secrets/secret-store.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

/** Secrets are write-only: this type has no value field, on purpose. */
const SecretRef = builder.prismaObject('Secret', {
  description: 'A named credential of the organization. Only its name is readable; tools use it as ${secrets.NAME}.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID, stable across renames.' }),
    name: t.exposeString('name', { description: 'Unique in the organization; case-sensitive.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the secret was first set.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When its value was last replaced.' }),
  }),
});

const SetSecretInput = builder.inputType('SetSecretInput', {
  description: 'A secret to create, or to replace when the name exists.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Referenced from tools as ${secrets.NAME}.' }),
    value: t.string({ required: true, description: 'Encrypted at rest; never returned by any API.' }),
  }),
});
const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  description: 'The secret to delete.',
  fields: (t) => ({ name: t.string({ required: true, description: 'The name of the secret.' }) }),
});

builder.queryFields((t) => ({
  secrets: t.prismaField({
    type: ['Secret'],
    authScopes: { authenticated: true },
    description: 'Names only.',
    resolve: (query, _root, _args, context) =>
      context.services.prisma.secret.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: { name: 'asc' },
      }),
  }),
}));

builder.mutationFields((t) => ({
  setSecret: t.field({
    type: SecretRef,
    authScopes: { role: 'ADMIN' },
    description: 'Creates or replaces a secret.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SetSecretResult', description: 'The secret, or why it was not set.' },
    },
    args: { input: t.arg({ type: SetSecretInput, required: true }) },
    resolve: (_root, { input }, context) => setSecret(context.services, actorOf(context), input.name, input.value),
  }),
  deleteSecret: t.field({
    type: SecretRef,
    authScopes: { role: 'ADMIN' },
    description: 'Deletes a secret; tools that still use it fail until it is set again.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeleteSecretResult', description: 'The deleted secret, or why it was not deleted.' },
    },
    args: { input: t.arg({ type: DeleteSecretInput, required: true }) },
    resolve: (_root, { input }, context) => deleteSecret(context.services, actorOf(context), input.name),
  }),
}));
