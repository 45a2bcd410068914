/**
 * Long-window metrics from the rollups over 10,000,000 execution rows on
 * PostgreSQL: the organization report for 30 days by the day (aligned, and
 * ending mid-hour so the raw edges are paid too) next to a plain count(*) of
 * the same window and the exact raw report. Rows go in one day per
 * INSERT … SELECT generate_series, through the rollup triggers like the engine's
 * writes. Figures only, no pass/fail.
 *
 * BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is
 * where a scratch database is created and dropped; BENCH_ROLLUP_ROWS changes the row count.
 */
import { performance } from 'node:perf_hooks';
import { queryExecutionStats, type StatsQuery } from '../server/metrics/execution-stats.ts';
import { queryWindowStats } from '../server/metrics/rollup-stats.ts';
import { createBenchTools, withBenchDatabase } from './postgres-admin.ts';
import { machineLine } from './report.ts';

const ROWS = Number(process.env.BENCH_ROLLUP_ROWS ?? 10_000_000);
const TOOLS = 20;
const DAYS = 30;
const REPEATS = 5;
const DAY_MS = 86_400_000;
async function best(repeats: number, run: () => Promise<unknown>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i += 1) {
    const started = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

export async function runMetricsRollups(): Promise<void> {
  await withBenchDatabase(4, async (database) => {
    const { sql, prisma } = database;
    const { org, tools } = await createBenchTools(prisma, TOOLS);
    const end = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const perDay = Math.ceil(ROWS / DAYS);
    const seeded = performance.now();
    for (let day = 0; day < DAYS; day += 1) {
      await sql.query(
        `INSERT INTO "tool_execution_logs" ("id", "organization_id", "tool_id", "tool_name", "tool_version", "input_parameters",
           "status", "started_at", "completed_at", "duration_ms", "error_code", "retry_count", "trigger_context")
         SELECT gen_random_uuid(), $1::uuid, ($2::uuid[])[1 + i % ${TOOLS}], 'tool_' || (i % ${TOOLS}), 1, '{}'::jsonb,
           (CASE WHEN i % 50 = 0 THEN 'TIMEOUT' WHEN i % 17 = 0 THEN 'ERROR' WHEN i % 97 = 0 THEN 'RATE_LIMITED' ELSE 'SUCCESS' END)::"ExecutionStatus",
           $3::timestamptz - make_interval(secs => i * ${86_400 / perDay}),
           $3::timestamptz - make_interval(secs => i * ${86_400 / perDay}) + make_interval(secs => (abs(hashint4(i)) % 3000) / 1000.0),
           abs(hashint4(i)) % 3000,
           CASE WHEN i % 50 = 0 THEN 'TIMEOUT' WHEN i % 17 = 0 THEN 'UPSTREAM_ERROR' WHEN i % 97 = 0 THEN 'RATE_LIMITED' END,
           (i % 7 = 0)::int, 'call'
         FROM generate_series(1, ${perDay}) AS i`,
        [org.id, tools.map((tool) => tool.id), new Date(end.getTime() - day * DAY_MS)],
      );
    }
    await sql.exec('VACUUM ANALYZE "tool_execution_logs"');
    await sql.exec('VACUUM ANALYZE "tool_execution_rollups"');
    const seedSeconds = (performance.now() - seeded) / 1000;
    const version = await sql.query<{ server_version: string }>('SHOW server_version');
    const rollupRows = await sql.query<{ count: number }>('SELECT count(*)::int AS count FROM tool_execution_rollups');

    // Ending 17 min 23 s into an hour: the partial last hour and the first day's partial hours are read raw.
    const unalignedEnd = new Date(end.getTime() - 6 * 3_600_000 - 17 * 60_000 - 23_000);
    const cases: Array<[string, StatsQuery]> = [
      [
        '30 days by day, whole days',
        { organizationId: org.id, from: new Date(end.getTime() - DAYS * DAY_MS), to: end, granularity: 'day' },
      ],
      [
        '30 days by day, ending mid-hour',
        {
          organizationId: org.id,
          from: new Date(unalignedEnd.getTime() - DAYS * DAY_MS),
          to: unalignedEnd,
          granularity: 'day',
        },
      ],
      [
        '7 days by hour, ending mid-hour',
        {
          organizationId: org.id,
          from: new Date(unalignedEnd.getTime() - 7 * DAY_MS),
          to: unalignedEnd,
          granularity: 'hour',
        },
      ],
    ];
    console.log(`## Long-window metrics from rollups over ${ROWS.toLocaleString('en')} execution rows`);
    console.log(machineLine());
    console.log(`node:     ${process.version}; database: PostgreSQL ${version[0]?.server_version}`);
    console.log(
      `seed:     ${TOOLS} tools over ${DAYS} days, one INSERT … SELECT generate_series per day through the rollup triggers + VACUUM ANALYZE in ${seedSeconds.toFixed(1)} s; ${rollupRows[0]?.count} rollup rows`,
    );
    console.log(
      `each figure: best of ${REPEATS} (the exact raw report: one run), both queries of a report run in parallel, no cache`,
    );
    console.log('');
    console.log(
      '| query | executions | rollup report ms | count(*) of the window ms (baseline) | rollup / baseline | exact raw report ms |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const [label, query] of cases) {
      const report = await queryWindowStats(sql, query);
      const rollupMs = await best(REPEATS, () => queryWindowStats(sql, query));
      const countMs = await best(REPEATS, () =>
        sql.query(
          `SELECT count(*) FROM tool_execution_logs WHERE organization_id = $1 AND started_at >= $2 AND started_at < $3`,
          [query.organizationId, query.from, query.to],
        ),
      );
      const rawMs = await best(1, () => queryExecutionStats(sql, query));
      console.log(
        `| ${label} | ${report.totals.executions} | ${rollupMs.toFixed(1)} | ${countMs.toFixed(0)} | ${(rollupMs / countMs).toFixed(3)}× | ${rawMs.toFixed(0)} |`,
      );
    }
    console.log('');
  });
}

if (import.meta.main) await runMetricsRollups();
