/**
 * The async queue on PostgreSQL: graphile-worker. Jobs are added by SQL
 * (`graphile_worker.add_job`) in the statement that writes their execution
 * row; the runner lives in this process with its own small pool, woken by
 * graphile-worker's LISTEN/NOTIFY.
 */
import pg from 'pg';
import type { Logger as PinoLogger } from 'pino';
import { Logger, run, runMigrations, type Runner } from 'graphile-worker';
import { EXECUTE_TOOL_TASK, goneInstancesSql, type AsyncQueue, type AsyncTask } from './async-queue.ts';
import type { HotSql } from './hot-sql.ts';

/** Connections beyond the workers': graphile-worker's LISTEN connection and its bookkeeping. */
const EXTRA_CONNECTIONS = 2;
/** Backstop for jobs that become runnable without a NOTIFY (retries after backoff, force-unlocked jobs). */
const POLL_INTERVAL_MS = 1_000;
/**
 * A lock on a job whose row is not RUNNING (never claimed, or already final) is
 * abandoned after this many leases: a live worker claims its row within
 * milliseconds of locking it and completes the job right after the final write.
 */
const UNCLAIMED_LOCK_LEASES = 3;

export interface GraphileQueueOptions {
  /** The app's pool: its connection settings are reused for the worker's own pool. */
  pool: pg.Pool;
  sql: HotSql;
  concurrency: number;
  logger: PinoLogger;
}

function graphileLogger(logger: PinoLogger): Logger {
  return new Logger(() => (level, message, meta) => {
    const fields = { ...meta, component: 'graphile-worker' };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}

/** Jobs locked by workers of gone instances (through the rows they claimed), or locked and never claimed. */
const RELEASE_SQL = `WITH "gone" AS (${goneInstancesSql('$1', '$2')}),
  "held" AS (
    SELECT DISTINCT j."locked_by" FROM "graphile_worker"."_private_jobs" AS j
    JOIN "tool_execution_logs" AS e ON e."id" = j."key"::uuid
    WHERE j."locked_by" IS NOT NULL AND j."key" IS NOT NULL
      AND ((e."status" = 'RUNNING' AND e."instance_id" IN (SELECT "id" FROM "gone"))
        OR (e."status" <> 'RUNNING'
          AND j."locked_at" < now() - make_interval(secs => $2::float8 * ${UNCLAIMED_LOCK_LEASES})))
  )
  SELECT count(*)::int AS "count", "graphile_worker".force_unlock_workers(array_agg("locked_by")) IS NULL AS "_"
  FROM "held"`;

export function createGraphileQueue(options: GraphileQueueOptions): AsyncQueue {
  const { sql, concurrency } = options;
  const logger = graphileLogger(options.logger);
  let pool: pg.Pool | null = null;
  let runner: Runner | null = null;

  return {
    kind: 'graphile-worker',
    jobCte: (source, maxAttempts) => `"job" AS (
      SELECT s."id" FROM "${source}" AS s,
        LATERAL "graphile_worker".add_job('${EXECUTE_TOOL_TASK}', json_build_object('executionId', s."id"),
          max_attempts => ${maxAttempts}, job_key => s."id"::text) AS "added")`,
    enqueued() {
      // add_job NOTIFYs the listening workers itself.
    },
    async start(task: AsyncTask) {
      if (runner) return;
      pool = new pg.Pool({ ...options.pool.options, max: concurrency + EXTRA_CONNECTIONS });
      const lost = (error: Error) => options.logger.warn({ err: error }, 'a worker database connection failed');
      pool.on('error', lost);
      pool.on('connect', (client) => client.on('error', lost));
      // The schema first: the first enqueue may come before the runner's own start-up finished.
      await runMigrations({ pgPool: pool, logger });
      runner = await run({
        pgPool: pool,
        concurrency,
        noHandleSignals: true,
        pollInterval: POLL_INTERVAL_MS,
        logger,
        taskList: {
          [EXECUTE_TOOL_TASK]: async (payload) => {
            const executionId = (payload as { executionId?: unknown } | null)?.executionId;
            if (typeof executionId !== 'string') return;
            await task(executionId);
          },
        },
      });
    },
    async releaseLapsed(instanceId, leaseSeconds) {
      if (!runner) return 0;
      const [row] = await sql.query<{ count: number }>(RELEASE_SQL, [instanceId, leaseSeconds]);
      return row?.count ?? 0;
    },
    async stop() {
      const stopping = runner;
      runner = null;
      await stopping?.stop();
      await pool?.end();
      pool = null;
    },
  };
}
