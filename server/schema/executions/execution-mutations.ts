import { ValidationError } from '../../errors.ts';
import type { ExecutionRequestContext } from '../../executions/engine.ts';
import type { JsonObject, JsonValue, TriggerContext } from '../../executors/types.ts';
import { isJsonObject } from '../../tools/function-definition.ts';
import { prepareDraft } from '../../tools/tool-draft.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS, TOOL_MUTATION_ERRORS } from '../errors.ts';
import { actorOf } from '../viewer-actor.ts';
import { ToolTypeEnum } from '../tools/tool.ts';
import { ToolExecutionRef } from './execution.ts';

const LiveTriggerContextEnum = builder.enumType('LiveTriggerContext', {
  values: { CALL: { value: 'call' }, SMS: { value: 'sms' }, WEBHOOK: { value: 'webhook' } } as const,
});

const ExecutionContextInput = builder.inputType('ExecutionContextInput', {
  fields: (t) => ({
    callSid: t.string(),
    phoneNumber: t.string(),
    from: t.string(),
    to: t.string(),
    triggerContext: t.field({
      type: LiveTriggerContextEnum,
      description: 'executeTool only (default CALL); testTool always runs in the `test` context.',
    }),
  }),
});

const ToolDraftInput = builder.inputType('ToolDraftInput', {
  description:
    'The tool as edited but not saved; fields left out are the stored ones. Checked like a save (ValidationError at the field, FORBIDDEN for governance changes below ADMIN); nothing is saved and no version is made.',
  fields: (t) => ({
    name: t.string({ description: 'The function name.' }),
    displayName: t.string({ description: 'The display name.' }),
    description: t.string({ description: 'The description the model reads.' }),
    type: t.field({ type: ToolTypeEnum, description: 'The tool type.' }),
    configuration: t.field({ type: 'JSON', description: 'The type-specific configuration.' }),
    functionDefinition: t.field({ type: 'JSON', description: 'The OpenAI function definition.' }),
    requireConfirmation: t.boolean({
      description: 'A draft that waits for approval cannot be tested unsaved (ValidationError at `draft`).',
    }),
    allowedContexts: t.stringList({ description: 'Subset of call, sms, webhook, test.' }),
    timeoutSeconds: t.int({ description: 'Seconds a run may take (1–300).' }),
    retryAttempts: t.int({ description: 'Retries after a transient failure (0–5).' }),
  }),
});

const TestToolInput = builder.inputType('TestToolInput', {
  fields: (t) => ({
    toolId: t.id({ required: true }),
    parameters: t.field({ type: 'JSON', description: 'The arguments object, as the LLM would send it.' }),
    context: t.field({ type: ExecutionContextInput }),
    draft: t.field({
      type: ToolDraftInput,
      description:
        "Run the tool as edited instead of as saved; the execution records the saved version's number. Left out: the saved tool runs.",
    }),
  }),
});

const ExecuteToolInput = builder.inputType('ExecuteToolInput', {
  fields: (t) => ({
    assistantId: t.id({ required: true }),
    toolName: t.string({
      required: true,
      description: 'The function name the LLM called (built-ins: endCall, transferCall).',
    }),
    parameters: t.field({ type: 'JSON' }),
    context: t.field({ type: ExecutionContextInput }),
    toolCallId: t.string({ description: 'The LLM tool call id: the same (call, tool call id) executes once.' }),
    idempotencyKey: t.string({ description: 'Overrides the (call, tool call id) key.' }),
  }),
});

const ExecutionIdInput = builder.inputType('ExecutionIdInput', { fields: (t) => ({ id: t.id({ required: true }) }) });
const RejectExecutionInput = builder.inputType('RejectExecutionInput', {
  fields: (t) => ({ id: t.id({ required: true }), reason: t.string() }),
});

const MAX_CONTEXT_FIELD_LENGTH = 256;

