import { archiveTool, duplicateTool, unarchiveTool } from '../../tools/tool-lifecycle.ts';
import { createTool, deleteTool, rollbackTool, updateTool } from '../../tools/tool-service.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS, TOOL_MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { ToolRef, ToolTypeEnum } from './tool.ts';

const toolFields = {
  displayName: 'Shown in the dashboard; defaults to the name.',
  configuration: 'Type-specific configuration (see the README for each type).',
  functionDefinition: 'OpenAI function definition; `parameters` must be a JSON Schema object.',
  parameterOrder:
    'The order of the parameters (every key of functionDefinition.parameters.properties, once each), for clients whose JSON encoding sorts object keys; the definition is stored in this order. Clients that keep key order (JSON.stringify) need not send it.',
  description: 'What the tool does, written for the model: it decides when to call the tool from this.',
  isActive: 'Off: every call is refused with TOOL_INACTIVE (default on).',
  requireConfirmation: 'Each run waits for approval (ADMIN to change).',
  timeoutSeconds: 'How long a run may take, in seconds (1–300).',
  retryAttempts: 'Retries after a transient failure (0–5).',
  isTemplate: "List it among the organization's templates.",
  messages:
    'Spoken while the tool runs: { requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }.',
};

const CreateToolInput = builder.inputType('CreateToolInput', {
  description: 'A new tool.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Function name the LLM calls: ^[a-zA-Z0-9_-]{1,64}$.' }),
    displayName: t.string({ description: toolFields.displayName }),
    description: t.string({ description: toolFields.description }),
    type: t.field({ type: ToolTypeEnum, required: true, description: 'How it runs; fixes the configuration keys.' }),
    configuration: t.field({ type: 'JSON', description: toolFields.configuration }),
    functionDefinition: t.field({ type: 'JSON', description: toolFields.functionDefinition }),
    parameterOrder: t.stringList({ description: toolFields.parameterOrder }),
    isActive: t.boolean({ description: toolFields.isActive }),
    requireConfirmation: t.boolean({ description: toolFields.requireConfirmation }),
    allowedContexts: t.stringList({ description: 'Subset of call, sms, webhook, test.' }),
    timeoutSeconds: t.int({ description: toolFields.timeoutSeconds }),
    retryAttempts: t.int({ description: toolFields.retryAttempts }),
    isPublic: t.boolean({ description: 'Publish to the marketplace (ADMIN).' }),
    isTemplate: t.boolean({ description: toolFields.isTemplate }),
    messages: t.field({ type: 'JSON', description: toolFields.messages }),
  }),
});

const UpdateToolInput = builder.inputType('UpdateToolInput', {
  description: 'Changes to a tool; fields left out stay as they are. A change to what it does makes a new version.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The tool.' }),
    expectedVersion: t.int({
      description: 'Refuse the change (ConflictError) if the tool is no longer at this version.',
    }),
    name: t.string({ description: 'A new function name: ^[a-zA-Z0-9_-]{1,64}$.' }),
    displayName: t.string({ description: toolFields.displayName }),
    description: t.string({ description: toolFields.description }),
    type: t.field({ type: ToolTypeEnum, description: 'A new type (give a configuration for it too).' }),
    configuration: t.field({ type: 'JSON', description: toolFields.configuration }),
    functionDefinition: t.field({ type: 'JSON', description: toolFields.functionDefinition }),
    parameterOrder: t.stringList({ description: toolFields.parameterOrder }),
    isActive: t.boolean({ description: toolFields.isActive }),
    requireConfirmation: t.boolean({ description: toolFields.requireConfirmation }),
    allowedContexts: t.stringList({ description: 'Subset of call, sms, webhook, test (ADMIN to change).' }),
    timeoutSeconds: t.int({ description: toolFields.timeoutSeconds }),
    retryAttempts: t.int({ description: toolFields.retryAttempts }),
    isPublic: t.boolean({ description: 'Publish (true) or unpublish (false) in the marketplace (ADMIN).' }),
    isTemplate: t.boolean({ description: toolFields.isTemplate }),
    messages: t.field({ type: 'JSON', description: `${toolFields.messages} Null clears them.` }),
  }),
});

const DeleteToolInput = builder.inputType('DeleteToolInput', {
  description: 'The tool to delete.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The tool.' }) }),
});
const RollbackToolInput = builder.inputType('RollbackToolInput', {
  description: 'A tool and the earlier version to restore.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The tool.' }),
    version: t.int({ required: true, description: 'The version to restore.' }),
  }),
});

const ToolIdInput = builder.inputType('ToolIdInput', {
  description: 'The tool to archive, unarchive or duplicate.',
  fields: (t) => ({ id: t.id({ required: true, description: 'The tool.' }) }),
});

const DeletedTool = builder.objectRef<{ id: string }>('DeletedTool').implement({
  description: 'A tool that was deleted.',
  fields: (t) => ({ id: t.exposeID('id', { description: 'Its id.' }) }),
});

builder.mutationFields((t) => ({
  createTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Creates a tool at version 1.',
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'CreateToolResult', description: 'The tool, or why it was not created.' },
    },
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
    description: 'Changes a tool; governance settings and published tools need ADMIN.',
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UpdateToolResult', description: 'The tool, or why it was not changed.' },
    },
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
    description: 'Deletes a tool and its assignments; its executions stay in the log.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DeleteToolResult', description: 'The deleted id, or why it was not deleted.' },
    },
    args: { input: t.arg({ type: DeleteToolInput, required: true }) },
    resolve: async (_root, { input }, context) => ({
      id: await deleteTool(context.services, actorOf(context), String(input.id)),
    }),
  }),
  archiveTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description:
      'Archives a tool: hidden from lists, templates and the marketplace, every run refused with TOOL_ARCHIVED; its assignments, versions and executions stay. A published tool needs ADMIN.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'ArchiveToolResult', description: 'The archived tool, or why it was not archived.' },
    },
    args: { input: t.arg({ type: ToolIdInput, required: true, description: 'The tool.' }) },
    resolve: (_root, { input }, context) => archiveTool(context.services, actorOf(context), String(input.id)),
  }),
  unarchiveTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Brings an archived tool back, as it was (assignments included). A published tool needs ADMIN.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'UnarchiveToolResult', description: 'The tool, or why it was not unarchived.' },
    },
    args: { input: t.arg({ type: ToolIdInput, required: true, description: 'The tool.' }) },
    resolve: (_root, { input }, context) => unarchiveTool(context.services, actorOf(context), String(input.id)),
  }),
  duplicateTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description:
      'Copies a tool as "<name>_copy" (then _copy_2, ...) at version 1: not public, not a template, not assigned, no secret grants unless an ADMIN copies it.',
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'DuplicateToolResult', description: 'The copy, or why it was not made.' },
    },
    args: { input: t.arg({ type: ToolIdInput, required: true, description: 'The tool to copy.' }) },
    resolve: (_root, { input }, context) => duplicateTool(context.services, actorOf(context), String(input.id)),
  }),
  rollbackTool: t.field({
    type: ToolRef,
    authScopes: { role: 'MEMBER' },
    description: 'Restores an earlier version as a new version (history is never rewritten).',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RollbackToolResult', description: 'The tool at its new version, or why not.' },
    },
    args: { input: t.arg({ type: RollbackToolInput, required: true }) },
    resolve: (_root, { input }, context) =>
      rollbackTool(context.services, actorOf(context), String(input.id), input.version),
  }),
}));
