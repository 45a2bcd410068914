/**
 * Async executions between their QUEUED row and their end: the job's task
 * (claim the row, run it through the attempt loop, tell `onAsyncSettled`), an
 * approval that enqueues instead of running inline, and the hangup that
 * cancels a call's queued executions. The enqueue itself is the engine's first
 * write (execution-writer.ts insertQueued).
 *
 * A job may run more than once (a worker died after the tool ran, or after the
 * final write): the claim is a conditional UPDATE, a final row only completes
 * the job, and the downstream Idempotency-Key is the execution id on every
 * attempt, so the upstream can tell repeats apart. `onAsyncSettled` is
 * therefore called at least once per execution, possibly more.
 */
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { ExecutionStatus, ToolExecution } from '../db/generated/prisma/client.ts';
import { toJson } from '../db/json.ts';
import type { ExecutionErrorCode, JsonObject, TriggerContext } from '../executors/types.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { goneInstancesSql, jobAttempts, type AsyncQueue } from './async-queue.ts';
import type { AttemptLoop } from './attempt-loop.ts';
import { applied, publishEvent, transition } from './execution-recorder.ts';
import type { ExecutionRequest } from './execution-request.ts';
import { resolveRequest, type Resolved } from './execution-resolver.ts';
import { executionFieldsSql } from './execution-writer.ts';
import type { HotSql } from './hot-sql.ts';
import type { ToolLookups } from './lookup-cache.ts';
import { continuesAfterHangup } from './tool-settings.ts';

/** Told (at least once) when an async execution reached its final status. */
export type AsyncSettledHook = (row: ToolExecution) => Promise<void>;

/** Statuses a job has nothing left to do for. */
const FINAL: ReadonlySet<ExecutionStatus> = new Set([
  'SUCCESS',
  'ERROR',
  'TIMEOUT',
  'CANCELLED',
  'RATE_LIMITED',
  'REJECTED',
]);

/**
 * Takes the row for this instance: QUEUED, or RUNNING under an instance that is
 * gone (or under this one, by a run that ended without a verdict), or
 * INTERRUPTED by a sweep's guess. `started_at` becomes the time it was taken.
 */
const CLAIM_SQL = `UPDATE "tool_execution_logs" AS e
  SET "status" = 'RUNNING', "instance_id" = $2::uuid, "started_at" = $3::timestamptz, "completed_at" = NULL,
    "duration_ms" = NULL, "error_code" = NULL, "error_message" = NULL, "output_result" = NULL
  WHERE e."id" = $1::uuid AND e."queued_at" IS NOT NULL
    AND (e."status" = 'QUEUED'
      OR (e."status" = 'ERROR' AND e."error_code" = 'INTERRUPTED')
      OR (e."status" = 'RUNNING' AND ($4::boolean OR e."instance_id" IS NULL OR e."instance_id" = $2::uuid
        OR e."instance_id" IN (${goneInstancesSql('$2', '$5')}))))
  RETURNING ${executionFieldsSql('e')}`;

/** PENDING_APPROVAL → QUEUED with its job, in one statement (the job CTE is the queue's). */
function approvedSql(queue: AsyncQueue): string {
  return `WITH "moved" AS (
      UPDATE "tool_execution_logs" SET "status" = 'QUEUED', "queued_at" = $2::timestamptz,
        "decided_by_id" = $3::uuid, "instance_id" = NULL
      WHERE "id" = $1::uuid AND "status" = 'PENDING_APPROVAL'
      RETURNING "id"),
    ${queue.jobCte('moved', '$4::int')}
    SELECT "id" FROM "job"`;
}

export interface AsyncRunsDeps {
  prisma: Prisma;
  sql: HotSql;
  queue: AsyncQueue;
  runner: AttemptLoop;
  lookups: ToolLookups;
  pubsub: SwitchboardPubSub;
  logger: Logger;
  clock: () => number;
  instanceId: string;
  /** This process is the only one on its database (embedded): every RUNNING row it did not start is free. */
  exclusive: boolean;
  leaseSeconds: number;
  onAsyncSettled: AsyncSettledHook;
  /** The call ended here after the row was taken: abort what runs for it (engine.abortRunning). */
  afterStart(callId: string): void;
}

export interface AsyncRuns {
  /** The job's task. Throws when the job must be tried again later. */
  runQueued(executionId: string): Promise<void>;
  /** Moves an approved execution to QUEUED with its job; false when someone else decided first. */
  enqueueApproved(row: ToolExecution, resolved: Resolved, deciderId: string | null): Promise<ToolExecution | null>;
  /** The call's QUEUED executions end CANCELLED (`refusal`), except those whose tool continues after hangup. */
  cancelQueued(callId: string, refusal: { code: ExecutionErrorCode; message: string }): Promise<void>;
}

