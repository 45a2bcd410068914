/**
 * An assistant's tools as the LLM sees them: OpenAI function definitions in
 * execution order, with the spoken messages voice runtimes need.
 *
 * What an assignment may change in a definition: only the description
 * (`customConfiguration.function_description`) and the spoken messages
 * (`AssistantTool.messages`, merged key by key over the tool's). The name and
 * the parameters never change per assistant: the engine resolves calls by name
 * and validates arguments against the tool's own schema, so a definition that
 * differed there would invite calls the engine refuses.
 */
import type { Prisma } from '../db/database.ts';
import type { ToolType } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { builtinEnabled, builtinFunctionDefinition, type BuiltinName } from '../executions/builtins.ts';
import type { JsonObject, JsonValue, TriggerContext } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { TRIGGER_CONTEXTS } from '../tools/limits.ts';
import { createLatencyStats, servedMessages, type LatencyOf } from '../tools/filler-timing.ts';
import { mergeToolMessages, type ServedToolMessages } from '../tools/tool-messages.ts';
import { deepMerge } from '../executions/deep-merge.ts';
import { executionMode, type ExecutionMode } from '../executions/tool-settings.ts';
import { toolTypeEnabled } from '../organizations/feature-flags.ts';
import { qualifiesForStrict } from './openai-strict.ts';

export interface OpenAIFunction {
  name: string;
  description: string;
  parameters: JsonObject;
  /** Present (true) when the parameters qualify for OpenAI strict mode as they are (openai-strict.ts). */
  strict?: true;
}

export interface ToolDefinition {
  type: 'function';
  function: OpenAIFunction;
  /** With `requestDelayed.afterMs: "auto"` resolved from the tool's observed latency. */
  messages: ServedToolMessages | null;
  source: 'TOOL' | 'BUILTIN';
  toolId: string | null;
  assignmentId: string | null;
  /** From the tool's configuration with the assignment's override laid over it, as the engine sees it. */
  executionMode: ExecutionMode;
  /** The tool's display name, for clients that show one (MCP `title`). */
  title: string | null;
  toolType: ToolType | 'BUILTIN';
  /** The effective configuration (the assignment's override laid over the tool's); never sent as it is. */
  configuration: JsonObject;
}

const BUILTINS: BuiltinName[] = ['endCall', 'transferCall'];

export function parseTriggerContext(value: string | null | undefined, field = 'context'): TriggerContext {
  const context = value ?? 'call';
  if (!(TRIGGER_CONTEXTS as readonly string[]).includes(context)) {
    throw new ValidationError([{ field, message: `must be one of ${TRIGGER_CONTEXTS.join(', ')}` }]);
  }
  return context as TriggerContext;
}

function openAIFunction(name: string, definition: unknown, descriptionOverride: unknown): OpenAIFunction {
  const stored = isJsonObject(definition) ? definition : {};
  const parameters = isJsonObject(stored.parameters) ? stored.parameters : { type: 'object', properties: {} };
  const override =
    typeof descriptionOverride === 'string' && descriptionOverride.trim() !== '' ? descriptionOverride : null;
  const description = override ?? (typeof stored.description === 'string' ? stored.description : '');
  return qualifiesForStrict(parameters)
    ? { name, description, parameters, strict: true }
    : { name, description, parameters };
}

/** One latency cache per database (an app, or a test's app). */
const latencyByDatabase = new WeakMap<Prisma, LatencyOf>();

function latencyStats(prisma: Prisma): LatencyOf {
  let stats = latencyByDatabase.get(prisma);
  if (!stats) {
    stats = createLatencyStats(prisma);
    latencyByDatabase.set(prisma, stats);
  }
  return stats;
}

/** Only tools the engine would run in this context: active, enabled for the assistant, allowed here, of an enabled type. */
export async function assistantToolDefinitions(
  prisma: Prisma,
  organizationId: string,
  assistantId: string,
  context: TriggerContext,
  latencyOf: LatencyOf = latencyStats(prisma),
): Promise<ToolDefinition[]> {
  const assistant = await prisma.assistant.findFirst({
    where: { id: uuidOrNil(assistantId), organizationId },
    select: {
      toolsSettings: true,
      organization: { select: { featureFlags: true } },
      toolAssignments: {
        where: { enabled: true, tool: { isActive: true, archivedAt: null, allowedContexts: { has: context } } },
        orderBy: [{ executionOrder: 'asc' }, { createdAt: 'asc' }],
        include: { tool: true },
      },
    },
  });
  if (!assistant) throw new NotFoundError('Assistant');
  const assignments = assistant.toolAssignments.filter((assignment) =>
    toolTypeEnabled(assistant.organization.featureFlags, assignment.tool.type),
  );
  const definitions: ToolDefinition[] = await Promise.all(
    assignments.map(async (assignment): Promise<ToolDefinition> => {
      const custom = isJsonObject(assignment.customConfiguration as JsonValue)
        ? (assignment.customConfiguration as JsonObject)
        : {};
      const configuration = deepMerge(
        isJsonObject(assignment.tool.configuration as JsonValue) ? (assignment.tool.configuration as JsonObject) : {},
        custom,
      );
      return {
        type: 'function',
        function: openAIFunction(assignment.tool.name, assignment.tool.functionDefinition, custom.function_description),
        messages: await servedMessages(
          mergeToolMessages(assignment.tool.messages, assignment.messages),
          assignment.tool.id,
          latencyOf,
        ),
        source: 'TOOL',
        toolId: assignment.tool.id,
        assignmentId: assignment.id,
        executionMode: executionMode(configuration),
        title: assignment.tool.displayName ?? null,
        toolType: assignment.tool.type,
        configuration,
      };
    }),
  );
  const assigned = new Set(assistant.toolAssignments.map((assignment) => assignment.tool.name));
  const settings = assistant.toolsSettings as JsonValue;
  for (const name of BUILTINS) {
    // An assigned tool of the same name wins in the engine, so the built-in is not offered beside it.
    if (assigned.has(name) || !builtinEnabled(settings, name)) continue;
    const definition = builtinFunctionDefinition(name, settings);
    definitions.push({
      type: 'function',
      function: openAIFunction(name, definition, null),
      messages: null,
      source: 'BUILTIN',
      toolId: null,
      assignmentId: null,
      executionMode: 'sync',
      title: null,
      toolType: 'BUILTIN',
      configuration: {},
    });
  }
  return definitions;
}

/** Exactly what OpenAI's `tools` parameter accepts. */
export function openAITools(definitions: ToolDefinition[]): Array<{ type: 'function'; function: OpenAIFunction }> {
  return definitions.map((definition) => ({ type: 'function', function: definition.function }));
}
