import { uuidOrNil } from '../../db/json.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

export const AssistantRef = builder.prismaObject('Assistant', {
  description: 'A voice assistant: the ordered tools it may call and the credentials platforms use to reach it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID; also the id in the Vapi, Retell, ElevenLabs and MCP URLs.' }),
    name: t.exposeString('name', { description: 'The display name.' }),
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
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
  }),
});

export const ToolAssignmentRef = builder.prismaObject('AssistantTool', {
  description: 'A tool assigned to an assistant, with per-assistant overrides.',
  name: 'ToolAssignment',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'A UUID.' }),
    assistant: t.relation('assistant', { description: 'The assistant.' }),
    tool: t.relation('tool', { description: 'The tool.' }),
    enabled: t.exposeBoolean('enabled', {
      description: 'Off: calls from this assistant are refused with ASSIGNMENT_DISABLED.',
    }),
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
    executionOrder: t.exposeInt('executionOrder', { description: 'Position in the list the model sees, from 0.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the tool was assigned.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the assignment last changed.' }),
  }),
});

builder.queryFields((t) => ({
  assistants: t.prismaConnection({
    description: "The organization's assistants, oldest first.",
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
    description: 'Null when the assistant does not exist in the organization.',
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
