/**
 * Execution statistics for long windows from the per tool hour/day rollups
 * (tool_execution_rollups, kept by triggers in the writer's transaction), with
 * the raw rows only for the partial hours at the window's edges.
 *
 * Counts, rates, retries, averages and error codes equal the raw computation
 * exactly; percentiles come from the rollups' log-spaced histograms
 * (duration-histogram.ts). Short windows and minute series stay on the exact
 * raw path (execution-stats.ts), which is cheap at that size.
 */
import type { SqlDriver } from '../db/sql-driver.ts';
import { MAX_REPORTED_CPU_MS } from '../sandbox/limits.ts';
import { HISTOGRAM_BINS, histogramPercentile } from './duration-histogram.ts';
import {
  BUCKET_MS,
  BUCKET_STRIDE,
  BUILTIN_TYPE,
  NANO_PER_USD,
  bucketStarts,
  emptyStats,
  queryExecutionStats,
  validateWindow,
  type ExecutionStats,
  type StatsPoint,
  type StatsQuery,
  type StatsReport,
  type ToolStats,
  type ToolTypeStats,
} from './execution-stats.ts';

/** Windows up to a day are answered exactly from the raw rows; longer ones from the rollups. */
export const ROLLUP_MIN_WINDOW_MS = BUCKET_MS.day;

const HOUR_MS = BUCKET_MS.hour;
const DAY_MS = BUCKET_MS.day;

type Range = readonly [number, number];

interface WindowPlan {
  days: Range;
  hours: readonly [Range, Range];
  raw: readonly [Range, Range];
}

const floorTo = (at: number, size: number): number => Math.floor(at / size) * size;
const ceilTo = (at: number, size: number): number => Math.ceil(at / size) * size;

/**
 * Full days from the day rollups (day series only), the whole hours around them from
 * the hour rollups, the partial hours at either edge from the raw rows. null when the
 * exact raw path applies.
 */
export function planWindow(query: StatsQuery): WindowPlan | null {
  const from = query.from.getTime();
  const to = query.to.getTime();
  if (query.granularity === 'minute' || to - from <= ROLLUP_MIN_WINDOW_MS) return null;
  const firstHour = ceilTo(from, HOUR_MS);
  const lastHour = floorTo(to, HOUR_MS);
  if (firstHour >= lastHour) return null;
  const raw: [Range, Range] = [
    [from, firstHour],
    [lastHour, to],
  ];
  const firstDay = ceilTo(from, DAY_MS);
  const lastDay = floorTo(to, DAY_MS);
  if (query.granularity === 'day' && firstDay < lastDay) {
    return {
      days: [firstDay, lastDay],
      hours: [
        [firstHour, firstDay],
        [lastDay, lastHour],
      ],
      raw,
    };
  }
  return {
    days: [from, from],
    hours: [
      [firstHour, lastHour],
      [lastHour, lastHour],
    ],
    raw,
  };
}

/** The same sums the rollups keep, for one group (tool, bucket) or a merge of several. */
interface Part {
  executions: number;
  successes: number;
  timeouts: number;
  retries: number;
  durationSum: number;
  durationCount: number;
  min: number;
  max: number;
  histogram: number[];
  errors: Map<string, number>;
  cpuSum: number;
  cpuCount: number;
  cpuHistogram: number[];
  memorySum: number;
  memoryCount: number;
  memoryMax: number | null;
  costNano: number;
}

interface SourceRow {
  bucket: Date | string;
  tool_id: string | null;
  tool_name: string;
  tool_type: string | null;
  executions: number;
  successes: number;
  timeouts: number;
  retries: number | string;
  duration_sum: number | string;
  duration_count: number;
  duration_min: number | null;
  duration_max: number | null;
  cpu_sum: number | string;
  cpu_count: number;
  memory_sum: number | string;
  memory_count: number;
  memory_max: number | string | null;
  cost_nano: number | string;
}

interface RollupRow extends SourceRow {
  histogram: number[] | null;
  error_codes: Record<string, number> | string;
  cpu_histogram: number[] | null;
}

interface RawRow extends SourceRow {
  bin: number | null;
  error_code: string | null;
  cpu_bin: number | null;
}

