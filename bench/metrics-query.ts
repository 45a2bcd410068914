/**
 * Metrics queries over 1,000,000 execution rows on PostgreSQL: the
 * organization report for a day by the hour and for 30 days by the day, and a
 * tool's day by the minute. Each is timed with the covering metrics index and
 * again without it (the baseline beside it). Figures only, no pass/fail.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where a scratch database is created and dropped.
 */
import { performance } from 'node:perf_hooks';
import { queryExecutionStats, type StatsQuery } from '../server/metrics/execution-stats.ts';
import { machineLine } from './report.ts';
import { createBenchTools, withBenchDatabase } from './postgres-admin.ts';

const ROWS = Number(process.env.BENCH_METRICS_ROWS ?? 1_000_000);
const TOOLS = 20;
const DAYS = 30;
const REPEATS = 3;
const DAY_MS = 86_400_000;
export async function runMetricsQuery(): Promise<void> {
  await withBenchDatabase(4, async (database) => {
    const { sql, prisma } = database;
    const { org, tools } = await createBenchTools(prisma, TOOLS);
    const end = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const seeded = performance.now();
    await sql.query(
      `INSERT INTO "tool_execution_logs" ("id", "organization_id", "tool_id", "tool_name", "tool_version", "input_parameters",
         "status", "started_at", "completed_at", "duration_ms", "error_code", "retry_count", "trigger_context")
       SELECT gen_random_uuid(), $1::uuid, ($2::uuid[])[1 + i % ${TOOLS}], 'tool_' || (i % ${TOOLS}), 1, '{}'::jsonb,
         (CASE WHEN i % 50 = 0 THEN 'TIMEOUT' WHEN i % 17 = 0 THEN 'ERROR' WHEN i % 97 = 0 THEN 'RATE_LIMITED' ELSE 'SUCCESS' END)::"ExecutionStatus",
         $3::timestamptz - make_interval(secs => i * ${(DAYS * 86_400) / ROWS}),
         $3::timestamptz - make_interval(secs => i * ${(DAYS * 86_400) / ROWS}) + make_interval(secs => (abs(hashint4(i)) % 3000) / 1000.0),
         abs(hashint4(i)) % 3000,
         CASE WHEN i % 50 = 0 THEN 'TIMEOUT' WHEN i % 17 = 0 THEN 'UPSTREAM_ERROR' WHEN i % 97 = 0 THEN 'RATE_LIMITED' END,
         (i % 7 = 0)::int, 'call'
       FROM generate_series(1, ${ROWS}) AS i`,
      [org.id, tools.map((tool) => tool.id), end],
    );
    await sql.exec('VACUUM ANALYZE "tool_execution_logs"');
    const seedSeconds = (performance.now() - seeded) / 1000;
    const version = await sql.query<{ server_version: string }>('SHOW server_version');

    const cases: Array<[string, StatsQuery]> = [
      [
        'organization, last day by hour',
        { organizationId: org.id, from: new Date(end.getTime() - DAY_MS), to: end, granularity: 'hour' },
      ],
      [
        'organization, 30 days by day (all rows)',
        { organizationId: org.id, from: new Date(end.getTime() - DAYS * DAY_MS), to: end, granularity: 'day' },
      ],
      [
        'one tool, last day by minute',
        {
          organizationId: org.id,
          from: new Date(end.getTime() - DAY_MS),
          to: end,
          granularity: 'minute',
          toolId: tools[0]!.id,
        },
      ],
    ];
    const time = async (query: StatsQuery): Promise<{ ms: number; executions: number }> => {
      let best = Number.POSITIVE_INFINITY;
      let executions = 0;
      for (let i = 0; i < REPEATS; i += 1) {
        const started = performance.now();
        const report = await queryExecutionStats(sql, query);
        best = Math.min(best, performance.now() - started);
        executions = report.totals.executions;
      }
      return { ms: best, executions };
    };
    // Baseline: counting the same window's rows, the floor any report over it must pay.
    const countRows = async (query: StatsQuery): Promise<number> => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < REPEATS; i += 1) {
        const started = performance.now();
        await sql.query(
          `SELECT count(*) FROM tool_execution_logs WHERE organization_id = $1 AND started_at >= $2 AND started_at < $3
           AND ($4::uuid IS NULL OR tool_id = $4::uuid)`,
          [query.organizationId, query.from, query.to, query.toolId ?? null],
        );
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const reports: Array<{ ms: number; executions: number }> = [];
    const counts: number[] = [];
    for (const [, query] of cases) {
      reports.push(await time(query));
      counts.push(await countRows(query));
    }
    console.log(`## Metrics queries over ${ROWS.toLocaleString('en')} execution rows`);
    console.log(machineLine());
    console.log(`node:     ${process.version}; database: PostgreSQL ${version[0]?.server_version}`);
    console.log(
      `seed:     ${TOOLS} tools over ${DAYS} days, one INSERT … SELECT generate_series + VACUUM ANALYZE in ${seedSeconds.toFixed(1)} s`,
    );
    console.log(
      `each figure: best of ${REPEATS}, both queries of a report (stats and error codes) run in parallel, no cache`,
    );
    console.log('');
    console.log('| query | rows counted | report ms | count(*) of the window ms (baseline) | report / baseline |');
    console.log('|---|---|---|---|---|');
    for (const [i, [label]] of cases.entries()) {
      const report = reports[i]!;
      const baseline = counts[i]!;
      console.log(
        `| ${label} | ${report.executions} | ${report.ms.toFixed(0)} | ${baseline.toFixed(0)} | ${(report.ms / baseline).toFixed(1)}× |`,
      );
    }
    console.log('');
  });
}

if (import.meta.main) await runMetricsQuery();
