/**
 * Everything the engine writes: execution rows (insert once, finish once,
 * both conditional so two deciders can never both win), the tool's counters,
 * the Call row, and the events the live monitor follows.
 */
import type { Prisma } from '../db/database.ts';
import type { ExecutionStatus, ToolExecution } from '../db/generated/prisma/client.ts';
import { Prisma as P } from '../db/generated/prisma/client.ts';
import { isUniqueViolation } from '../db/json.ts';
import type { ExecutionEventKind, SwitchboardPubSub } from '../realtime/pubsub.ts';
import { executionTopic } from '../realtime/pubsub.ts';

export type FinalFields = Pick<
  ToolExecution,
  'status' | 'errorCode' | 'errorMessage' | 'completedAt' | 'durationMs' | 'retryCount'
> & {
  outputResult?: P.InputJsonValue | typeof P.DbNull;
  request?: P.InputJsonValue | typeof P.DbNull;
  logs?: P.InputJsonValue | typeof P.DbNull;
  toolVersion?: number;
  decidedById?: string | null;
};

/** A JSON column value as a `::jsonb` parameter; null stays SQL NULL. */
function jsonParam(value: P.JsonValue | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/**
 * Inserts the row exactly as given (the engine builds it, so nothing is read
 * back); a duplicate idempotency key yields the row that got there first.
 * `ON CONFLICT DO NOTHING` keeps concurrent duplicates from raising at all.
 */
export async function insertExecution(
  prisma: Prisma,
  row: ToolExecution,
): Promise<{ row: ToolExecution; duplicate: boolean }> {
  const inserted = await prisma.$executeRaw`
    INSERT INTO "tool_execution_logs" ("id", "organization_id", "tool_id", "tool_name", "tool_version", "assistant_id",
      "call_id", "user_id", "api_key_id", "tool_call_id", "idempotency_key", "input_parameters", "output_result", "status",
      "started_at", "completed_at", "duration_ms", "error_message", "error_code", "retry_count", "trigger_context",
      "context", "request", "logs", "approval_deadline", "decided_by_id")
    VALUES (${row.id}::uuid, ${row.organizationId}::uuid, ${row.toolId}::uuid, ${row.toolName}, ${row.toolVersion}::int,
      ${row.assistantId}::uuid, ${row.callId}::uuid, ${row.userId}::uuid, ${row.apiKeyId}::uuid, ${row.toolCallId},
      ${row.idempotencyKey}, ${jsonParam(row.inputParameters)}::jsonb, ${jsonParam(row.outputResult)}::jsonb,
      ${row.status}::"ExecutionStatus", ${row.startedAt}::timestamptz, ${row.completedAt}::timestamptz,
      ${row.durationMs}::int, ${row.errorMessage}, ${row.errorCode}, ${row.retryCount}::int, ${row.triggerContext},
      ${jsonParam(row.context)}::jsonb, ${jsonParam(row.request)}::jsonb, ${jsonParam(row.logs)}::jsonb,
      ${row.approvalDeadline}::timestamptz, ${row.decidedById}::uuid)
    ON CONFLICT ("organization_id", "idempotency_key") DO NOTHING`;
  if (inserted === 1) return { row, duplicate: false };
  const existing =
    row.idempotencyKey === null
      ? null
      : await prisma.toolExecution.findUnique({
          where: {
            organizationId_idempotencyKey: { organizationId: row.organizationId, idempotencyKey: row.idempotencyKey },
          },
        });
  if (!existing) throw new Error(`execution ${row.id} was neither inserted nor found`);
  return { row: existing, duplicate: true };
}

export interface Outcome {
  status: ExecutionStatus;
  errorCode: string | null;
  errorMessage: string | null;
  outputResult: P.JsonValue | null;
  request: P.JsonValue | null;
  logs: P.JsonValue | null;
  completedAt: Date;
  durationMs: number;
  retryCount: number;
  toolVersion: number;
}

/**
 * Finishes a RUNNING row and, when the tool ran, bumps its counters — one
 * statement, one round trip. The counters are raw on purpose: Prisma would
 * also bump `updated_at`, and a tool's edit time must not move when it runs.
 * Returns false when someone else (cancel, sweep) finished the row first.
 */
export async function finishExecution(
  prisma: Prisma,
  id: string,
  outcome: Outcome,
  countedToolId: string | null,
): Promise<boolean> {
  const at = outcome.completedAt;
  const rows = await prisma.$queryRaw<Array<{ moved: number }>>`
    WITH finished AS (
      UPDATE "tool_execution_logs" SET "status" = ${outcome.status}::"ExecutionStatus", "error_code" = ${outcome.errorCode},
        "error_message" = ${outcome.errorMessage}, "output_result" = ${jsonParam(outcome.outputResult)}::jsonb,
        "request" = ${jsonParam(outcome.request)}::jsonb, "logs" = ${jsonParam(outcome.logs)}::jsonb,
        "completed_at" = ${at}::timestamptz, "duration_ms" = ${outcome.durationMs}::int,
        "retry_count" = ${outcome.retryCount}::int, "tool_version" = ${outcome.toolVersion}::int
      WHERE "id" = ${id}::uuid AND "status" = 'RUNNING'
      RETURNING "id"
    ), counted AS (
      UPDATE "tools" SET "execution_count" = "execution_count" + 1,
        "last_executed_at" = GREATEST(COALESCE("last_executed_at", ${at}::timestamptz), ${at}::timestamptz)
      WHERE "id" = ${countedToolId}::uuid
      RETURNING "id"
    )
    SELECT (SELECT count(*) FROM finished)::int AS "moved"`;
  return Number(rows[0]?.moved ?? 0) === 1;
}

/** Moves the row out of `from`; false when someone else (cancel, sweep, another decider) moved it first. */
export async function transition(
  prisma: Prisma,
  id: string,
  from: ExecutionStatus,
  fields: Partial<FinalFields> & { status: ExecutionStatus },
): Promise<boolean> {
  const { count } = await prisma.toolExecution.updateMany({ where: { id, status: from }, data: fields });
  return count === 1;
}

/** Applies the fields the row was finished with, without reading it back. */
export function applied(row: ToolExecution, fields: Partial<FinalFields>): ToolExecution {
  const json = (value: unknown): P.JsonValue =>
    value === P.DbNull || value === P.JsonNull || value === undefined ? null : (value as P.JsonValue);
  return {
    ...row,
    ...(fields.status !== undefined && { status: fields.status }),
    ...(fields.errorCode !== undefined && { errorCode: fields.errorCode }),
    ...(fields.errorMessage !== undefined && { errorMessage: fields.errorMessage }),
    ...(fields.completedAt !== undefined && { completedAt: fields.completedAt }),
    ...(fields.durationMs !== undefined && { durationMs: fields.durationMs }),
    ...(fields.retryCount !== undefined && { retryCount: fields.retryCount }),
    ...(fields.toolVersion !== undefined && { toolVersion: fields.toolVersion }),
    ...(fields.decidedById !== undefined && { decidedById: fields.decidedById }),
    ...('outputResult' in fields && { outputResult: json(fields.outputResult) }),
    ...('request' in fields && { request: json(fields.request) }),
    ...('logs' in fields && { logs: json(fields.logs) }),
  };
}

export interface CallInfo {
  organizationId: string;
  callSid: string;
  assistantId: string | null;
  from: string | null;
  to: string | null;
}

/** Call ids never change once created, so a bounded cache saves a round trip on every later tool call. */
export function createCallResolver(prisma: Prisma, maxEntries = 10_000): (info: CallInfo) => Promise<string> {
  const cache = new Map<string, string>();
  return async (info) => {
    const cacheKey = `${info.organizationId}:${info.callSid}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const where = { organizationId_callSid: { organizationId: info.organizationId, callSid: info.callSid } };
    let id: string;
    try {
      const call = await prisma.call.upsert({
        where,
        create: {
          organizationId: info.organizationId,
          callSid: info.callSid,
          assistantId: info.assistantId,
          fromNumber: info.from,
          toNumber: info.to,
        },
        update: {},
        select: { id: true },
      });
      id = call.id;
    } catch (error) {
      // Two first tool calls of one call can race the upsert; the loser reads the winner's row.
      if (!isUniqueViolation(error)) throw error;
      const call = await prisma.call.findUniqueOrThrow({ where, select: { id: true } });
      id = call.id;
    }
    cache.set(cacheKey, id);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return id;
  };
}

export type EventSource = Pick<ToolExecution, 'id' | 'organizationId' | 'toolId' | 'assistantId' | 'callId' | 'status'>;

export function publishEvent(pubsub: SwitchboardPubSub, kind: ExecutionEventKind, row: EventSource, at: Date): void {
  pubsub.publish(executionTopic(row.organizationId), {
    kind,
    organizationId: row.organizationId,
    executionId: row.id,
    toolId: row.toolId,
    assistantId: row.assistantId,
    callId: row.callId,
    status: row.status,
    at: at.toISOString(),
  });
}
