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
  description: 'What a live run (executeTool) serves; a tool runs only in the contexts its allowedContexts lists.',
  values: {
    CALL: { value: 'call', description: 'A phone call in progress.' },
    SMS: { value: 'sms', description: 'An SMS conversation.' },
    WEBHOOK: { value: 'webhook', description: 'A server-to-server request outside a call.' },
  } as const,
});

const ExecutionContextInput = builder.inputType('ExecutionContextInput', {
  description:
    'The call a run belongs to, handed to the tool as `context` (each field at most 256 characters; empty means unknown).',
  fields: (t) => ({
    callSid: t.string({ description: "The telephony provider's call id (e.g. a Twilio CallSid)." }),
    phoneNumber: t.string({ description: "The assistant's phone number the call came in on or went out from." }),
    from: t.string({ description: 'The calling number, E.164 where known.' }),
    to: t.string({ description: 'The called number, E.164 where known.' }),
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
  description: 'A tool to run now, outside any assistant (testTool).',
  fields: (t) => ({
    toolId: t.id({ required: true, description: "The tool to run, of the viewer's organization." }),
    parameters: t.field({ type: 'JSON', description: 'The arguments object, as the LLM would send it.' }),
    context: t.field({
      type: ExecutionContextInput,
      description: 'Call details to pretend; all unknown when omitted.',
    }),
    draft: t.field({
      type: ToolDraftInput,
      description:
        "Run the tool as edited instead of as saved; the execution records the saved version's number. Left out: the saved tool runs.",
    }),
  }),
});

const ExecuteToolInput = builder.inputType('ExecuteToolInput', {
  description: "A call of one of an assistant's tools by name, as the voice platform makes it (executeTool).",
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant whose assigned tool (or built-in) is called.' }),
    toolName: t.string({
      required: true,
      description: 'The function name the LLM called (built-ins: endCall, transferCall).',
    }),
    parameters: t.field({
      type: 'JSON',
      description: "The arguments object the LLM sent; checked against the tool's parameter schema. Omitted means {}.",
    }),
    context: t.field({ type: ExecutionContextInput, description: 'The call this run belongs to.' }),
    toolCallId: t.string({ description: 'The LLM tool call id: the same (call, tool call id) executes once.' }),
    idempotencyKey: t.string({ description: 'Overrides the (call, tool call id) key.' }),
  }),
});

const ExecutionIdInput = builder.inputType('ExecutionIdInput', {
  description: "Names one execution of the viewer's organization.",
  fields: (t) => ({ id: t.id({ required: true, description: 'The execution id.' }) }),
});
const RejectExecutionInput = builder.inputType('RejectExecutionInput', {
  description: 'An execution waiting for approval to refuse, and why.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The PENDING_APPROVAL execution.' }),
    reason: t.string({
      description: "Why, shown in the execution's errorMessage (first 500 characters); optional.",
    }),
  }),
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
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: { name: 'TestToolResult', description: 'The execution (whatever its status), or why it could not start.' },
    },
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
    errors: {
      types: TOOL_MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'ExecuteToolResult',
        description: 'The execution (whatever its status), or why it could not start.',
      },
    },
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
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'ApproveExecutionResult',
        description: 'The execution after it ran, or why it could not be approved.',
      },
    },
    args: { input: t.arg({ type: ExecutionIdInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.engine.approve(actorOf(context), String(input.id)),
  }),
  rejectExecution: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description:
      "Refuses an execution waiting for approval (the tool's approver role): it ends REJECTED without running.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'RejectExecutionResult', description: 'The rejected execution, or why it could not be rejected.' },
    },
    args: { input: t.arg({ type: RejectExecutionInput, required: true }) },
    resolve: (_root, { input }, context) =>
      context.services.engine.reject(actorOf(context), String(input.id), input.reason ?? null),
  }),
  cancelExecution: t.field({
    type: ToolExecutionRef,
    authScopes: { role: 'MEMBER' },
    description: 'Cancels a running or pending execution; a finished one is a ConflictError.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'CancelExecutionResult',
        description: 'The cancelled execution, or why it could not be cancelled.',
      },
    },
    args: { input: t.arg({ type: ExecutionIdInput, required: true }) },
    resolve: (_root, { input }, context) => context.services.engine.cancel(actorOf(context), String(input.id)),
  }),
}));
