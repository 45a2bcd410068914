/**
 * The seed's service targets as alerts. Over the last HEALTH_WINDOW_MS of
 * finished executions of a tool:
 *   FAILING   success rate below 50 % — most callers are not being helped;
 *   DEGRADED  success rate below 95 %, or average duration above 2 s;
 *   OK        otherwise, and whenever fewer than MIN_SAMPLES executions ran
 *             (two failures out of three calls are not a trend).
 * What the API and the dashboard show adds NO_DATA for a tool with no finished
 * execution in the window: an "OK" nobody measured would be a guess. Alerting
 * and the health monitor keep the three levels (an idle tool is not failing).
 * Approvers' rejections and cancellations say nothing about the tool itself,
 * so they are left out of the rate.
 */
import type { SqlDriver } from '../db/sql-driver.ts';
import type { ToolHealth } from '../realtime/pubsub.ts';

export const HEALTH_WINDOW_MS = 15 * 60_000;
export const MIN_SAMPLES = 5;
export const DEGRADED_SUCCESS_RATE = 0.95;
export const FAILING_SUCCESS_RATE = 0.5;
export const DEGRADED_AVERAGE_MS = 2_000;

export interface HealthSample {
  /** Finished executions, approvers' decisions excluded. */
  executions: number;
  successes: number;
  averageDurationMs: number | null;
}

/** A tool's health as shown to people: a level, or NO_DATA when nothing finished in the window. */
export type ToolHealthReading = ToolHealth | 'NO_DATA';

export function healthReadingOf(sample: HealthSample | undefined): ToolHealthReading {
  return !sample || sample.executions === 0 ? 'NO_DATA' : healthOf(sample);
}

export function healthOf(sample: HealthSample | undefined): ToolHealth {
  if (!sample || sample.executions < MIN_SAMPLES) return 'OK';
  const successRate = sample.successes / sample.executions;
  if (successRate < FAILING_SUCCESS_RATE) return 'FAILING';
  if (successRate < DEGRADED_SUCCESS_RATE) return 'DEGRADED';
  if (sample.averageDurationMs !== null && sample.averageDurationMs > DEGRADED_AVERAGE_MS) return 'DEGRADED';
  return 'OK';
}

/** Health samples for several tools of one organization in one query. */
export async function queryHealthSamples(
  sql: SqlDriver,
  organizationId: string,
  toolIds: readonly string[],
  now: Date,
): Promise<Map<string, HealthSample>> {
  const rows = await sql.query<{ tool_id: string; executions: number; successes: number; avg_ms: number | null }>(
    `SELECT e."tool_id"::text AS tool_id, count(*)::int AS executions,
            (count(*) FILTER (WHERE e."status" = 'SUCCESS'))::int AS successes,
            avg(e."duration_ms")::float8 AS avg_ms
     FROM "tool_execution_logs" e
     WHERE e."organization_id" = $1::uuid AND e."tool_id" = ANY($2::uuid[])
       AND e."started_at" >= $3 AND e."started_at" <= $4
       AND e."status" NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL', 'REJECTED', 'CANCELLED')
     GROUP BY e."tool_id"`,
    [organizationId, toolIds, new Date(now.getTime() - HEALTH_WINDOW_MS), now],
  );
  return new Map(
    rows.map((row) => [
      row.tool_id,
      {
        executions: Number(row.executions),
        successes: Number(row.successes),
        averageDurationMs: row.avg_ms === null ? null : Number(row.avg_ms),
      },
    ]),
  );
}