function parametersOf(value: JsonValue | null | undefined): JsonObject {
  if (value === null || value === undefined) return {};
  if (!isJsonObject(value)) throw new ValidationError([{ field: 'parameters', message: 'must be a JSON object' }]);
  return value;
}

type ContextInput = { callSid?: string | null; phoneNumber?: string | null; from?: string | null; to?: string | null };

function contextOf(
  input: ContextInput | null | undefined,
  triggerContext: TriggerContext,
  toolCallId?: string | null,
): ExecutionRequestContext {
  const fields = {
    callSid: input?.callSid,
    phoneNumber: input?.phoneNumber,
    from: input?.from,
    to: input?.to,
    toolCallId,
  };
  const issues = Object.entries(fields)
    .filter(([, value]) => typeof value === 'string' && value.length > MAX_CONTEXT_FIELD_LENGTH)
    .map(([field]) => ({
      field: field === 'toolCallId' ? field : `context.${field}`,
      message: `must be at most ${MAX_CONTEXT_FIELD_LENGTH} characters`,
    }));
  if (issues.length) throw new ValidationError(issues);
  return {
    callSid: input?.callSid || null,
    phoneNumber: input?.phoneNumber || null,
    from: input?.from || null,
    to: input?.to || null,
    triggerContext,
    toolCallId: toolCallId || null,
  };
}

builder.mutationFields((t) => ({
  testTool: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description:
      'Runs a tool now in the `test` context. A run that fails is still an execution (status ERROR, TIMEOUT, ...).',
    errors: { types: TOOL_MUTATION_ERRORS, directResult: true, union: { name: 'TestToolResult' } },
    args: { input: t.arg({ type: TestToolInput, required: true }) },
    resolve: async (_root, { input }, context) => {
      const actor = actorOf(context);
      const parameters = parametersOf(input.parameters);
      const requestContext = contextOf(input.context, 'test');
      const draft = input.draft
        ? await prepareDraft(context.services, actor, String(input.toolId), {
            ...input.draft,
            configuration: input.draft.configuration ?? undefined,
            functionDefinition: input.draft.functionDefinition ?? undefined,
          })
        : null;
      return context.services.engine.run({
        organizationId: actor.organizationId,
        toolId: String(input.toolId),
        parameters,
        context: requestContext,
        actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
        draft,
      });
    },
  }),
  executeTool: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description: "Runs one of an assistant's tools for a live call, SMS or webhook.",
    errors: { types: TOOL_MUTATION_ERRORS, directResult: true, union: { name: 'ExecuteToolResult' } },
    args: { input: t.arg({ type: ExecuteToolInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const actor = actorOf(context);
      return context.services.engine.run({
        organizationId: actor.organizationId,
        assistantId: String(input.assistantId),
        toolName: input.toolName,
        parameters: parametersOf(input.parameters),
        context: contextOf(input.context, input.context?.triggerContext ?? 'call', input.toolCallId),
        actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
        idempotencyKey: input.idempotencyKey ?? null,
      });
    },
  }),
  // MEMBER at least; the engine then requires the tool's approver role (ADMIN unless the tool says otherwise).
  approveExecution: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description: 'Runs an execution waiting for approval and returns it finished.',
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'ApproveExecutionResult' } },
    args: { input: t.arg({ type: ExecutionIdInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.engine.approve(actorOf(context), String(input.id)),
  }),
  rejectExecution: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'RejectExecutionResult' } },
    args: { input: t.arg({ type: RejectExecutionInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.engine.reject(actorOf(context), String(input.id), input.reason ?? null),
  }),
  cancelExecution: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description: 'Cancels a running or pending execution; a finished one is a ConflictError.',
    errors: { types: MUTATION_ERRORS, directResult: true, union: { name: 'CancelExecutionResult' } },
    args: { input: t.arg({ type: ExecutionIdInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.engine.cancel(actorOf(context), String(input.id)),
  }),
}));
