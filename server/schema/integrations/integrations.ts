import { setAssistantRetellKey, setAssistantServerSecret } from '../../integrations/assistant-secrets.ts';
import { migrateAssistantLegacyTools, type LegacyMigrationReport } from '../../integrations/legacy-tools.ts';
import { handleToolCalls, type HandleToolCallsResult } from '../../integrations/openai.ts';
import {
  assistantToolDefinitions,
  parseTriggerContext,
  type ToolDefinition,
} from '../../integrations/tool-definitions.ts';
import type { ToolCallOutcome } from '../../integrations/tool-call-runner.ts';
import { NotFoundError } from '../../errors.ts';
import { setFeatureFlag } from '../../organizations/feature-flags.ts';
import { AssistantRef } from '../assistants/assistant.ts';
import { payloadAssistantField } from '../assistants/assistant-payload.ts';
import { builder } from '../builder.ts';
import { MUTATION_ERRORS } from '../errors.ts';
import { ToolTypeEnum } from '../tools/tool.ts';
import { actorOf } from '../viewer-actor.ts';

const TriggerContextEnum = builder.enumType('TriggerContext', {
  description: 'Where a tool call comes from.',
  values: {
    CALL: { value: 'call' },
    SMS: { value: 'sms' },
    WEBHOOK: { value: 'webhook' },
    TEST: { value: 'test' },
  } as const,
});

const ToolDefinitionSourceEnum = builder.enumType('ToolDefinitionSource', {
  description: 'Whether a definition is an organization tool or a built-in.',
  values: ['TOOL', 'BUILTIN'] as const,
});

const ToolDefinitionRef = builder.objectRef<ToolDefinition>('ToolDefinition').implement({
  description: 'One entry of OpenAI `tools`: `{ type, function }`, plus the spoken messages voice runtimes use.',
  fields: (t) => ({
    type: t.string({ resolve: (definition) => definition.type, description: 'Always function.' }),
    function: t.field({
      type: 'JSON',
      description: '{ name, description, parameters }',
      resolve: (definition) => definition.function,
    }),
    name: t.string({
      resolve: (definition) => definition.function.name,
      description: 'The function name (also in function.name).',
    }),
    messages: t.field({
      type: 'JSON',
      nullable: true,
      description:
        '{ requestStart, requestDelayed: { message, afterMs (ms, or "auto": resolved from observed latency) }, requestComplete, requestFailed }',
      resolve: (definition) => definition.messages,
    }),
    source: t.field({
      type: ToolDefinitionSourceEnum,
      resolve: (definition) => definition.source,
      description: 'A tool of the organization, or a built-in the assistant enables.',
    }),
    toolId: t.id({
      nullable: true,
      resolve: (definition) => definition.toolId,
      description: 'The tool; null for built-ins.',
    }),
    assignmentId: t.id({
      nullable: true,
      resolve: (definition) => definition.assignmentId,
      description: 'The assignment; null for built-ins.',
    }),
  }),
});

builder.queryFields((t) => ({
  assistantToolDefinitions: t.field({
    type: [ToolDefinitionRef],
    nullable: true,
    authScopes: { authenticated: true },
    description:
      "The assistant's tools as OpenAI function definitions, in execution order: active tools with enabled assignments allowed in the context, then the built-ins its settings enable. Null when the assistant does not exist (or belongs to another organization).",
    args: {
      assistantId: t.arg.id({ required: true }),
      context: t.arg({ type: TriggerContextEnum, defaultValue: 'call' }),
    },
    resolve: async (_root, args, context) => {
      try {
        return await assistantToolDefinitions(
          context.services.prisma,
          actorOf(context).organizationId,
          String(args.assistantId),
          parseTriggerContext(args.context),
        );
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },
  }),
}));

const ExecutionCallContextInput = builder.inputType('ToolCallContextInput', {
  description: 'The call tool calls come from; every field is optional.',
  fields: (t) => ({
    triggerContext: t.field({ type: TriggerContextEnum, description: 'Default CALL.' }),
    callSid: t.string({ description: 'Links the executions to a Call (created on first use).' }),
    phoneNumber: t.string({ description: "The assistant's phone number." }),
    from: t.string({ description: 'The calling number.' }),
    to: t.string({ description: 'The called number.' }),
  }),
});

const HandleToolCallsInput = builder.inputType('HandleToolCallsInput', {
  description: "A model's tool calls to run for an assistant.",
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant whose tools run.' }),
    context: t.field({ type: ExecutionCallContextInput, description: 'The call the tool calls belong to.' }),
    toolCalls: t.field({
      type: 'JSON',
      description:
        'Chat Completions: the `tool_calls` array of an assistant message: [{ id, type: "function", function: { name, arguments } }]. Give this or responseOutput.',
    }),
    responseOutput: t.field({
      type: 'JSON',
      description:
        'Responses API: the `output` array of a response; its { type: "function_call", call_id, name, arguments } items run, other items are skipped. Give this or toolCalls.',
    }),
  }),
});

