/**
 * OpenAI tool calling as an API (the seed's `get_all_tools()` and
 * `_handle_tool_call()`): the `tool_calls` of a chat completion message in,
 * the `{ role: "tool", tool_call_id, content }` messages to append out.
 */
import type { Prisma } from '../db/database.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { assistantToolDefinitions } from './tool-definitions.ts';
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

export interface HandleToolCallsInput {
  organizationId: string;
  actor: { userId: string | null; apiKeyId: string | null };
  assistantId: string;
  context: CallContext;
  toolCalls: unknown;
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

export async function handleToolCalls(
  prisma: Prisma,
  deps: RunnerDeps,
  input: HandleToolCallsInput,
): Promise<{ messages: OpenAIToolMessage[]; outcomes: ToolCallOutcome[] }> {
  const calls = parseToolCalls(input.toolCalls);
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
  const messages = outcomes.map((outcome) => ({
    role: 'tool' as const,
    tool_call_id: outcome.toolCallId ?? '',
    content: toolMessageContent(outcome),
  }));
  return { messages, outcomes };
}
