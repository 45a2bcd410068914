import { createTool, deleteTool, rollbackTool, updateTool } from '../../tools/tool-service.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS, TOOL_MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { ToolRef, ToolTypeEnum } from './tool.ts';

const toolFields = {
  displayName: 'Shown in the dashboard; defaults to the name.',
  configuration: 'Type-specific configuration (see the README for each type).',
  functionDefinition: 'OpenAI function definition; `parameters` must be a JSON Schema object.',
  messages:
    'Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }.',
};

const CreateToolInput = builder.inputType('CreateToolInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Function name the LLM calls: ^[a-zA-Z0-9_-]{1,64}$.' }),
    displayName: t.string({ description: toolFields.displayName }),
    description: t.string(),
    type: t.field({ type: ToolTypeEnum, required: true }),
    configuration: t.field({ type: 'JSON', description: toolFields.configuration }),
    functionDefinition: t.field({ type: 'JSON', description: toolFields.functionDefinition }),
    isActive: t.boolean(),
    requireConfirmation: t.boolean(),
    allowedContexts: t.stringList({ description: 'Subset of call, sms, webhook, test.' }),
    timeoutSeconds: t.int(),
    retryAttempts: t.int(),
    isPublic: t.boolean({ description: 'Publish to the marketplace (ADMIN).' }),
    isTemplate: t.boolean(),
    messages: t.field({ type: 'JSON', description: toolFields.messages }),
  }),
});

const UpdateToolInput = builder.inputType('UpdateToolInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    expectedVersion: t.int({
      description: 'Refuse the change (ConflictError) if the tool is no longer at this version.',
    }),
    name: t.string(),
    displayName: t.string({ description: toolFields.displayName }),
    description: t.string(),
    type: t.field({ type: ToolTypeEnum }),
    configuration: t.field({ type: 'JSON', description: toolFields.configuration }),
    functionDefinition: t.field({ type: 'JSON', description: toolFields.functionDefinition }),
    isActive: t.boolean(),
    requireConfirmation: t.boolean(),
    allowedContexts: t.stringList(),
    timeoutSeconds: t.int(),
    retryAttempts: t.int(),
    isPublic: t.boolean(),
    isTemplate: t.boolean(),
    messages: t.field({ type: 'JSON', description: `${toolFields.messages} Null clears them.` }),
  }),
});

const DeleteToolInput = builder.inputType('DeleteToolInput', { fields: (t) => ({ id: t.id({ required: true }) }) });
const RollbackToolInput = builder.inputType('RollbackToolInput', {
  fields: (t) => ({ id: t.id({ required: true }), version: t.int({ required: true }) }),
});

const DeletedTool = builder
  .objectRef<{ id: string }>('DeletedTool')
  .implement({ fields: (t) => ({ id: t.exposeID('id') }) });

builder.mutationFields((t) => ({
  createTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    errors: { types: TOOL_MUTATION_ERRORS, directResult: true, union: { name: 'CreateToolResult' } },
    args: { input: t.arg({ type: CreateToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      createTool(context.services, actorOf(context), {
        ...input,
        type: input.type,
        configuration: input.configuration ?? undefined,
        functionDefinition: input.functionDefinition ?? undefined,
      }),
  }),
  updateTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    errors: { types: TOOL_MUTATION_ERRORS, directResult: true, union: { name: 'UpdateToolResult' } },
    args: { input: t.arg({ type: UpdateToolInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const { id, ...patch } = input;
      return updateTool(context.services, actorOf(context), String(id), {
        ...patch,
        configuration: patch.configuration ?? undefined,
        functionDefinition: patch.functionDefinition ?? undefined,
      });
    },
  }),
  deleteTool: t.field({
    type: DeletedTool,
    authScopes: { role: 'MEMBER' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'DeleteToolResult' } },
    args: { input: t.arg({ type: DeleteToolInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      id: await deleteTool(context.services, actorOf(context), String(input.id)),
    }),
  }),
  rollbackTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Restores an earlier version as a new version (history is never rewritten).',
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RollbackToolResult' } },
    args: { input: t.arg({ type: RollbackToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      rollbackTool(context.services, actorOf(context), String(input.id), input.version),
  }),
}));