/** The request the row was made from, to resolve its tool again where it runs. */
function requestOf(row: ToolExecution): ExecutionRequest {
  const context = row.context as JsonObject;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    organizationId: row.organizationId,
    toolId: row.toolId,
    assistantId: row.assistantId,
    toolName: row.toolName,
    toolVersion: row.toolId ? row.toolVersion : null,
    parameters: row.inputParameters as JsonObject,
    context: {
      callSid: text(context.call_sid),
      phoneNumber: text(context.phone_number),
      from: text(context.from),
      to: text(context.to),
      toolCallId: row.toolCallId,
      triggerContext: row.triggerContext as TriggerContext,
    },
    actor: { userId: row.userId, apiKeyId: row.apiKeyId },
  };
}

export function createAsyncRuns(deps: AsyncRunsDeps): AsyncRuns {
  const { prisma, sql, queue, runner, pubsub, logger, clock } = deps;
  const approved = approvedSql(queue);

  async function resolved(row: ToolExecution): Promise<Resolved | null> {
    try {
      return await resolveRequest(deps.lookups, prisma, requestOf(row), false);
    } catch (error) {
      logger.warn({ err: error, execution: row.id }, 'a queued execution’s tool could not be resolved');
      return null;
    }
  }

  async function settled(row: ToolExecution): Promise<void> {
    await deps.onAsyncSettled(row);
  }

  /** A taken row whose tool is gone: finished without running. */
  async function refuseTaken(row: ToolExecution): Promise<ToolExecution> {
    const message = 'The tool was removed or unassigned before the queued execution ran';
    const completedAt = new Date(clock());
    const fields = {
      status: 'ERROR' as const,
      errorCode: 'INVALID_CONFIGURATION',
      errorMessage: message,
      outputResult: toJson({ success: false, message, data: null }),
      completedAt,
      durationMs: null,
    };
    await transition(prisma, row.id, 'RUNNING', fields);
    const finished = applied(row, fields);
    publishEvent(pubsub, 'finished', finished, completedAt);
    return finished;
  }

  async function runQueued(executionId: string): Promise<void> {
    const here = runner.inFlight.get(executionId);
    if (here) {
      await settled(await here.promise);
      return;
    }
    const startedMs = clock();
    const [row] = await sql.query<ToolExecution>(CLAIM_SQL, [
      executionId,
      deps.instanceId,
      new Date(startedMs).toISOString(),
      deps.exclusive,
      deps.leaseSeconds,
    ]);
    if (!row) {
      const current = await prisma.toolExecution.findUnique({ where: { id: executionId } });
      if (!current) return;
      if (FINAL.has(current.status)) return settled(current);
      // RUNNING under a live instance: that one finishes it; this job looks again after its backoff.
      throw new Error(`execution ${executionId} is ${current.status} on another instance`);
    }
    publishEvent(pubsub, 'running', row, row.startedAt);
    const tool = await resolved(row);
    if (!tool) return settled(await refuseTaken(row));
    const finishing = runner.execute(row, tool, row.inputParameters as JsonObject, startedMs, true);
    if (row.callId) deps.afterStart(row.callId);
    await settled(await finishing);
  }

  async function enqueueApproved(
    row: ToolExecution,
    tool: Resolved,
    deciderId: string | null,
  ): Promise<ToolExecution | null> {
    const queuedAt = new Date(clock());
    const moved = await sql.query<{ id: string }>(approved, [
      row.id,
      queuedAt.toISOString(),
      deciderId,
      jobAttempts(tool.retryAttempts),
    ]);
    if (moved.length === 0) return null;
    queue.enqueued();
    const queued: ToolExecution = { ...row, status: 'QUEUED', queuedAt, decidedById: deciderId, instanceId: null };
    publishEvent(pubsub, 'created', queued, queuedAt);
    return queued;
  }

  async function cancelQueued(callId: string, refusal: { code: ExecutionErrorCode; message: string }): Promise<void> {
    const rows = await prisma.toolExecution.findMany({ where: { callId, status: 'QUEUED' } });
    for (const row of rows) {
      const tool = await resolved(row);
      if (tool && continuesAfterHangup(tool.tool.configuration)) continue;
      const completedAt = new Date(clock());
      const fields = {
        status: 'CANCELLED' as const,
        errorCode: refusal.code,
        errorMessage: refusal.message,
        outputResult: toJson({ success: false, message: refusal.message, data: null }),
        completedAt,
        // It never ran: time in the queue is not the tool's duration.
        durationMs: null,
      };
      // The job stays and finds the row final: it completes without running anything.
      if (!(await transition(prisma, row.id, 'QUEUED', fields))) continue;
      const finished = applied(row, fields);
      publishEvent(pubsub, 'finished', finished, completedAt);
      await settled(finished).catch((error: unknown) =>
        logger.error({ err: error, execution: row.id }, 'the async settled hook failed'),
      );
    }
  }

  return { runQueued, enqueueApproved, cancelQueued };
}