const ROLLUPS_SQL = `
  SELECT r."bucket_start" AS bucket, r."tool_id"::text AS tool_id, r."tool_name", t."type"::text AS tool_type,
         r."executions", r."successes", r."timeouts", r."retries", r."duration_sum", r."duration_count",
         r."duration_min", r."duration_max", r."histogram", r."error_codes",
         r."cpu_time_sum" AS cpu_sum, r."cpu_time_count" AS cpu_count, r."cpu_histogram",
         r."peak_memory_sum" AS memory_sum, r."peak_memory_count" AS memory_count, r."peak_memory_max" AS memory_max,
         r."cost_nano_usd" AS cost_nano
  FROM "tool_execution_rollups" r
  LEFT JOIN "tools" t ON t."id" = r."tool_id"
  WHERE r."organization_id" = $1::uuid AND r."executions" > 0
    AND ($2::uuid IS NULL OR r."tool_id" = $2::uuid)
    AND ((r."granularity" = 'day' AND r."bucket_start" >= $3 AND r."bucket_start" < $4)
      OR (r."granularity" = 'hour' AND ((r."bucket_start" >= $5 AND r."bucket_start" < $6)
                                     OR (r."bucket_start" >= $7 AND r."bucket_start" < $8))))`;

/** The edges' raw rows, summed per report bucket, tool, duration bin and error code. */
const RAW_EDGES_SQL = `
  SELECT date_bin($3::interval, e."started_at", '2000-01-01T00:00:00Z'::timestamptz) AS bucket,
         e."tool_id"::text AS tool_id, e."tool_name", t."type"::text AS tool_type,
         "tool_execution_rollup_bin"(e."duration_ms") AS bin, e."error_code",
         "tool_execution_rollup_bin"(e."cpu_time_ms") AS cpu_bin,
         count(*)::int AS executions,
         (count(*) FILTER (WHERE e."status" = 'SUCCESS'))::int AS successes,
         (count(*) FILTER (WHERE e."status" = 'TIMEOUT'))::int AS timeouts,
         COALESCE(sum(e."retry_count"), 0)::int AS retries,
         COALESCE(sum(e."duration_ms"), 0)::float8 AS duration_sum,
         count(e."duration_ms")::int AS duration_count,
         min(e."duration_ms") AS duration_min, max(e."duration_ms") AS duration_max,
         COALESCE(sum(e."cpu_time_ms"), 0)::float8 AS cpu_sum, count(e."cpu_time_ms")::int AS cpu_count,
         COALESCE(sum(e."peak_memory_bytes"), 0)::float8 AS memory_sum,
         count(e."peak_memory_bytes")::int AS memory_count, max(e."peak_memory_bytes")::float8 AS memory_max,
         COALESCE(sum(e."estimated_cost_nano_usd"), 0)::float8 AS cost_nano
  FROM "tool_execution_logs" e
  LEFT JOIN "tools" t ON t."id" = e."tool_id"
  WHERE e."organization_id" = $1::uuid
    AND ((e."started_at" >= $4 AND e."started_at" < $5) OR (e."started_at" >= $6 AND e."started_at" < $7))
    AND e."status" NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL')
    AND ($2::uuid IS NULL OR e."tool_id" = $2::uuid)
  GROUP BY 1, 2, 3, 4, 5, 6, 7`;

function emptyPart(): Part {
  return {
    executions: 0,
    successes: 0,
    timeouts: 0,
    retries: 0,
    durationSum: 0,
    durationCount: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    histogram: new Array<number>(HISTOGRAM_BINS).fill(0),
    errors: new Map(),
    cpuSum: 0,
    cpuCount: 0,
    cpuHistogram: new Array<number>(HISTOGRAM_BINS).fill(0),
    memorySum: 0,
    memoryCount: 0,
    memoryMax: null,
    costNano: 0,
  };
}

