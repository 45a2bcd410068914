/**
 * Long-window metrics from the hour/day rollups, on PostgreSQL and PGlite: a
 * report read from the rollups (plus raw edges) equals the exact raw report —
 * counts, rates, retries, averages and error codes exactly, percentiles within
 * one histogram bin of the order statistics percentile_cont interpolates —
 * across unaligned window edges; rollups follow the engine's batched finishes
 * under concurrency, ignore a retried finish and in-flight rows, and the
 * backfill rebuilds them from existing rows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { createExecutionWriter } from '../../server/executions/execution-writer.ts';
import { hotSql } from '../../server/executions/hot-sql.ts';
import { PERCENTILE_RELATIVE_ERROR } from '../../server/metrics/duration-histogram.ts';
import {
  queryExecutionStats,
  type ExecutionStats,
  type Granularity,
  type StatsQuery,
  type StatsReport,
} from '../../server/metrics/execution-stats.ts';
import { planWindow, queryWindowStats } from '../../server/metrics/rollup-stats.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { NO_USAGE } from '../../server/executions/usage-fields.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2026-11-01T00:00:00.000Z');
/** Rows seeded over three days, one every 20 s, spread over two tools and a built-in. */
const SEEDED_ROWS = (3 * DAY) / 20_000;

function row(organizationId: string, toolId: string | null, startedAt: Date, extra: Partial<ToolExecution> = {}) {
  const execution: ToolExecution = {
    id: randomUUID(),
    organizationId,
    toolId,
    toolName: toolId ? 'probe' : 'endCall',
    toolVersion: 1,
    assistantId: null,
    callId: null,
    userId: null,
    apiKeyId: null,
    toolCallId: null,
    idempotencyKey: randomUUID(),
    inputParameters: {},
    outputResult: null,
    status: 'RUNNING',
    startedAt,
    completedAt: null,
    durationMs: null,
    errorMessage: null,
    errorCode: null,
    retryCount: 0,
    triggerContext: 'call',
    context: {},
    request: null,
    logs: null,
    approvalDeadline: null,
    decidedById: null,
    approvalPreview: null,
    approvalDigest: null,
    instanceId: null,
    awaitingCallbackUntil: null,
    callbackAfterHangup: false,
    queuedAt: null,
    ...NO_USAGE,
    ...extra,
  };
  return execution;
}

function finished(execution: ToolExecution, durationMs: number, failed = false): ToolExecution {
  return {
    ...execution,
    status: failed ? 'ERROR' : 'SUCCESS',
    errorCode: failed ? 'UPSTREAM_ERROR' : null,
    durationMs,
    completedAt: new Date(execution.startedAt.getTime() + durationMs),
    retryCount: failed ? 1 : 0,
  };
}

const EXACT_FIELDS = [
  'executions',
  'successes',
  'failures',
  'successRate',
  'errorRate',
  'timeouts',
  'retries',
] as const;

/**
 * The documented bound: an estimate lies within a factor 2^(1/8) of the order
 * statistics at ranks ⌊p·(n−1)⌋ and ⌈p·(n−1)⌉ that percentile_cont interpolates between.
 */
function expectPercentiles(where: string, got: ExecutionStats, sorted: readonly number[] | undefined): void {
  const values = sorted ?? [];
  for (const [p, field] of [
    [0.5, 'p50DurationMs'],
    [0.95, 'p95DurationMs'],
    [0.99, 'p99DurationMs'],
  ] as const) {
    const estimate = got[field];
    if (values.length === 0) {
      expect(estimate, `${where} ${field}`).toBeNull();
      continue;
    }
    const rank = p * (values.length - 1);
    const low = values[Math.floor(rank)]!;
    const high = values[Math.ceil(rank)]!;
    expect(estimate, `${where} ${field}`).not.toBeNull();
    expect(estimate!, `${where} ${field}`).toBeGreaterThanOrEqual(low / (1 + PERCENTILE_RELATIVE_ERROR) - 1e-9);
    expect(estimate!, `${where} ${field}`).toBeLessThanOrEqual(high * (1 + PERCENTILE_RELATIVE_ERROR) + 1e-9);
  }
}

