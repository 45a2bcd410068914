/**
 * Execution statistics in SQL over tool_execution_logs: counts, success and
 * error rates, timeouts, retries and duration percentiles (percentile_cont),
 * for a window, per time bucket, per tool type and per tool, in two queries.
 *
 * Only finished executions count (QUEUED, RUNNING and PENDING_APPROVAL rows are still
 * in flight); they are attributed to the bucket they started in, in UTC.
 */
import type { SqlDriver } from '../db/sql-driver.ts';
import { ValidationError } from '../errors.ts';

export type Granularity = 'minute' | 'hour' | 'day';

export interface StatsQuery {
  organizationId: string;
  from: Date;
  to: Date;
  granularity: Granularity;
  /** Restricts everything to one tool (the caller checked it belongs to the organization). */
  toolId?: string | null;
}

export interface ErrorCodeCount {
  code: string;
  count: number;
  /** Share of all executions in the group. */
  rate: number;
}

export interface ExecutionStats {
  executions: number;
  successes: number;
  failures: number;
  /** null without executions. */
  successRate: number | null;
  errorRate: number | null;
  timeouts: number;
  /** Extra attempts, summed over executions. */
  retries: number;
  averageDurationMs: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  p99DurationMs: number | null;
  errorsByCode: ErrorCodeCount[];
  /** Over the executions that reported CPU time (CODE tools); null when none did. */
  averageCpuTimeMs: number | null;
  p95CpuTimeMs: number | null;
  /** Over the executions that reported peak memory; null when none did. */
  averagePeakMemoryBytes: number | null;
  maxPeakMemoryBytes: number | null;
  /** Sum of estimated costs (Lambda tools with log_type Tail), US dollars; 0 without any. */
  estimatedCostUsd: number;
}

/** Costs are stored in nano-dollars (integers, exact sums). */
export const NANO_PER_USD = 1e9;

export interface StatsPoint {
  bucket: Date;
  stats: ExecutionStats;
}

export interface GroupStats {
  totals: ExecutionStats;
  series: StatsPoint[];
}

export interface ToolTypeStats extends GroupStats {
  /** ENDPOINT, CODE, LAMBDA, or BUILTIN for endCall / transferCall. */
  toolType: string;
}

export interface ToolStats extends GroupStats {
  /** null for built-ins and deleted tools. */
  toolId: string | null;
  toolName: string;
  toolType: string;
}

export interface StatsReport extends GroupStats {
  from: Date;
  to: Date;
  granularity: Granularity;
  byToolType: ToolTypeStats[];
  byTool: ToolStats[];
}

/** Enough for a day by the minute or two months by the hour; more would be an unreadable chart anyway. */
export const MAX_BUCKETS = 1_500;

export const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const BUILTIN_TYPE = 'BUILTIN';

/** Identifies a group's tool: its id, or for built-ins and deleted tools (no id) its name. */
interface ToolColumns {
  tool_id: string | null;
  builtin_name: string | null;
}

interface GroupColumns extends ToolColumns {
  g_bucket: number;
  g_type: number;
  g_tool: number;
  bucket: Date | string | null;
  /** null for built-ins and deleted tools (no tools row), or when grouped out (see g_type). */
  tool_type: string | null;
}

interface StatsRow extends GroupColumns {
  tool_name: string | null;
  any_type: string | null;
  executions: number;
  successes: number;
  timeouts: number;
  retries: number;
  avg_ms: number | null;
  /** p50, p95, p99. */
  percentiles: Array<number | string> | null;
  avg_cpu_ms: number | null;
  p95_cpu_ms: number | string | null;
  avg_memory: number | null;
  max_memory: number | null;
  cost_nano: number;
}

interface ErrorRow extends GroupColumns {
  error_code: string;
  count: number;
}

export const BUCKET_STRIDE: Record<Granularity, string> = { minute: '1 minute', hour: '1 hour', day: '1 day' };

/**
 * One row per finished execution in the window. The (organization_id,
 * started_at) index finds the window; a covering index was measured slower
 * (bench/metrics-query.ts) and dropped. Every column stays in its own type
 * (uuid, enum, date_bin's integer arithmetic): at a million rows, per-row text
 * conversions and time zone lookups cost more than the aggregation.
 */