function addSource(part: Part, row: SourceRow): void {
  part.executions += Number(row.executions);
  part.successes += Number(row.successes);
  part.timeouts += Number(row.timeouts);
  part.retries += Number(row.retries);
  part.durationSum += Number(row.duration_sum);
  part.durationCount += Number(row.duration_count);
  if (row.duration_min !== null) part.min = Math.min(part.min, Number(row.duration_min));
  if (row.duration_max !== null) part.max = Math.max(part.max, Number(row.duration_max));
  part.cpuSum += Number(row.cpu_sum);
  part.cpuCount += Number(row.cpu_count);
  part.memorySum += Number(row.memory_sum);
  part.memoryCount += Number(row.memory_count);
  if (row.memory_max !== null) part.memoryMax = Math.max(part.memoryMax ?? 0, Number(row.memory_max));
  part.costNano += Number(row.cost_nano);
}

/** Non-zero histogram bins as [bin, count]: a row's bins are added to six groups without walking all 193. */
type SparseBins = ReadonlyArray<readonly [number, number]>;

interface Counts {
  histogram: SparseBins;
  errors: ReadonlyMap<string, number>;
  cpuHistogram: SparseBins;
}

function addCounts(part: Part, { histogram, errors, cpuHistogram }: Counts): void {
  for (const [bin, count] of histogram) part.histogram[bin]! += count;
  for (const [bin, count] of cpuHistogram) part.cpuHistogram[bin]! += count;
  for (const [code, count] of errors) part.errors.set(code, (part.errors.get(code) ?? 0) + count);
}