/** Usage averages, the memory maximum and cost as the raw rows give them; CPU p95 within two histogram bins. */
function expectSameUsage(where: string, got: ExecutionStats, want: ExecutionStats): void {
  for (const field of ['averageCpuTimeMs', 'averagePeakMemoryBytes', 'estimatedCostUsd'] as const) {
    if (want[field] === null) expect(got[field], `${where} ${field}`).toBeNull();
    else expect(got[field]!, `${where} ${field}`).toBeCloseTo(want[field], 6);
  }
  expect(got.maxPeakMemoryBytes, `${where} maxPeakMemoryBytes`).toBe(want.maxPeakMemoryBytes);
  if (want.p95CpuTimeMs === null) {
    expect(got.p95CpuTimeMs, `${where} p95CpuTimeMs`).toBeNull();
    return;
  }
  const slack = (1 + PERCENTILE_RELATIVE_ERROR) ** 2;
  expect(got.p95CpuTimeMs!, `${where} p95CpuTimeMs`).toBeGreaterThanOrEqual(want.p95CpuTimeMs / slack - 1);
  expect(got.p95CpuTimeMs!, `${where} p95CpuTimeMs`).toBeLessThanOrEqual(want.p95CpuTimeMs * slack + 1);
}

function expectSameStats(where: string, got: ExecutionStats, want: ExecutionStats): void {
  for (const field of EXACT_FIELDS) expect(got[field], `${where} ${field}`).toBe(want[field]);
  expectSameUsage(where, got, want);
  expect(got.errorsByCode, `${where} errorsByCode`).toEqual(want.errorsByCode);
  if (want.averageDurationMs === null) expect(got.averageDurationMs, `${where} average`).toBeNull();
  else expect(got.averageDurationMs!, `${where} average`).toBeCloseTo(want.averageDurationMs, 6);
}

