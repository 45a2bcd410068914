/**
 * One LLM tool call → one engine run → one outcome every adapter can render
 * (an OpenAI tool message, a Vapi result, a Retell response, an MCP result).
 * Nothing a model or platform sends can fail the whole request: bad
 * arguments, unknown names, refusals and failures all become outcomes that
 * explain the problem in words the model can act on.
 */
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { FeatureDisabledError, NotFoundError, ValidationError } from '../errors.ts';
import type { ExecutionEngine, ExecutionRequestContext } from '../executions/engine.ts';
import type { JsonObject, JsonValue, TriggerContext } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { DEFAULT_ACKNOWLEDGEMENT, queuedResult } from './async-acknowledgement.ts';
import { JSON_DEPTH_MESSAGE, nestsDeeperThan } from '../json-depth.ts';

export interface CallContext {
  triggerContext: TriggerContext;
  callSid?: string | null;
  phoneNumber?: string | null;
  from?: string | null;
  to?: string | null;
  platform?: ExecutionRequestContext['platform'];
}

export interface ToolCallRequest {
  toolCallId: string | null;
  name: string;
  /** A JSON string (OpenAI), an object (Vapi, Retell, MCP) or nothing. */
  arguments: unknown;
  /** An explicit idempotency key (MCP tasks find their execution by it while it runs). */
  idempotencyKey?: string | null;
}

export interface ToolCallOutcome {
  toolCallId: string | null;
  name: string;
  ok: boolean;
  /** The execution's status, or null when nothing was run (bad arguments, unknown tool). */
  status: string | null;
  executionId: string | null;
  /** `{ success, message, data }` on success. */
  result: JsonValue | null;
  /** One line explaining the failure to the model. */
  error: string | null;
}

export interface RunnerDeps {
  engine: Pick<ExecutionEngine, 'run'>;
  /** The spoken acknowledgement of a queued (async) execution; the default one when absent. */
  acknowledgement?(row: ToolExecution): Promise<string>;
  onError?(error: unknown): void;
}

export interface ToolCallBatch {
  organizationId: string;
  assistantId: string;
  actor: { userId: string | null; apiKeyId: string | null };
  context: CallContext;
  /** Lists the assistant's tool names, for the "unknown tool" explanation. */
  availableTools(): Promise<string[]>;
}

/** Enough for any real turn; a model asking for more is looping. */
export const MAX_TOOL_CALLS_PER_REQUEST = 32;
export const MAX_CONTEXT_FIELD_LENGTH = 256;

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function checkCallContext(context: CallContext): ExecutionRequestContext {
  const fields = { callSid: context.callSid, phoneNumber: context.phoneNumber, from: context.from, to: context.to };
  const issues = Object.entries(fields)
    .filter(([, value]) => typeof value === 'string' && value.length > MAX_CONTEXT_FIELD_LENGTH)
    .map(([field]) => ({
      field: `context.${field}`,
      message: `must be at most ${MAX_CONTEXT_FIELD_LENGTH} characters`,
    }));
  if (issues.length) throw new ValidationError(issues);
  return {
    triggerContext: context.triggerContext,
    callSid: context.callSid || null,
    phoneNumber: context.phoneNumber || null,
    from: context.from || null,
    to: context.to || null,
    platform: context.platform ?? null,
  };
}

type Parsed = { ok: true; parameters: JsonObject } | { ok: false; error: string };

export function parseArguments(name: string, raw: unknown): Parsed {
  if (raw === undefined || raw === null || raw === '') return { ok: true, parameters: {} };
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return {
        ok: false,
        error: `The arguments for "${name}" are not valid JSON (${oneLine((error as Error).message)}). Call it again with a JSON object that matches its parameters.`,
      };
    }
  }
  if (nestsDeeperThan(value)) {
    return {
      ok: false,
      error: `The arguments for "${name}" are nested too deeply (${JSON_DEPTH_MESSAGE}). Call it again with flatter arguments.`,
    };
  }
  if (!isJsonObject(value)) {
    return {
      ok: false,
      error: `The arguments for "${name}" must be a JSON object of named parameters. Call it again with an object.`,
    };
  }
  return { ok: true, parameters: value as JsonObject };
}