const ToolCallOutcomeRef = builder.objectRef<ToolCallOutcome>('ToolCallOutcome').implement({
  description: 'What happened to one tool call.',
  fields: (t) => ({
    toolCallId: t.string({
      nullable: true,
      resolve: (outcome) => outcome.toolCallId,
      description: "The model's id for the call.",
    }),
    name: t.string({ resolve: (outcome) => outcome.name, description: 'The function name called.' }),
    ok: t.boolean({ resolve: (outcome) => outcome.ok, description: 'The tool ran and succeeded.' }),
    status: t.string({
      nullable: true,
      description: 'The execution status; null when nothing ran.',
      resolve: (outcome) => outcome.status,
    }),
    executionId: t.id({
      nullable: true,
      resolve: (outcome) => outcome.executionId,
      description: 'The execution; null when nothing ran.',
    }),
    result: t.field({
      type: 'JSON',
      nullable: true,
      resolve: (outcome) => outcome.result,
      description: 'The result { success, message, data }.',
    }),
    error: t.string({
      nullable: true,
      resolve: (outcome) => outcome.error,
      description: 'Why it failed, written for the model.',
    }),
  }),
});

const HandleToolCallsPayload = builder.objectRef<HandleToolCallsResult>('HandleToolCallsPayload').implement({
  description: 'The answers to give the model.',
  fields: (t) => ({
    messages: t.field({
      type: 'JSON',
      description:
        'Chat Completions: the messages to append to the conversation: [{ role: "tool", tool_call_id, content }], one per tool call, in order (empty for responseOutput).',
      resolve: (payload) => payload.messages,
    }),
    inputItems: t.field({
      type: 'JSON',
      description:
        'Responses API: the items to add to the next request\'s input: [{ type: "function_call_output", call_id, output }], one per function call, in order (empty for toolCalls).',
      resolve: (payload) => payload.inputItems,
    }),
    outcomes: t.field({
      type: [ToolCallOutcomeRef],
      resolve: (payload) => payload.outcomes,
      description: 'One per tool call, in order.',
    }),
  }),
});

const LegacySkipRef = builder.objectRef<{ name: string; reason: string }>('LegacyToolSkip').implement({
  description: 'A legacy tool entry that was not migrated.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Its name.' }),
    reason: t.exposeString('reason', { description: 'Why it was skipped.' }),
  }),
});

const LegacyMigrationReportRef = builder.objectRef<LegacyMigrationReport>('LegacyMigrationReport').implement({
  description: 'What migrateLegacyToolSettings did.',
  fields: (t) => ({
    assistantId: t.exposeID('assistantId', { description: 'The assistant migrated.' }),
    created: t.exposeStringList('created', { description: 'Tools created and assigned.' }),
    reused: t.exposeStringList('reused', {
      description: 'Identical tools that already existed (assigned if they were not).',
    }),
    skipped: t.field({
      type: [LegacySkipRef],
      resolve: (report) => report.skipped,
      description: 'Legacy entries not migrated, with why.',
    }),
  }),
});

const AssistantIdInput = builder.inputType('AssistantIdInput', {
  description: 'An assistant.',
  fields: (t) => ({ assistantId: t.id({ required: true, description: 'The assistant.' }) }),
});

const SetFeatureFlagInput = builder.inputType('SetFeatureFlagInput', {
  description: 'A tool type to turn on or off.',
  fields: (t) => ({
    toolType: t.field({ type: ToolTypeEnum, required: true, description: 'The tool type.' }),
    enabled: t.boolean({ required: true, description: 'On or off.' }),
  }),
});