for (const engine of ['postgresql', 'pglite'] as const) {
  describe(`metrics rollups on ${engine}`, () => {
    let test: TestDatabase | undefined;
    let database: Database;
    let organizationId: string;
    let toolA: string;
    let toolB: string;

    beforeAll(async () => {
      test = await createTestDatabase({ engine });
      database = test.database;
      const prisma = database.prisma;
      organizationId = (await prisma.organization.create({ data: { name: 'Rollups', slug: `r-${randomUUID()}` } })).id;
      const tool = async (name: string, type: 'ENDPOINT' | 'CODE') =>
        (
          await prisma.tool.create({
            data: { organizationId, name, displayName: name, type, configuration: {}, functionDefinition: {} },
          })
        ).id;
      toolA = await tool('a', 'ENDPOINT');
      toolB = await tool('b', 'CODE');
      // Three days of finished rows (plus in-flight ones, which never count) in one statement.
      await database.sql.query(
        `INSERT INTO "tool_execution_logs" ("id", "organization_id", "tool_id", "tool_name", "tool_version", "input_parameters",
           "status", "started_at", "duration_ms", "error_code", "retry_count", "trigger_context",
           "cpu_time_ms", "peak_memory_bytes", "estimated_cost_nano_usd")
         SELECT gen_random_uuid(), $1::uuid, CASE i % 3 WHEN 0 THEN $2::uuid WHEN 1 THEN $3::uuid END,
           CASE i % 3 WHEN 2 THEN 'endCall' ELSE 'probe' END, 1, '{}'::jsonb,
           (CASE WHEN i % 101 = 0 THEN 'RUNNING' WHEN i % 103 = 0 THEN 'QUEUED' WHEN i % 107 = 0 THEN 'PENDING_APPROVAL'
                 WHEN i % 13 = 0 THEN 'TIMEOUT' WHEN i % 7 = 0 THEN 'ERROR' ELSE 'SUCCESS' END)::"ExecutionStatus",
           $4::timestamptz + make_interval(secs => i * 20),
           CASE WHEN i % 101 = 0 OR i % 103 = 0 OR i % 107 = 0 OR i % 89 = 0 THEN NULL ELSE (i * 7919) % 4000 END,
           CASE WHEN i % 13 = 0 THEN 'TIMEOUT' WHEN i % 7 = 0 THEN (CASE WHEN i % 2 = 0 THEN 'UPSTREAM_ERROR' ELSE 'HTTP_500' END) END,
           i % 3, 'call',
           CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 31) % 900 END,
           CASE WHEN i % 4 = 0 THEN NULL ELSE 1000000 + (i * 7717) % 50000000 END,
           CASE WHEN i % 3 = 1 THEN 200 + i % 1000 END
         FROM generate_series(0, ${SEEDED_ROWS - 1}) AS i`,
        [organizationId, toolA, toolB, new Date(START)],
      );
    });
    afterAll(async () => {
      await test?.drop();
    });

    /** Sorted durations of finished rows per group, as the exact report groups them. */
    async function sortedDurations(query: StatsQuery): Promise<Map<string, number[]>> {
      const rows = await database.sql.query<{
        g_bucket: number;
        g_tool: number;
        bucket: Date | null;
        tool_key: string | null;
        durations: number[] | null;
      }>(
        `SELECT GROUPING(bucket) AS g_bucket, GROUPING(tool_key) AS g_tool, bucket, tool_key,
                array_agg(duration_ms ORDER BY duration_ms) FILTER (WHERE duration_ms IS NOT NULL) AS durations
         FROM (SELECT date_bin($4::interval, started_at, '2000-01-01T00:00:00Z'::timestamptz) AS bucket,
                      COALESCE(tool_id::text, 'builtin:' || tool_name) AS tool_key, duration_ms
               FROM tool_execution_logs WHERE organization_id = $1 AND started_at >= $2 AND started_at < $3
                 AND status NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL')) f
         GROUP BY GROUPING SETS ((), (bucket), (tool_key), (tool_key, bucket))`,
        [query.organizationId, query.from, query.to, `1 ${query.granularity}`],
      );
      const groups = new Map<string, number[]>();
      for (const group of rows) {
        const level = group.g_tool === 0 ? `tool:${group.tool_key}` : 'all';
        const key = group.g_bucket === 0 ? `${level}@${new Date(group.bucket!).getTime()}` : level;
        groups.set(key, (group.durations ?? []).map(Number));
      }
      return groups;
    }

    async function expectMatchesRaw(query: StatsQuery): Promise<StatsReport> {
      expect(planWindow(query), 'the rollup path applies').not.toBeNull();
      const [got, want, durations] = await Promise.all([
        queryWindowStats(database.sql, query),
        queryExecutionStats(database.sql, query),
        sortedDurations(query),
      ]);
      expectSameStats('totals', got.totals, want.totals);
      expectPercentiles('totals', got.totals, durations.get('all'));
      expect(got.series.map((point) => point.bucket)).toEqual(want.series.map((point) => point.bucket));
      for (const [index, point] of got.series.entries()) {
        const where = `series ${point.bucket.toISOString()}`;
        expectSameStats(where, point.stats, want.series[index]!.stats);
        expectPercentiles(where, point.stats, durations.get(`all@${point.bucket.getTime()}`));
      }
      expect(got.byToolType.map((group) => group.toolType)).toEqual(want.byToolType.map((group) => group.toolType));
      for (const [index, group] of got.byToolType.entries())
        expectSameStats(`type ${group.toolType}`, group.totals, want.byToolType[index]!.totals);
      expect(got.byTool.map(({ toolId, toolName, toolType }) => ({ toolId, toolName, toolType }))).toEqual(
        want.byTool.map(({ toolId, toolName, toolType }) => ({ toolId, toolName, toolType })),
      );
      for (const [index, tool] of got.byTool.entries()) {
        const key = tool.toolId ?? `builtin:${tool.toolName}`;
        expectSameStats(`tool ${key}`, tool.totals, want.byTool[index]!.totals);
        expectPercentiles(`tool ${key}`, tool.totals, durations.get(`tool:${key}`));
        for (const [at, point] of tool.series.entries()) {
          const where = `tool ${key} ${point.bucket.toISOString()}`;
          expectSameStats(where, point.stats, want.byTool[index]!.series[at]!.stats);
          expectPercentiles(where, point.stats, durations.get(`tool:${key}@${point.bucket.getTime()}`));
        }
      }
      return got;
    }

    const window = (from: number, to: number, granularity: Granularity, toolId?: string): StatsQuery => ({
      organizationId,
      from: new Date(from),
      to: new Date(to),
      granularity,
      toolId: toolId ?? null,
    });

    it('answers long windows from the rollups as the raw rows would, across unaligned edges', async () => {
      const from = START + 5 * HOUR + 37 * 60_000 + 11_000;
      const to = START + 2 * DAY + 19 * HOUR + 13 * 60_000;
      const report = await expectMatchesRaw(window(from, to, 'day'));
      expect(report.totals.executions).toBeGreaterThan(10_000);
      expect(report.totals.estimatedCostUsd).toBeGreaterThan(0);
      expect(report.totals.p95CpuTimeMs).toBeGreaterThan(0);
      expect(report.totals.maxPeakMemoryBytes).toBeGreaterThan(report.totals.averagePeakMemoryBytes!);
      await expectMatchesRaw(window(from, to, 'hour'));
      await expectMatchesRaw(window(START - DAY, START + 3 * DAY, 'day'));
      await expectMatchesRaw(window(START + HOUR / 2, START + 3 * DAY - HOUR / 2, 'day', toolA));
      await expectMatchesRaw(window(START + 2 * HOUR, START + 2 * DAY, 'hour', toolB));
    });

    it('counts finishes written concurrently by several writers once, and in-flight rows not at all', async () => {
      const at = START + DAY + 3 * HOUR;
      const writers = [createExecutionWriter(hotSql(database.sql)), createExecutionWriter(hotSql(database.sql))];
      const rows = Array.from({ length: 240 }, (_, i) =>
        row(organizationId, [toolA, toolB, null][i % 3]!, new Date(at + (i % 5) * HOUR + i * 1000)),
      );
      const version = (await database.prisma.organization.findUniqueOrThrow({ where: { id: organizationId } }))
        .configVersion;
      const query = window(at - 2 * DAY, at + 2 * DAY, 'hour');
      const before = await queryWindowStats(database.sql, query);
      await Promise.all(rows.map((execution, i) => writers[i % 2]!.insert(execution, version)));
      const running = await queryWindowStats(database.sql, query);
      expect(running.totals.executions).toBe(before.totals.executions);

      // Two writers finishing interleaved batches over the same tools and hours, and each finish sent twice.
      const results = await Promise.all(
        rows.flatMap((execution, i) => {
          const done = finished(execution, 10 + ((i * 37) % 900), i % 4 === 0);
          return [writers[i % 2]!.finish(done, null), writers[(i + 1) % 2]!.finish(done, null)];
        }),
      );
      expect(results.filter(Boolean).length).toBe(rows.length);
      const after = await expectMatchesRaw(query);
      expect(after.totals.executions).toBe(before.totals.executions + rows.length);
      expect(after.totals.failures).toBe(before.totals.failures + rows.filter((_, i) => i % 4 === 0).length);
    });

    it('does not count a finish written again, and follows a row rewritten to another outcome', async () => {
      const at = START + 2 * DAY + 30 * 60_000;
      const query = window(START, START + 3 * DAY, 'day');
      const writer = createExecutionWriter(hotSql(database.sql));
      const version = (await database.prisma.organization.findUniqueOrThrow({ where: { id: organizationId } }))
        .configVersion;
      const before = await queryWindowStats(database.sql, query);
      const execution = row(organizationId, toolA, new Date(at));
      expect(await writer.insert(execution, version)).toBe(true);
      const done = finished(execution, 250);
      expect(await writer.finish(done, null)).toBe(true);
      expect(await writer.finish(done, null)).toBe(false);
      // The same values written again by hand: no change to count.
      await database.sql.query(
        `UPDATE tool_execution_logs SET status = 'SUCCESS', duration_ms = 250, completed_at = now() WHERE id = $1`,
        [execution.id],
      );
      let after = await expectMatchesRaw(query);
      expect(after.totals.executions).toBe(before.totals.executions + 1);
      expect(after.totals.successes).toBe(before.totals.successes + 1);

      await database.sql.query(
        `UPDATE tool_execution_logs SET status = 'TIMEOUT', error_code = 'TIMEOUT', duration_ms = 30000 WHERE id = $1`,
        [execution.id],
      );
      after = await expectMatchesRaw(query);
      expect(after.totals.executions).toBe(before.totals.executions + 1);
      expect(after.totals.timeouts).toBe(before.totals.timeouts + 1);
      await database.sql.query('DELETE FROM tool_execution_logs WHERE id = $1', [execution.id]);
      after = await expectMatchesRaw(query);
      expect(after.totals.executions).toBe(before.totals.executions);
    });

    it('rebuilds the rollups from existing rows (the migration backfill)', async () => {
      const query = window(START + 7 * HOUR, START + 3 * DAY, 'day');
      const before = await expectMatchesRaw(query);
      await database.sql.query('DELETE FROM tool_execution_rollups', []);
      const emptied = await queryWindowStats(database.sql, query);
      expect(emptied.totals.executions).toBeLessThan(before.totals.executions);
      await database.sql.query('SELECT tool_execution_rollup_backfill()', []);
      const rebuilt = await expectMatchesRaw(query);
      expect(rebuilt.totals.executions).toBe(before.totals.executions);
      expect(rebuilt.totals.errorsByCode).toEqual(before.totals.errorsByCode);
    });
  });
}
