import { deleteAssistant } from '../../assistants/assistant-service.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';

const DeleteAssistantInput = builder.inputType('DeleteAssistantInput', {
  description: 'The assistant to delete.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The assistant.' }) }),
});

const DeletedAssistant = builder.objectRef<{ id: string }>('DeletedAssistant').implement({
  description: 'An assistant that was deleted.',
  fields: (t) => ({ id: t.exposeID('id', { description: 'Its id.' }) }),
});

builder.mutationFields((t) => ({
  deleteAssistant: t.field({
    type: DeletedAssistant,
    authScopes: { role: 'ADMIN' },
    description:
      'Deletes an assistant and its tool assignments (ADMIN); its calls and executions stay in the log without it.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeleteAssistantResult', description: 'The deleted id, or why it was not deleted.' },
    },
    args: { input: t.arg({ type: DeleteAssistantInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      id: await deleteAssistant(context.services.prisma, actorOf(context), String(input.id)),
    }),
  }),
}));
