/**
 * Executions that wait for a callback: a Lambda Event invocation stays RUNNING
 * (with `awaiting_callback_until`) until the function POSTs its result, its
 * deadline passes (TIMEOUT) or its call hangs up (CANCELLED / CALL_ENDED unless
 * `continue_after_hangup`). Every transition is one conditional UPDATE, so a
 * second callback, a racing sweep or a hangup never overwrite one another.
 */
import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { storableJson } from '../db/storable-text.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { toToolResult } from '../executors/code.ts';
import type { JsonValue } from '../executors/types.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { publishEvent } from './execution-recorder.ts';
import { createNormalizer, type OutputLimits } from './result-normalizer.ts';

export interface CallbackReport {
  status: 'success' | 'error';
  result: JsonValue;
  error: string | null;
}

/** `{"status": "success" | "error", "result": any, "error": "…"}`. */
export function parseCallbackReport(body: JsonValue): CallbackReport {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  const { status, result, error } = body;
  if (status !== 'success' && status !== 'error')
    throw new ValidationError([{ field: 'status', message: 'must be "success" or "error"' }]);
  if (error !== undefined && error !== null && typeof error !== 'string')
    throw new ValidationError([{ field: 'error', message: 'must be a string' }]);
  return { status, result: result ?? null, error: error ?? null };
}

/** The execution is RUNNING but not (yet) awaiting its callback: its invocation's answer may still be being recorded. */
export class NotAwaitingYetError extends ConflictError {
  override name = 'NotAwaitingYetError';
}

export interface CallbackDeps {
  prisma: Prisma;
  pubsub: SwitchboardPubSub;
  output: OutputLimits;
  now: () => Date;
}

function existingLogs(row: ToolExecution): string[] {
  return Array.isArray(row.logs) ? row.logs.filter((line): line is string => typeof line === 'string') : [];
}

/** Finishes an execution awaiting its callback; ConflictError when it is not (finished already, or never waited). */
export async function settleCallback(
  deps: CallbackDeps,
  executionId: string,
  report: CallbackReport,
  /** The progress lines not in the row yet; read once the execution is known to await its callback. */
  takeProgress: () => string[],
): Promise<ToolExecution> {
  const row = await deps.prisma.toolExecution.findUnique({ where: { id: executionId } });
  if (!row) throw new NotFoundError('Execution');
  if (row.status === 'RUNNING' && row.awaitingCallbackUntil === null)
    throw new NotAwaitingYetError('the execution is not awaiting a callback', 'status');
  if (row.status !== 'RUNNING') throw new ConflictError('the execution is not awaiting a callback', 'status');
  const normalizer = createNormalizer([], deps.output);
  let fields: Pick<ToolExecution, 'status' | 'errorCode' | 'errorMessage'> & { outputResult: JsonValue };
  if (report.status === 'success') {
    const converted = toToolResult(report.result);
    if (typeof converted === 'string') throw new ValidationError([{ field: 'result', message: converted }]);
    fields = {
      status: 'SUCCESS',
      errorCode: null,
      errorMessage: null,
      outputResult: { ...normalizer.result(converted) },
    };
  } else {
    const message = normalizer.error(report.error ?? 'The function reported an error');
    fields = {
      status: 'ERROR',
      errorCode: 'FUNCTION_ERROR',
      errorMessage: message,
      outputResult: { success: false, message, data: null },
    };
  }
  const completedAt = deps.now();
  const logs = normalizer.logs([...existingLogs(row), ...takeProgress(), `[callback] ${report.status}`]);
  const { count } = await deps.prisma.toolExecution.updateMany({
    where: { id: executionId, status: 'RUNNING', awaitingCallbackUntil: { not: null } },
    data: {
      ...fields,
      outputResult: storableJson(fields.outputResult) as object,
      ...(logs && { logs: storableJson(logs) }),
      completedAt,
      durationMs: Math.max(0, completedAt.getTime() - row.startedAt.getTime()),
      awaitingCallbackUntil: null,
    },
  });
  if (count !== 1) throw new ConflictError('the execution is not awaiting a callback', 'status');
  const finished: ToolExecution = {
    ...row,
    ...fields,
    logs: logs ?? row.logs,
    completedAt,
    durationMs: Math.max(0, completedAt.getTime() - row.startedAt.getTime()),
    awaitingCallbackUntil: null,
  };
  publishEvent(deps.pubsub, 'finished', finished, completedAt);
  return finished;
}

/** Appends progress lines to the log of an execution that awaits its callback (nothing else writes it meanwhile). */
export async function appendAwaitingLogs(prisma: Prisma, executionId: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await prisma.$executeRaw`
    UPDATE "tool_execution_logs"
    SET "logs" = COALESCE("logs", '[]'::jsonb) || ${JSON.stringify(storableJson(lines))}::jsonb
    WHERE "id" = ${executionId}::uuid AND "status" = 'RUNNING' AND "awaiting_callback_until" IS NOT NULL`;
}

const CALLBACK_TIMEOUT_MESSAGE = 'The function did not report its result before the callback deadline';
const CALL_ENDED_MESSAGE = 'The call has ended';

/**
 * Ends awaiting executions: those past their deadline (TIMEOUT), or those of
 * `callId` that do not outlive a hangup (CANCELLED / CALL_ENDED). Returns the rows moved.
 */
async function endAwaiting(
  deps: Pick<CallbackDeps, 'prisma' | 'pubsub'>,
  at: Date,
  which: { overdue: true } | { callId: string },
): Promise<ToolExecution[]> {
  const callId = 'callId' in which ? which.callId : null;
  const [status, code, message] =
    callId === null
      ? (['TIMEOUT', 'TIMEOUT', CALLBACK_TIMEOUT_MESSAGE] as const)
      : (['CANCELLED', 'CALL_ENDED', CALL_ENDED_MESSAGE] as const);
  const moved = await deps.prisma.$queryRaw<{ id: string }[]>`
    UPDATE "tool_execution_logs"
    SET "status" = ${status}::"ExecutionStatus", "error_code" = ${code}, "error_message" = ${message},
        "output_result" = jsonb_build_object('success', false, 'message', ${message}::text, 'data', NULL),
        "completed_at" = ${at}, "awaiting_callback_until" = NULL,
        "duration_ms" = GREATEST(0, (EXTRACT(EPOCH FROM (${at}::timestamptz - "started_at")) * 1000)::int)
    WHERE "status" = 'RUNNING' AND "awaiting_callback_until" IS NOT NULL
      AND (CASE WHEN ${callId}::uuid IS NULL THEN "awaiting_callback_until" <= ${at}
                ELSE "call_id" = ${callId}::uuid AND NOT "callback_after_hangup" END)
    RETURNING "id"`;
  if (moved.length === 0) return [];
  const rows = await deps.prisma.toolExecution.findMany({ where: { id: { in: moved.map((row) => row.id) } } });
  for (const row of rows) publishEvent(deps.pubsub, 'finished', row, at);
  return rows;
}

export function expireCallbacks(deps: Pick<CallbackDeps, 'prisma' | 'pubsub'>, at: Date): Promise<ToolExecution[]> {
  return endAwaiting(deps, at, { overdue: true });
}

export function cancelAwaitingCallbacks(
  deps: Pick<CallbackDeps, 'prisma' | 'pubsub'>,
  callId: string,
  at: Date,
): Promise<ToolExecution[]> {
  return endAwaiting(deps, at, { callId });
}
