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
        "duration_ms" = GREATEST(0, (EXTRACT(EPOCH FROM (${at}::timestamptz - "started_at")) * 1000)::int)
    WHERE "status" = 'PENDING_APPROVAL' AND "approval_deadline" <= ${at}
      AND (${id ?? null}::uuid IS NULL OR "id" = ${id ?? null}::uuid)
    RETURNING "id", "organization_id" AS "organizationId", "tool_id" AS "toolId",
      "assistant_id" AS "assistantId", "call_id" AS "callId", "status"`;
  publishSwept(pubsub, rows, at);
  return rows.length;
}

/**
 * RUNNING rows nobody will finish, except `mine` (running in this process):
 * all of them when `all` (an exclusive start-up), else those well past their deadline.
 */
export async function markInterrupted(
  prisma: Prisma,
  pubsub: SwitchboardPubSub,
  at: Date,
  input: { mine: string[]; all: boolean; graceSeconds: number },
): Promise<number> {
  const { mine, all, graceSeconds } = input;
  const message = 'The server stopped while the tool was running';
  const output = JSON.stringify({ success: false, message, data: null });
  const rows = await prisma.$queryRaw<SweptRow[]>`
    UPDATE "tool_execution_logs" AS e
    SET "status" = 'ERROR', "error_code" = 'INTERRUPTED', "error_message" = ${message},
        "output_result" = ${output}::jsonb, "completed_at" = ${at},
        "duration_ms" = GREATEST(0, (EXTRACT(EPOCH FROM (${at}::timestamptz - e."started_at")) * 1000)::int)
    WHERE e."status" = 'RUNNING' AND NOT (e."id" = ANY(${mine}::uuid[]))
      AND (${all} OR COALESCE(e."approval_deadline", e."started_at")
        + make_interval(secs => COALESCE((SELECT t."timeout_seconds" FROM "tools" t WHERE t."id" = e."tool_id"), 300) + ${graceSeconds}::float8)
        < ${at}::timestamptz)
    RETURNING e."id", e."organization_id" AS "organizationId", e."tool_id" AS "toolId",
      e."assistant_id" AS "assistantId", e."call_id" AS "callId", e."status"`;
  publishSwept(pubsub, rows, at);
  return rows.length;
}