/** The outcome a finished (or pending, or queued) execution gives the model. */
export async function fromExecution(
  deps: Pick<RunnerDeps, 'acknowledgement'>,
  call: ToolCallRequest,
  row: ToolExecution,
): Promise<ToolCallOutcome> {
  const base = { toolCallId: call.toolCallId, name: call.name, status: row.status, executionId: row.id };
  if (row.status === 'SUCCESS') return { ...base, ok: true, result: row.outputResult as JsonValue, error: null };
  // A repeat of an async tool call that a worker already took is acknowledged like the first.
  if (row.status === 'QUEUED' || (row.status === 'RUNNING' && row.queuedAt)) {
    const acknowledgement = (await deps.acknowledgement?.(row)) ?? DEFAULT_ACKNOWLEDGEMENT;
    return { ...base, ok: true, result: queuedResult(row, acknowledgement), error: null };
  }
  if (row.status === 'PENDING_APPROVAL') {
    return {
      ...base,
      ok: false,
      result: null,
      error: `"${call.name}" needs a person to approve it before it runs; it has been submitted for approval. Tell the caller it is being reviewed and do not call it again.`,
    };
  }
  if (row.status === 'RUNNING' && row.awaitingCallbackUntil !== null) {
    // Accepted by the function, which reports its result later: answered like an accepted async tool.
    return {
      ...base,
      ok: true,
      result: {
        success: true,
        message: `"${call.name}" has started; its result will follow.`,
        data: { executionId: row.id, status: row.status },
      },
      error: null,
    };
  }
  if (row.status === 'RUNNING') {
    return {
      ...base,
      ok: false,
      result: null,
      error: `"${call.name}" is still running from an earlier identical request; do not call it again.`,
    };
  }
  const message = row.errorMessage ?? `The tool "${call.name}" failed (${row.status}).`;
  return { ...base, ok: false, result: null, error: oneLine(message) };
}

function failure(call: ToolCallRequest, error: string): ToolCallOutcome {
  return {
    toolCallId: call.toolCallId,
    name: call.name,
    ok: false,
    status: null,
    executionId: null,
    result: null,
    error: oneLine(error),
  };
}

async function runOne(
  deps: RunnerDeps,
  batch: ToolCallBatch,
  context: ExecutionRequestContext,
  call: ToolCallRequest,
): Promise<ToolCallOutcome> {
  if (typeof call.name !== 'string' || call.name === '') return failure(call, 'The tool call has no function name.');
  const parsed = parseArguments(call.name, call.arguments);
  if (!parsed.ok) return failure(call, parsed.error);
  try {
    const row = await deps.engine.run({
      organizationId: batch.organizationId,
      assistantId: batch.assistantId,
      toolName: call.name,
      parameters: parsed.parameters,
      context: {
        ...context,
        toolCallId: call.toolCallId && call.toolCallId.length <= MAX_CONTEXT_FIELD_LENGTH ? call.toolCallId : null,
      },
      actor: batch.actor,
      idempotencyKey: call.idempotencyKey ?? null,
    });
    return await fromExecution(deps, call, row);
  } catch (error) {
    if (error instanceof NotFoundError) {
      const names = await batch.availableTools().catch(() => []);
      return failure(
        call,
        `There is no tool named "${call.name.slice(0, 100)}" for this assistant.` +
          (names.length ? ` Available tools: ${names.join(', ')}.` : ' This assistant has no tools.'),
      );
    }
    if (error instanceof FeatureDisabledError)
      return failure(call, `The tool "${call.name}" cannot be used right now: ${error.message}.`);
    if (error instanceof ValidationError)
      return failure(call, `The tool "${call.name}" could not run: ${error.message}`);
    throw error;
  }
}

/** Runs independent calls in parallel; outcomes come back in the order of `calls`. */
export async function runToolCalls(
  deps: RunnerDeps,
  batch: ToolCallBatch,
  calls: ToolCallRequest[],
): Promise<ToolCallOutcome[]> {
  if (calls.length > MAX_TOOL_CALLS_PER_REQUEST) {
    throw new ValidationError([
      { field: 'toolCalls', message: `at most ${MAX_TOOL_CALLS_PER_REQUEST} tool calls per request` },
    ]);
  }
  const context = checkCallContext(batch.context);
  return Promise.all(
    calls.map((call) =>
      runOne(deps, batch, context, call).catch((error: unknown) => {
        // An engine fault on one call must not take the other calls' answers with it.
        deps.onError?.(error);
        return failure(
          call,
          `The tool "${call.name}" failed unexpectedly. Tell the caller it is unavailable right now.`,
        );
      }),
    ),
  );
}
