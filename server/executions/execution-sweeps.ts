/**
 * The two bulk transitions nobody's request makes: pending approvals past
 * their deadline, and RUNNING rows whose process is gone. Each is one
 * conditional UPDATE, so a row a decider or the runner moved first is left alone.
 */
import type { Prisma } from '../db/database.ts';
import type { ExecutionStatus } from '../db/generated/prisma/client.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { publishEvent } from './execution-recorder.ts';

type SweptRow = {
  id: string;
  organizationId: string;
  toolId: string | null;
  assistantId: string | null;
  callId: string | null;
  status: ExecutionStatus;
};

function publishSwept(pubsub: SwitchboardPubSub, rows: SweptRow[], at: Date): void {
  for (const row of rows) publishEvent(pubsub, 'finished', row, at);
}

/** Pending approvals past their deadline become REJECTED / APPROVAL_TIMEOUT (one, or all when no id). */
export async function expireApprovals(
  prisma: Prisma,
  pubsub: SwitchboardPubSub,
  at: Date,
  id?: string,
): Promise<number> {
  const message = 'Nobody approved the execution in time';
  const output = JSON.stringify({ success: false, message, data: null });
  const rows = await prisma.$queryRaw<SweptRow[]>`
    UPDATE "tool_execution_logs"
    SET "status" = 'REJECTED', "error_code" = 'APPROVAL_TIMEOUT', "error_message" = ${message},
        "output_result" = ${output}::jsonb, "completed_at" = ${at},
        -- It never ran: the wait is not the tool's duration.
        "duration_ms" = NULL
    WHERE "status" = 'PENDING_APPROVAL' AND "approval_deadline" <= ${at}
      AND (${id ?? null}::uuid IS NULL OR "id" = ${id ?? null}::uuid)
    RETURNING "id", "organization_id" AS "organizationId", "tool_id" AS "toolId",
      "assistant_id" AS "assistantId", "call_id" AS "callId", "status"`;
  publishSwept(pubsub, rows, at);
  return rows.length;
}

/** Why a RUNNING row was taken over, as recorded on it. */
export const INTERRUPTION_MESSAGES = {
  lapsed: 'The instance running the tool stopped responding (its lease expired); whether the tool finished is unknown',
  stopped: 'The instance running the tool shut down before the tool finished',
  restarted: 'The server restarted while the tool was running',
  overdue: 'The tool ran far past its deadline and no instance recorded a result',
} as const;

/**
 * RUNNING rows nobody will finish, except `mine` (running in this process):
 * those of instances that stopped or whose lease lapsed (no heartbeat for
 * `leaseSeconds`, by the database's clock), all of them at an exclusive
 * start-up (embedded PGlite: one process), and any well past its deadline.
 * Async rows (queued_at set) are left to their jobs, which run them again
 * (async-runs.ts), unless they are well past their deadline too.
 * Lapsed instances are marked stopped, so a paused one re-registers when it wakes.
 * Rows awaiting a callback are left alone (execution-callbacks.ts ends them).
 */
export async function markInterrupted(
  prisma: Prisma,
  pubsub: SwitchboardPubSub,
  at: Date,
  input: { instanceId: string; mine: string[]; all: boolean; leaseSeconds: number; graceSeconds: number },
): Promise<number> {
  const { instanceId, mine, all, leaseSeconds, graceSeconds } = input;
  const messages = INTERRUPTION_MESSAGES;
  const rows = await prisma.$queryRaw<SweptRow[]>`
    WITH "gone" AS (
      SELECT "id", "stopped_at" IS NOT NULL AS "stopped" FROM "instances"
      WHERE "id" <> ${instanceId}::uuid
        AND ("stopped_at" IS NOT NULL OR "heartbeat_at" < clock_timestamp() - make_interval(secs => ${leaseSeconds}::float8))
    ),
    "marked" AS (
      UPDATE "instances" AS i SET "stopped_at" = clock_timestamp() FROM "gone" AS g
      WHERE i."id" = g."id" AND NOT g."stopped"
    ),
    "taken" AS (
      SELECT e."id",
        CASE WHEN g."stopped" THEN ${messages.stopped}::text
             WHEN g."id" IS NOT NULL THEN ${messages.lapsed}::text
             WHEN ${all}::boolean THEN ${messages.restarted}::text
             ELSE ${messages.overdue}::text END AS "message"
      FROM "tool_execution_logs" AS e LEFT JOIN "gone" AS g ON g."id" = e."instance_id"
      WHERE e."status" = 'RUNNING' AND NOT (e."id" = ANY(${mine}::uuid[]))
        -- Awaiting a callback, a row needs no instance: the callback or its own deadline ends it.
        AND e."awaiting_callback_until" IS NULL
        -- An async row of a dead instance is its job's to finish; only its deadline ends it here.
        AND ((e."queued_at" IS NULL
            AND (g."id" IS NOT NULL OR (${all}::boolean AND e."instance_id" IS DISTINCT FROM ${instanceId}::uuid)))
          OR COALESCE(CASE WHEN e."queued_at" IS NULL THEN e."approval_deadline" END, e."started_at")
            + make_interval(secs => COALESCE((SELECT t."timeout_seconds" FROM "tools" t WHERE t."id" = e."tool_id"), 300) + ${graceSeconds}::float8)
            < ${at}::timestamptz)
    )
    UPDATE "tool_execution_logs" AS e
    SET "status" = 'ERROR', "error_code" = 'INTERRUPTED', "error_message" = taken."message",
        "output_result" = jsonb_build_object('success', false, 'message', taken."message", 'data', NULL),
        "completed_at" = ${at},
        "duration_ms" = GREATEST(0, (EXTRACT(EPOCH FROM (${at}::timestamptz - e."started_at")) * 1000)::int)
    FROM "taken" WHERE e."id" = taken."id" AND e."status" = 'RUNNING'
    RETURNING e."id", e."organization_id" AS "organizationId", e."tool_id" AS "toolId",
      e."assistant_id" AS "assistantId", e."call_id" AS "callId", e."status"`;
  publishSwept(pubsub, rows, at);
  return rows.length;
}

/** Forgets instances stopped long ago that no execution row still waits on. */
export async function forgetStoppedInstances(prisma: Prisma, olderThanSeconds: number): Promise<void> {
  await prisma.$executeRaw`
    DELETE FROM "instances" AS i
    WHERE i."stopped_at" < clock_timestamp() - make_interval(secs => ${olderThanSeconds}::float8)
      AND NOT EXISTS (SELECT 1 FROM "tool_execution_logs" AS e WHERE e."instance_id" = i."id" AND e."status" = 'RUNNING')`;
}
