import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const AssistantRef = builder.prismaObject('Assistant', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    toolsSettings: t.expose('toolsSettings', {
      type: 'JSON',
      description: 'Legacy settings: { enabled_tools, end_call, transfer_call, custom_tools }.',
    }),
    toolAssignments: t.relation('toolAssignments', {
      description: 'Assigned tools in execution order.',
      query: { orderBy: [{ executionOrder: 'asc' }, { createdAt: 'asc' }] },
    }),
    hasServerSecret: t.boolean({
      description: 'Whether a server secret for Vapi/Retell requests is set (setAssistantServerSecret).',
      select: { serverSecretHash: true },
      resolve: (assistant) => assistant.serverSecretHash !== null,
    }),
    hasRetellKey: t.boolean({
      description: 'Whether Retell signatures are verified (setAssistantRetellKey).',
      select: { retellApiKey: true },
      resolve: (assistant) => assistant.retellApiKey !== null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

export const ToolAssignmentRef = builder.prismaObject('AssistantTool', {
  name: 'ToolAssignment',
  fields: (t) => ({
    id: t.exposeID('id'),
    assistant: t.relation('assistant'),
    tool: t.relation('tool'),
    enabled: t.exposeBoolean('enabled'),
    customConfiguration: t.expose('customConfiguration', {
      type: 'JSON',
      nullable: true,
      description: "Deep-merged over the tool's configuration when this assistant runs it.",
    }),
    messages: t.expose('messages', {
      type: 'JSON',
      nullable: true,
      description: "Spoken messages for this assistant, merged key by key over the tool's.",
    }),
    executionOrder: t.exposeInt('executionOrder'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  assistants: t.prismaConnection({
    type: 'Assistant',
    cursor: 'id',
    authScopes: { authenticated: true },
    maxSize: 100,
    defaultSize: 50,
    resolve: (query, _root, _args, context) =>
      context.services.prisma.assistant.findMany({
        ...query,
        where: { organizationId: actorOf(context).organizationId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
  }),
  assistant: t.prismaField({
    type: 'Assistant',
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, context) =>
      context.services.prisma.assistant.findFirst({
        ...query,
        where: { id: uuidOrNil(args.id), organizationId: actorOf(context).organizationId },
      }),
  }),
}));