const ROWS = `
  SELECT date_bin($4::interval, e."started_at", '2000-01-01T00:00:00Z'::timestamptz) AS bucket,
         t."type" AS tool_type, e."tool_id",
         CASE WHEN e."tool_id" IS NULL THEN e."tool_name" END AS builtin_name,
         e."tool_name", e."status", e."duration_ms", e."retry_count", e."error_code",
         e."cpu_time_ms", e."peak_memory_bytes", e."estimated_cost_nano_usd"
  FROM "tool_execution_logs" e
  LEFT JOIN "tools" t ON t."id" = e."tool_id"
  WHERE e."organization_id" = $1::uuid AND e."started_at" >= $2 AND e."started_at" < $3
    AND e."status" NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL')
    AND ($5::uuid IS NULL OR e."tool_id" = $5::uuid)`;

/** Overall, per bucket, per tool type (and bucket), per tool (and bucket). */
const GROUPING_SETS =
  '(), (bucket), (tool_type), (tool_type, bucket), (tool_id, builtin_name), (tool_id, builtin_name, bucket)';
const ERROR_GROUPING_SETS =
  '(error_code), (bucket, error_code), (tool_type, error_code), (tool_type, bucket, error_code), (tool_id, builtin_name, error_code), (tool_id, builtin_name, bucket, error_code)';

const GROUP_COLUMNS = `GROUPING(bucket) AS g_bucket, GROUPING(tool_type) AS g_type,
  GROUPING(tool_id, builtin_name) AS g_tool, bucket, tool_type::text AS tool_type, tool_id::text AS tool_id, builtin_name`;

/** One ordered aggregate for the three percentiles: one sort per group instead of three. */
const STATS_SQL = `WITH finished AS (${ROWS})
  SELECT ${GROUP_COLUMNS},
         max(tool_name) AS tool_name, max(tool_type)::text AS any_type,
         count(*)::int AS executions,
         (count(*) FILTER (WHERE status = 'SUCCESS'))::int AS successes,
         (count(*) FILTER (WHERE status = 'TIMEOUT'))::int AS timeouts,
         COALESCE(sum(retry_count), 0)::int AS retries,
         avg(duration_ms)::float8 AS avg_ms,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]::float8[]) WITHIN GROUP (ORDER BY duration_ms) AS percentiles,
         avg(cpu_time_ms)::float8 AS avg_cpu_ms,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY cpu_time_ms) AS p95_cpu_ms,
         avg(peak_memory_bytes)::float8 AS avg_memory, max(peak_memory_bytes)::float8 AS max_memory,
         COALESCE(sum(estimated_cost_nano_usd), 0)::float8 AS cost_nano
  FROM finished
  GROUP BY GROUPING SETS (${GROUPING_SETS})`;

const ERRORS_SQL = `WITH finished AS (${ROWS})
  SELECT ${GROUP_COLUMNS}, error_code, count(*)::int AS count
  FROM finished
  WHERE error_code IS NOT NULL
  GROUP BY GROUPING SETS (${ERROR_GROUPING_SETS})`;

export function emptyStats(): ExecutionStats {
  return {
    executions: 0,
    successes: 0,
    failures: 0,
    successRate: null,
    errorRate: null,
    timeouts: 0,
    retries: 0,
    averageDurationMs: null,
    p50DurationMs: null,
    p95DurationMs: null,
    p99DurationMs: null,
    errorsByCode: [],
    averageCpuTimeMs: null,
    p95CpuTimeMs: null,
    averagePeakMemoryBytes: null,
    maxPeakMemoryBytes: null,
    estimatedCostUsd: 0,
  };
}

