import { deleteSecret, setSecret } from '../../secrets/secret-store.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

/** Secrets are write-only: this type has no value field, on purpose. */
const SecretRef = builder.prismaObject('Secret', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const SetSecretInput = builder.inputType('SetSecretInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Referenced from tools as ${secrets.NAME}.' }),
    value: t.string({ required: true, description: 'Encrypted at rest; never returned by any API.' }),
  }),
});
const DeleteSecretInput = builder.inputType('DeleteSecretInput', {
  fields: (t) => ({ name: t.string({ required: true }) }),
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
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'SetSecretResult' } },
    args: { input: t.arg({ type: SetSecretInput, required: true }) },
    resolve: (_root, { input }, context) => setSecret(context.services, actorOf(context), input.name, input.value),
  }),
  deleteSecret: t.field({
    type: SecretRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'DeleteSecretResult' } },
    args: { input: t.arg({ type: DeleteSecretInput, required: true }) },
    resolve: (_root, { input }, context) => deleteSecret(context.services, actorOf(context), input.name),
  }),
}));