const SetAssistantRetellKeyInput = builder.inputType('SetAssistantRetellKeyInput', {
  description: 'The Retell API key of an assistant.',
  fields: (t) => ({
    assistantId: t.id({ required: true, description: 'The assistant.' }),
    apiKey: t.string({ description: 'The Retell API key with the webhook badge; null stops verifying signatures.' }),
  }),
});

const ServerSecretPayload = builder
  .objectRef<{ assistant: { id: string }; secret: string }>('AssistantServerSecret')
  .implement({
    description: 'A new server secret, shown once.',
    fields: (t) => ({
      assistant: payloadAssistantField(t),
      secret: t.exposeString('secret', {
        description:
          'Shown once. Configure it in Vapi as the server credential (Bearer) or X-Vapi-Secret, or send it from Retell as Authorization: Bearer.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  handleToolCalls: t.field({
    type: HandleToolCallsPayload,
    authScopes: { role: 'MEMBER' },
    description:
      "Runs an OpenAI message's tool_calls in parallel through the engine. Bad arguments, unknown tools and failures become tool messages that explain the problem; they never fail the request.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: {
        name: 'HandleToolCallsResult',
        description: 'The answers for the model, or why the request was refused.',
      },
    },
    args: { input: t.arg({ type: HandleToolCallsInput, required: true }) },
    resolve: (_root, { input }, context) => {
      const actor = actorOf(context);
      return handleToolCalls(
        context.services.prisma,
        {
          engine: context.services.engine,
          onError: (error) => context.services.logger.error({ err: error }, 'tool call failed'),
        },
        {
          organizationId: actor.organizationId,
          actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
          assistantId: String(input.assistantId),
          context: { ...input.context, triggerContext: parseTriggerContext(input.context?.triggerContext) },
          toolCalls: input.toolCalls,
          responseOutput: input.responseOutput,
        },
      );
    },
  }),
  migrateLegacyToolSettings: t.field({
    type: LegacyMigrationReportRef,
    authScopes: { role: 'ADMIN' },
    description: "Turns the assistant's legacy toolsSettings.custom_tools into tools and assignments. Idempotent.",
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'MigrateLegacyToolSettingsResult', description: 'The report, or why it failed.' },
    },
    args: { input: t.arg({ type: AssistantIdInput, required: true }) },
    resolve: (_root, { input }, context) =>
      migrateAssistantLegacyTools(context.services, actorOf(context), String(input.assistantId)),
  }),
  setFeatureFlag: t.prismaField({
    type: 'Organization',
    authScopes: { role: 'ADMIN' },
    description: 'Turns a tool type on or off for the organization. A type without a flag is on.',
    args: { input: t.arg({ type: SetFeatureFlagInput, required: true }) },
    resolve: async (query, _root, { input }, context) => {
      const updated = await setFeatureFlag(context.services.prisma, actorOf(context), input.toolType, input.enabled);
      return context.services.prisma.organization.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
  setAssistantServerSecret: t.field({
    type: ServerSecretPayload,
    authScopes: { role: 'ADMIN' },
    description: 'Creates (or rotates) the secret Vapi and Retell present on /v1/vapi and /v1/retell. Shown once.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SetAssistantServerSecretResult', description: 'The new secret, or why not.' },
    },
    args: { input: t.arg({ type: AssistantIdInput, required: true }) },
    resolve: (_root, { input }, context) =>
      setAssistantServerSecret(context.services, actorOf(context), String(input.assistantId)),
  }),
  setAssistantRetellKey: t.field({
    type: AssistantRef,
    authScopes: { role: 'ADMIN' },
    description: 'Stores (encrypted) the Retell API key used to verify x-retell-signature on /v1/retell.',
    errors: {
      types: MUTATION_ERRORS,
      directResult: true,
      union: { name: 'SetAssistantRetellKeyResult', description: 'The assistant, or why not.' },
    },
    args: { input: t.arg({ type: SetAssistantRetellKeyInput, required: true }) },
    resolve: (_root, { input }, context) =>
      setAssistantRetellKey(context.services, actorOf(context), String(input.assistantId), input.apiKey ?? null),
  }),
}));