function numberOrNull(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toStats(row: StatsRow): ExecutionStats {
  const executions = Number(row.executions);
  const successes = Number(row.successes);
  const percentile = (index: number): number | null => {
    const value = row.percentiles?.[index];
    return value === null || value === undefined ? null : Number(value);
  };
  return {
    executions,
    successes,
    failures: executions - successes,
    successRate: executions ? successes / executions : null,
    errorRate: executions ? (executions - successes) / executions : null,
    timeouts: Number(row.timeouts),
    retries: Number(row.retries),
    averageDurationMs: row.avg_ms === null ? null : Number(row.avg_ms),
    p50DurationMs: percentile(0),
    p95DurationMs: percentile(1),
    p99DurationMs: percentile(2),
    errorsByCode: [],
    averageCpuTimeMs: numberOrNull(row.avg_cpu_ms),
    p95CpuTimeMs: numberOrNull(row.p95_cpu_ms),
    averagePeakMemoryBytes: numberOrNull(row.avg_memory),
    maxPeakMemoryBytes: numberOrNull(row.max_memory),
    estimatedCostUsd: Number(row.cost_nano) / NANO_PER_USD,
  };
}

function bucketTime(value: Date | string | null): number {
  return value === null ? 0 : new Date(value).getTime();
}

/** A tool group's key: its id, or `builtin:<name>` for built-ins and deleted tools. */
function toolKey(row: ToolColumns): string {
  return row.tool_id ?? `builtin:${row.builtin_name}`;
}

/** A tool type group's type: built-ins and deleted tools have no tools row. */
function toolTypeOf(row: { tool_type: string | null }): string {
  return row.tool_type ?? BUILTIN_TYPE;
}

/** The key of a row's group: which grouping set, then the group's values. */
function groupKey(row: GroupColumns): string {
  const level = row.g_tool === 0 ? `tool:${toolKey(row)}` : row.g_type === 0 ? `type:${toolTypeOf(row)}` : 'all';
  return row.g_bucket === 0 ? `${level}@${bucketTime(row.bucket)}` : level;
}

export function bucketStarts(from: Date, to: Date, granularity: Granularity): Date[] {
  const size = BUCKET_MS[granularity];
  const first = new Date(from);
  if (granularity === 'day') first.setUTCHours(0, 0, 0, 0);
  else if (granularity === 'hour') first.setUTCMinutes(0, 0, 0);
  else first.setUTCSeconds(0, 0);
  const starts: Date[] = [];
  for (let at = first.getTime(); at < to.getTime(); at += size) starts.push(new Date(at));
  return starts;
}

export function validateWindow(from: Date, to: Date, granularity: Granularity): void {
  if (!(from.getTime() < to.getTime()))
    throw new ValidationError([{ field: 'window', message: '`from` must be before `to`' }]);
  const buckets = Math.ceil((to.getTime() - from.getTime()) / BUCKET_MS[granularity]);
  if (buckets > MAX_BUCKETS) {
    throw new ValidationError([
      {
        field: 'granularity',
        message: `the window spans ${buckets} ${granularity}s; at most ${MAX_BUCKETS} points are returned, pick a coarser granularity`,
      },
    ]);
  }
}

export async function queryExecutionStats(sql: SqlDriver, query: StatsQuery): Promise<StatsReport> {
  validateWindow(query.from, query.to, query.granularity);
  const params = [query.organizationId, query.from, query.to, BUCKET_STRIDE[query.granularity], query.toolId ?? null];
  const [statsRows, errorRows] = await Promise.all([
    sql.query<StatsRow>(STATS_SQL, params),
    sql.query<ErrorRow>(ERRORS_SQL, params),
  ]);

  const groups = new Map<string, ExecutionStats>();
  for (const row of statsRows) groups.set(groupKey(row), toStats(row));
  for (const row of errorRows) {
    const stats = groups.get(groupKey(row));
    if (!stats) continue;
    stats.errorsByCode.push({
      code: row.error_code,
      count: Number(row.count),
      rate: Number(row.count) / stats.executions,
    });
  }
  for (const stats of groups.values())
    stats.errorsByCode.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));

  const starts = bucketStarts(query.from, query.to, query.granularity);
  const seriesOf = (level: string): StatsPoint[] =>
    starts.map((bucket) => ({ bucket, stats: groups.get(`${level}@${bucket.getTime()}`) ?? emptyStats() }));

  const byToolType: ToolTypeStats[] = [];
  const byTool: ToolStats[] = [];
  for (const row of statsRows) {
    if (row.g_bucket === 0) continue;
    if (row.g_type === 0) {
      const level = `type:${toolTypeOf(row)}`;
      byToolType.push({
        toolType: toolTypeOf(row),
        totals: groups.get(level) ?? emptyStats(),
        series: seriesOf(level),
      });
    } else if (row.g_tool === 0) {
      const level = `tool:${toolKey(row)}`;
      byTool.push({
        toolId: row.tool_id,
        toolName: row.tool_name ?? '',
        toolType: row.any_type ?? BUILTIN_TYPE,
        totals: groups.get(level) ?? emptyStats(),
        series: seriesOf(level),
      });
    }
  }
  byToolType.sort((a, b) => a.toolType.localeCompare(b.toolType));
  byTool.sort((a, b) => b.totals.executions - a.totals.executions || a.toolName.localeCompare(b.toolName));

  return {
    from: query.from,
    to: query.to,
    granularity: query.granularity,
    totals: groups.get('all') ?? emptyStats(),
    series: seriesOf('all'),
    byToolType,
    byTool,
  };
}
