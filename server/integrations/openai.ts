/**
 * OpenAI tool calling as an API (the seed's `get_all_tools()` and
 * `_handle_tool_call()`), in both of OpenAI's forms: the `tool_calls` of a Chat
 * Completions message in, the `{ role: "tool", tool_call_id, content }`
 * messages to append out; or a Responses API response's `output` items in
 * (its `{ type: "function_call", call_id, name, arguments }` items run, other
 * items are skipped), the `{ type: "function_call_output", call_id, output }`
 * items for the next request's `input` out.
 */
import type { Prisma } from '../db/database.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { assistantToolDefinitions, type ToolDefinition } from './tool-definitions.ts';
import {
  runToolCalls,
  type CallContext,
  type RunnerDeps,
  type ToolCallOutcome,
  type ToolCallRequest,
} from './tool-call-runner.ts';

export interface OpenAIToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

/** A Responses API input item carrying a function's result. */
export interface OpenAIFunctionCallOutput {
  type: 'function_call_output';
  call_id: string;
  output: string;
}

export interface HandleToolCallsInput {
  organizationId: string;
  actor: { userId: string | null; apiKeyId: string | null };
  assistantId: string;
  context: CallContext;
  /** Chat Completions: the assistant message's `tool_calls`. */
  toolCalls?: unknown;
  /** Responses API: the response's `output` items. Exactly one of the two is given. */
  responseOutput?: unknown;
}

export interface HandleToolCallsResult {
  /** Chat Completions tool messages (empty for the Responses form). */
  messages: OpenAIToolMessage[];
  /** Responses API `function_call_output` items (empty for the Chat Completions form). */
  inputItems: OpenAIFunctionCallOutput[];
  outcomes: ToolCallOutcome[];
}

/** What the model reads: the result on success, else why it failed and what to do. */
export function toolMessageContent(outcome: ToolCallOutcome): string {
  if (outcome.ok) return JSON.stringify(outcome.result);
  return JSON.stringify({ success: false, error: outcome.error });
}

/** Lenient about each entry (a bad one becomes an explanatory message), strict about the envelope. */
function parseToolCalls(value: unknown): ToolCallRequest[] {
  if (!Array.isArray(value))
    throw new ValidationError([
      { field: 'toolCalls', message: 'must be the tool_calls array of an assistant message' },
    ]);
  return value.map((entry: unknown, index) => {
    const call = isJsonObject(entry as JsonValue) ? (entry as Record<string, JsonValue>) : {};
    const fn = isJsonObject(call.function) ? call.function : {};
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_missing_id_${index}`;
    return { toolCallId: id, name: typeof fn.name === 'string' ? fn.name : '', arguments: fn.arguments };
  });
}

/** The response's `function_call` items; reasoning, messages and other items need no answer here. */
function parseResponseOutput(value: unknown): ToolCallRequest[] {
  if (!Array.isArray(value))
    throw new ValidationError([
      { field: 'responseOutput', message: 'must be the output array of a Responses API response' },
    ]);
  const calls: ToolCallRequest[] = [];
  value.forEach((entry: unknown, index) => {
    const item = isJsonObject(entry as JsonValue) ? (entry as Record<string, JsonValue>) : {};
    if (item.type !== 'function_call') return;
    const id = typeof item.call_id === 'string' && item.call_id !== '' ? item.call_id : `call_missing_id_${index}`;
    calls.push({ toolCallId: id, name: typeof item.name === 'string' ? item.name : '', arguments: item.arguments });
  });
  return calls;
}

function requestedForm(input: HandleToolCallsInput): 'chat' | 'responses' {
  const chat = input.toolCalls !== undefined && input.toolCalls !== null;
  const responses = input.responseOutput !== undefined && input.responseOutput !== null;
  if (chat === responses) {
    throw new ValidationError([
      {
        field: 'toolCalls',
        message: 'give either toolCalls (Chat Completions tool_calls) or responseOutput (a Responses API output array)',
      },
    ]);
  }
  return chat ? 'chat' : 'responses';
}

export async function handleToolCalls(
  prisma: Prisma,
  deps: RunnerDeps,
  input: HandleToolCallsInput,
): Promise<HandleToolCallsResult> {
  const form = requestedForm(input);
  const calls = form === 'chat' ? parseToolCalls(input.toolCalls) : parseResponseOutput(input.responseOutput);
  const assistant = await prisma.assistant.findFirst({
    where: { id: uuidOrNil(input.assistantId), organizationId: input.organizationId },
    select: { id: true },
  });
  if (!assistant) throw new NotFoundError('Assistant');
  const outcomes = await runToolCalls(
    deps,
    {
      organizationId: input.organizationId,
      assistantId: assistant.id,
      actor: input.actor,
      context: input.context,
      availableTools: async () =>
        (await assistantToolDefinitions(prisma, input.organizationId, assistant.id, input.context.triggerContext)).map(
          (d) => d.function.name,
        ),
    },
    calls,
  );
  if (form === 'responses') {
    const inputItems = outcomes.map((outcome) => ({
      type: 'function_call_output' as const,
      call_id: outcome.toolCallId ?? '',
      output: toolMessageContent(outcome),
    }));
    return { messages: [], inputItems, outcomes };
  }
  const messages = outcomes.map((outcome) => ({
    role: 'tool' as const,
    tool_call_id: outcome.toolCallId ?? '',
    content: toolMessageContent(outcome),
  }));
  return { messages, inputItems: [], outcomes };
}

/** A Responses API function tool: the Chat Completions definition flattened (`{ type, name, description, parameters, strict }`). */
export interface OpenAIResponsesTool {
  type: 'function';
  name: string;
  description: string;
  parameters: JsonObject;
  strict: boolean;
}

export function responsesTools(definitions: ToolDefinition[]): OpenAIResponsesTool[] {
  return definitions.map(({ function: fn }) => ({
    type: 'function',
    name: fn.name,
    description: fn.description,
    parameters: fn.parameters,
    strict: fn.strict === true,
  }));
}
