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
import type { HotSql } from './hot-sql.ts';

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
 * Makes the one statement it is part of commit asynchronously: no WAL flush
 * wait (one fsync, milliseconds on ordinary disks). See `insertExecution`.
 */
const ASYNC_COMMIT = `FROM (SELECT set_config('synchronous_commit', 'off', true)) AS "async_commit"`;

const INSERT_COLUMNS = `"id", "organization_id", "tool_id", "tool_name", "tool_version", "assistant_id",
  "call_id", "user_id", "api_key_id", "tool_call_id", "idempotency_key", "input_parameters", "output_result", "status",
  "started_at", "completed_at", "duration_ms", "error_message", "error_code", "retry_count", "trigger_context",
  "context", "request", "logs", "approval_deadline", "decided_by_id"`;
const INSERT_VALUES = `$1::uuid, $2::uuid, $3::uuid, $4::text, $5::int, $6::uuid, $7::uuid, $8::uuid, $9::uuid, $10::text,
  $11::text, $12::jsonb, $13::jsonb, $14::"ExecutionStatus", $15::timestamptz, $16::timestamptz, $17::int, $18::text,
  $19::text, $20::int, $21::text, $22::jsonb, $23::jsonb, $24::jsonb, $25::timestamptz, $26::uuid`;
const ON_CONFLICT = `ON CONFLICT ("organization_id", "idempotency_key") DO NOTHING RETURNING "id"`;
const INSERT_DURABLE = `INSERT INTO "tool_execution_logs" (${INSERT_COLUMNS}) SELECT ${INSERT_VALUES} ${ON_CONFLICT}`;
const INSERT_ASYNC = `INSERT INTO "tool_execution_logs" (${INSERT_COLUMNS}) SELECT ${INSERT_VALUES} ${ASYNC_COMMIT} ${ON_CONFLICT}`;

function insertParams(row: ToolExecution): unknown[] {
  return [
    row.id,
    row.organizationId,
    row.toolId,
    row.toolName,
    row.toolVersion,
    row.assistantId,
    row.callId,
    row.userId,
    row.apiKeyId,
    row.toolCallId,
    row.idempotencyKey,
    jsonParam(row.inputParameters),
    jsonParam(row.outputResult),
    row.status,
    row.startedAt.toISOString(),
    row.completedAt?.toISOString() ?? null,
    row.durationMs,
    row.errorMessage,
    row.errorCode,
    row.retryCount,
    row.triggerContext,
    jsonParam(row.context),
    jsonParam(row.request),
    jsonParam(row.logs),
    row.approvalDeadline?.toISOString() ?? null,
    row.decidedById,
  ];
}

/**
 * Inserts the row exactly as given (the engine builds it, so nothing is read
 * back); a duplicate idempotency key yields the row that got there first.
 * `ON CONFLICT DO NOTHING` keeps concurrent duplicates from raising at all.
 *
 * `durable: false` is for the RUNNING row only, whose final UPDATE is a
 * synchronous commit. The row is visible and the idempotency key enforced at
 * once either way, and survives a crash of this process; only a crash of the
 * database server within ~3 × wal_writer_delay can lose it. WAL is flushed in
 * order, so once the final UPDATE is durable the insert is too; and if the
 * database crashes in between, that UPDATE fails, so no caller was ever given a
 * result whose row could be lost. What such a crash can lose is only the trace
 * of a run that never reported a result (what INTERRUPTED would have recorded).
 * Rows that are an answer themselves (refusals, PENDING_APPROVAL) stay durable.
 */
export async function insertExecution(
  sql: HotSql,
  prisma: Prisma,
  row: ToolExecution,
  { durable = true }: { durable?: boolean } = {},
): Promise<{ row: ToolExecution; duplicate: boolean }> {
  const inserted = await sql.query(durable ? INSERT_DURABLE : INSERT_ASYNC, insertParams(row));
  if (inserted.length === 1) return { row, duplicate: false };
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
 * Finishes a RUNNING row. `counted` is the run's counter bump
 * (tool-counters.ts, asynchronous commit), started when the executor was
 * first reached so it overlaps the run: it must be applied before this
 * synchronous commit, whose WAL flush then makes both durable before the
 * caller hears back. Returns false when someone else finished the row first
 * (the counter stays bumped: the tool did run).
 */
export async function finishExecution(
  sql: HotSql,
  id: string,
  outcome: Outcome,
  counted: Promise<void> | null,
): Promise<boolean> {
  const at = outcome.completedAt.toISOString();
  if (counted) await counted;
  const moved = await sql.query(
    `UPDATE "tool_execution_logs" SET "status" = $1::"ExecutionStatus", "error_code" = $2::text,
      "error_message" = $3::text, "output_result" = $4::jsonb, "request" = $5::jsonb, "logs" = $6::jsonb,
      "completed_at" = $7::timestamptz, "duration_ms" = $8::int, "retry_count" = $9::int, "tool_version" = $10::int
    WHERE "id" = $11::uuid AND "status" = 'RUNNING' RETURNING "id"`,
    [
      outcome.status,
      outcome.errorCode,
      outcome.errorMessage,
      jsonParam(outcome.outputResult),
      jsonParam(outcome.request),
      jsonParam(outcome.logs),
      at,
      outcome.durationMs,
      outcome.retryCount,
      outcome.toolVersion,
      id,
    ],
  );
  return moved.length === 1;
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
