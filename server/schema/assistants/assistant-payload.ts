import type { BuilderTypes } from '../builder.ts';

/** `assistant` of a mutation payload that names its assistant by id, read with the client's selection. */
export function payloadAssistantField<Payload extends { assistant: { id: string } }>(
  t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, Payload>,
) {
  return t.prismaField({
    description: 'The assistant.',
    type: 'Assistant',
    resolve: (query, payload, _args, context) =>
      context.services.prisma.assistant.findUniqueOrThrow({ ...query, where: { id: payload.assistant.id } }),
  });
}