function toStats(part: Part): ExecutionStats {
  const { executions, successes } = part;
  const range = { min: part.min, max: part.max };
  const percentile = (p: number): number | null =>
    part.durationCount > 0 ? histogramPercentile(part.histogram, p, range) : null;
  return {
    executions,
    successes,
    failures: executions - successes,
    successRate: executions ? successes / executions : null,
    errorRate: executions ? (executions - successes) / executions : null,
    timeouts: part.timeouts,
    retries: part.retries,
    averageDurationMs: part.durationCount ? part.durationSum / part.durationCount : null,
    p50DurationMs: percentile(0.5),
    p95DurationMs: percentile(0.95),
    p99DurationMs: percentile(0.99),
    errorsByCode: [...part.errors]
      .filter(([, count]) => count > 0)
      .map(([code, count]) => ({ code, count, rate: count / executions }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    averageCpuTimeMs: part.cpuCount ? part.cpuSum / part.cpuCount : null,
    p95CpuTimeMs: part.cpuCount
      ? histogramPercentile(part.cpuHistogram, 0.95, { min: 0, max: MAX_REPORTED_CPU_MS })
      : null,
    averagePeakMemoryBytes: part.memoryCount ? part.memorySum / part.memoryCount : null,
    maxPeakMemoryBytes: part.memoryMax,
    estimatedCostUsd: part.costNano / NANO_PER_USD,
  };
}

interface ToolMeta {
  toolId: string | null;
  toolName: string;
  toolType: string;
}

/** Rollup and raw-edge rows folded into overall, per type and per tool groups, each per bucket and in total. */
function createGroups(granularity: StatsQuery['granularity']) {
  const parts = new Map<string, Part>();
  const tools = new Map<string, ToolMeta>();
  const size = BUCKET_MS[granularity];
  const partOf = (key: string): Part => {
    let part = parts.get(key);
    if (!part) parts.set(key, (part = emptyPart()));
    return part;
  };
  return {
    tools,
    add(row: SourceRow, counts: Counts): void {
      const toolKey = row.tool_id ?? `builtin:${row.tool_name}`;
      const toolType = row.tool_type ?? BUILTIN_TYPE;
      const known = tools.get(toolKey);
      if (!known) tools.set(toolKey, { toolId: row.tool_id, toolName: row.tool_name, toolType });
      else if (row.tool_name > known.toolName) known.toolName = row.tool_name;
      const bucket = floorTo(new Date(row.bucket).getTime(), size);
      for (const level of ['all', `type:${toolType}`, `tool:${toolKey}`]) {
        for (const key of [level, `${level}@${bucket}`]) {
          const part = partOf(key);
          addSource(part, row);
          addCounts(part, counts);
        }
      }
    },
    stats(key: string): ExecutionStats | null {
      const part = parts.get(key);
      return part && part.executions > 0 ? toStats(part) : null;
    },
  };
}

function rawCounts(row: RawRow): Counts {
  const histogram: SparseBins =
    row.bin !== null && Number(row.duration_count) > 0 ? [[Number(row.bin), Number(row.duration_count)]] : [];
  const cpuHistogram: SparseBins =
    row.cpu_bin !== null && Number(row.cpu_count) > 0 ? [[Number(row.cpu_bin), Number(row.cpu_count)]] : [];
  const errors = new Map<string, number>();
  if (row.error_code !== null) errors.set(row.error_code, Number(row.executions));
  return { histogram, errors, cpuHistogram };
}

/** A rollup row's dense bins as its non-zero ones. */
function sparse(dense: number[] | null): SparseBins {
  const bins: Array<[number, number]> = [];
  if (!dense) return bins;
  for (let bin = 0; bin < dense.length; bin += 1) {
    const count = Number(dense[bin]);
    if (count !== 0) bins.push([bin, count]);
  }
  return bins;
}

function rollupCounts(row: RollupRow): Counts {
  const codes = typeof row.error_codes === 'string' ? JSON.parse(row.error_codes) : row.error_codes;
  return {
    histogram: sparse(row.histogram),
    errors: new Map(Object.entries(codes as Record<string, number>).map(([code, count]) => [code, Number(count)])),
    // Rollups written before the usage migration have no CPU histogram: they counted no CPU.
    cpuHistogram: sparse(row.cpu_histogram),
  };
}

async function queryRollupStats(sql: SqlDriver, query: StatsQuery, plan: WindowPlan): Promise<StatsReport> {
  const toolId = query.toolId ?? null;
  const at = (ms: number): Date => new Date(ms);
  const [rollups, raw] = await Promise.all([
    sql.query<RollupRow>(ROLLUPS_SQL, [
      query.organizationId,
      toolId,
      ...[plan.days, ...plan.hours].flatMap(([start, end]) => [at(start), at(end)]),
    ]),
    sql.query<RawRow>(RAW_EDGES_SQL, [
      query.organizationId,
      toolId,
      BUCKET_STRIDE[query.granularity],
      ...plan.raw.flatMap(([start, end]) => [at(start), at(end)]),
    ]),
  ]);
  const groups = createGroups(query.granularity);
  for (const row of rollups) groups.add(row, rollupCounts(row));
  for (const row of raw) groups.add(row, rawCounts(row));

  const starts = bucketStarts(query.from, query.to, query.granularity);
  const seriesOf = (level: string): StatsPoint[] =>
    starts.map((bucket) => ({ bucket, stats: groups.stats(`${level}@${bucket.getTime()}`) ?? emptyStats() }));
  const byTool: ToolStats[] = [];
  const types = new Set<string>();
  for (const [key, meta] of groups.tools) {
    const totals = groups.stats(`tool:${key}`);
    if (!totals) continue;
    types.add(meta.toolType);
    byTool.push({ ...meta, totals, series: seriesOf(`tool:${key}`) });
  }
  const byToolType: ToolTypeStats[] = [...types].map((toolType) => ({
    toolType,
    totals: groups.stats(`type:${toolType}`) ?? emptyStats(),
    series: seriesOf(`type:${toolType}`),
  }));
  byToolType.sort((a, b) => a.toolType.localeCompare(b.toolType));
  byTool.sort((a, b) => b.totals.executions - a.totals.executions || a.toolName.localeCompare(b.toolName));
  return {
    from: query.from,
    to: query.to,
    granularity: query.granularity,
    totals: groups.stats('all') ?? emptyStats(),
    series: seriesOf('all'),
    byToolType,
    byTool,
  };
}

/**
 * The statistics for a window: from the rollups when it is longer than a day and
 * by the hour or day, otherwise exactly from the raw rows.
 */
export async function queryWindowStats(sql: SqlDriver, query: StatsQuery): Promise<StatsReport> {
  validateWindow(query.from, query.to, query.granularity);
  const plan = planWindow(query);
  return plan ? queryRollupStats(sql, query, plan) : queryExecutionStats(sql, query);
}
