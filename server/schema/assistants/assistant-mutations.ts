import {
  assignTool,
  configureToolAssignment,
  createAssistant,
  reorderToolAssignments,
  unassignTool,
  updateAssistant,
} from '../../assistants/assistant-service.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { AssistantRef, ToolAssignmentRef } from './assistant.ts';

const CreateAssistantInput = builder.inputType('CreateAssistantInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    toolsSettings: t.field({
      type: 'JSON',
      description: 'Legacy { enabled_tools, end_call, transfer_call, custom_tools }.',
    }),
  }),
});

const UpdateAssistantInput = builder.inputType('UpdateAssistantInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    toolsSettings: t.field({ type: 'JSON' }),
  }),
});

const AssignToolInput = builder.inputType('AssignToolInput', {
  fields: (t) => ({
    assistantId: t.id({ required: true }),
    toolId: t.id({ required: true }),
    enabled: t.boolean(),
    customConfiguration: t.field({
      type: 'JSON',
      description:
        "Deep-merged over the tool's configuration; `function_description` also replaces the description the LLM sees.",
    }),
    messages: t.field({
      type: 'JSON',
      description: "Spoken messages for this assistant, merged key by key over the tool's.",
    }),
  }),
});

const ConfigureToolAssignmentInput = builder.inputType('ConfigureToolAssignmentInput', {
  fields: (t) => ({
    assignmentId: t.id({ required: true }),
    enabled: t.boolean(),
    customConfiguration: t.field({
      type: 'JSON',
      description: 'Replaces the override; use clearCustomConfiguration to remove it.',
    }),
    clearCustomConfiguration: t.boolean(),
    messages: t.field({ type: 'JSON', description: 'Replaces the spoken messages; null clears them.' }),
  }),
});

const UnassignToolInput = builder.inputType('UnassignToolInput', {
  fields: (t) => ({ assignmentId: t.id({ required: true }) }),
});

const ReorderToolAssignmentsInput = builder.inputType('ReorderToolAssignmentsInput', {
  fields: (t) => ({
    assistantId: t.id({ required: true }),
    assignmentIds: t.idList({
      required: true,
      description: 'Every assignment of the assistant, once, in the new order.',
    }),
  }),
});

const UnassignedTool = builder
  .objectRef<{ assignmentId: string; assistantId: string; toolId: string }>('UnassignedTool')
  .implement({
    fields: (t) => ({
      assignmentId: t.exposeID('assignmentId'),
      assistantId: t.exposeID('assistantId'),
      toolId: t.exposeID('toolId'),
    }),
  });

builder.mutationFields((t) => ({
  createAssistant: t.field({
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'CreateAssistantResult' } },
    args: { input: t.arg({ type: CreateAssistantInput, required: true }) },
    resolve: (_root, { input }, context) => createAssistant(context.services.prisma, actorOf(context), input),
  }),
  updateAssistant: t.field({
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'UpdateAssistantResult' } },
    args: { input: t.arg({ type: UpdateAssistantInput, required: true }) },
    resolve: (_root, { input }, context) =>
      updateAssistant(context.services.prisma, actorOf(context), String(input.id), input),
  }),
  assignTool: t.field({
    type: ToolAssignmentRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'AssignToolResult' } },
    args: { input: t.arg({ type: AssignToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      assignTool(context.services, actorOf(context), {
        ...input,
        assistantId: String(input.assistantId),
        toolId: String(input.toolId),
      }),
  }),
  configureToolAssignment: t.field({
    type: ToolAssignmentRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'ConfigureToolAssignmentResult' } },
    args: { input: t.arg({ type: ConfigureToolAssignmentInput, required: true }) },
    resolve: (_root, { input }, context) =>
      configureToolAssignment(context.services, actorOf(context), {
        ...input,
        assignmentId: String(input.assignmentId),
      }),
  }),
  unassignTool: t.field({
    type: UnassignedTool,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'UnassignToolResult' } },
    args: { input: t.arg({ type: UnassignToolInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const removed = await unassignTool(context.services.prisma, actorOf(context), String(input.assignmentId));
      return { assignmentId: removed.id, assistantId: removed.assistantId, toolId: removed.toolId };
    },
  }),
  reorderToolAssignments: t.field({
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'ReorderToolAssignmentsResult' } },
    args: { input: t.arg({ type: ReorderToolAssignmentsInput, required: true }) },
    resolve: (_root, { input }, context) =>
      reorderToolAssignments(context.services.prisma, actorOf(context), {
        assistantId: String(input.assistantId),
        assignmentIds: input.assignmentIds.map(String),
      }),
  }),
}));
