/**
 * Per-tool figures over one rule's window, from the executions table through
 * its (organization_id, started_at) index: one query per rule, grouped by tool.
 */
import type { SqlDriver } from '../db/sql-driver.ts';

/** More tools than this in one organization's window are not judged in one round (the busiest first). */
const MAX_TOOLS_PER_RULE = 1000;
/** The volume baseline: the 24 windows before the current one. */
export const BASELINE_WINDOWS = 24;

export interface WindowStats {
  toolId: string;
  executions: number;
  errors: number;
  p95Ms: number | null;
  /** Finished executions per window over the baseline. */
  baselinePerWindow: number;
}

export async function windowStats(
  sql: SqlDriver,
  organizationId: string,
  toolId: string | null,
  windowSeconds: number,
  now: Date,
  /** Only volume rules read the baseline; the others scan the window alone. */
  withBaseline: boolean,
): Promise<WindowStats[]> {
  const windowStart = new Date(now.getTime() - windowSeconds * 1000);
  const baselineStart = withBaseline
    ? new Date(now.getTime() - (BASELINE_WINDOWS + 1) * windowSeconds * 1000)
    : windowStart;
  const rows = await sql.query<{
    tool_id: string;
    executions: number;
    errors: number;
    p95: number | null;
    baseline: number;
  }>(
    `SELECT e."tool_id"::text AS tool_id,
            (count(*) FILTER (WHERE e."started_at" >= $3))::int AS executions,
            (count(*) FILTER (WHERE e."started_at" >= $3 AND e."status" <> 'SUCCESS'))::int AS errors,
            (percentile_cont(0.95) WITHIN GROUP (ORDER BY e."duration_ms") FILTER (WHERE e."started_at" >= $3))::float8 AS p95,
            (count(*) FILTER (WHERE e."started_at" < $3))::int AS baseline
     FROM "tool_execution_logs" e
     WHERE e."organization_id" = $1::uuid AND e."started_at" >= $2 AND e."started_at" <= $4
       AND e."tool_id" IS NOT NULL AND ($5::uuid IS NULL OR e."tool_id" = $5::uuid)
       AND e."status" NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL', 'REJECTED', 'CANCELLED')
     GROUP BY e."tool_id"
     ORDER BY count(*) DESC
     LIMIT ${MAX_TOOLS_PER_RULE}`,
    [organizationId, baselineStart, windowStart, now, toolId],
  );
  return rows.map((row) => ({
    toolId: row.tool_id,
    executions: Number(row.executions),
    errors: Number(row.errors),
    p95Ms: row.p95 === null ? null : Number(row.p95),
    baselinePerWindow: Number(row.baseline) / BASELINE_WINDOWS,
  }));
}
