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
  description: 'A new assistant.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The display name.' }),
    toolsSettings: t.field({
      type: 'JSON',
      description: 'Legacy { enabled_tools, end_call, transfer_call, custom_tools }.',
    }),
  }),
});

const UpdateAssistantInput = builder.inputType('UpdateAssistantInput', {
  description: 'Changes to an assistant; fields left out stay.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The assistant.' }),
    name: t.string({ description: 'A new display name.' }),
    toolsSettings: t.field({
      type: 'JSON',
      description: 'Legacy { enabled_tools, end_call, transfer_call, custom_tools }.',
    }),
  }),
});

const AssignToolInput = builder.inputType('AssignToolInput', {
  description: 'A tool to add to an assistant.',
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant.' }),
    toolId: t.id({ required: true, description: 'The tool.' }),
    enabled: t.boolean({ description: 'Default true.' }),
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
  description: 'Changes to one assignment; fields left out stay.',
  fields: (t) => ({
    assignmentId: t.id({ required: true, description: 'The assignment.' }),
    enabled: t.boolean({ description: 'Turn the tool on or off for this assistant.' }),
    customConfiguration: t.field({
      type: 'JSON',
      description: 'Replaces the override; use clearCustomConfiguration to remove it.',
    }),
    clearCustomConfiguration: t.boolean({ description: 'Remove the configuration override.' }),
    messages: t.field({ type: 'JSON', description: 'Replaces the spoken messages; null clears them.' }),
  }),
});

const UnassignToolInput = builder.inputType('UnassignToolInput', {
  description: 'The assignment to remove.',
  fields: (t) => ({ assignmentId: t.id({ required: true, description: 'The assignment to remove.' }) }),
});

const ReorderToolAssignmentsInput = builder.inputType('ReorderToolAssignmentsInput', {
  description: 'An assistant and its assignments in the new order.',
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant.' }),
    assignmentIds: t.idList({
      required: true,
      description: 'Every assignment of the assistant, once, in the new order.',
    }),
  }),
});

const UnassignedTool = builder
  .objectRef<{ assignmentId: string; assistantId: string; toolId: string }>('UnassignedTool')
  .implement({
    description: 'An assignment that was removed.',
    fields: (t) => ({
      assignmentId: t.exposeID('assignmentId', { description: 'The removed assignment.' }),
      assistantId: t.exposeID('assistantId', { description: 'The assistant.' }),
      toolId: t.exposeID('toolId', { description: 'The tool, which still exists.' }),
    }),
  });

builder.mutationFields((t) => ({
  createAssistant: t.field({
    description: 'Creates an assistant with no tools.',
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateAssistantResult', description: 'The assistant, or why it was not created.' },
    },
    args: { input: t.arg({ type: CreateAssistantInput, required: true }) },
    resolve: (_root, { input }, context) => createAssistant(context.services.prisma, actorOf(context), input),
  }),
  updateAssistant: t.field({
    description: 'Renames an assistant or changes its legacy settings.',
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UpdateAssistantResult', description: 'The assistant, or why it was not changed.' },
    },
    args: { input: t.arg({ type: UpdateAssistantInput, required: true }) },
    resolve: (_root, { input }, context) =>
      updateAssistant(context.services.prisma, actorOf(context), String(input.id), input),
  }),
  assignTool: t.field({
    description: "Adds a tool to the end of the assistant's list.",
    type: ToolAssignmentRef,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'AssignToolResult', description: 'The assignment, or why it was not made.' },
    },
    args: { input: t.arg({ type: AssignToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      assignTool(context.services, actorOf(context), {
        ...input,
        assistantId: String(input.assistantId),
        toolId: String(input.toolId),
      }),
  }),
  configureToolAssignment: t.field({
    description: 'Changes how one assistant uses a tool: on or off, overrides, spoken messages.',
    type: ToolAssignmentRef,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ConfigureToolAssignmentResult', description: 'The assignment, or why it was not changed.' },
    },
    args: { input: t.arg({ type: ConfigureToolAssignmentInput, required: true }) },
    resolve: (_root, { input }, context) =>
      configureToolAssignment(context.services, actorOf(context), {
        ...input,
        assignmentId: String(input.assignmentId),
      }),
  }),
  unassignTool: t.field({
    description: 'Removes a tool from an assistant; the tool stays.',
    type: UnassignedTool,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UnassignToolResult', description: 'What was removed, or why not.' },
    },
    args: { input: t.arg({ type: UnassignToolInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const removed = await unassignTool(context.services.prisma, actorOf(context), String(input.assignmentId));
      return { assignmentId: removed.id, assistantId: removed.assistantId, toolId: removed.toolId };
    },
  }),
  reorderToolAssignments: t.field({
    description: 'Sets the order in which the model sees the tools.',
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ReorderToolAssignmentsResult', description: 'The assignments in their new order, or why not.' },
    },
    args: { input: t.arg({ type: ReorderToolAssignmentsInput, required: true }) },
    resolve: (_root, { input }, context) =>
      reorderToolAssignments(context.services.prisma, actorOf(context), {
        assistantId: String(input.assistantId),
        assignmentIds: input.assignmentIds.map(String),
      }),
  }),
}));
