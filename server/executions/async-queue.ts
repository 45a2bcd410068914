/**
 * The durable queue async executions wait on. A job carries only its
 * execution's id: the QUEUED row is the job's data, written in the same
 * statement as the job (execution-writer.ts insertQueued), so there is never a
 * row without its job or a job without its row.
 *
 * PostgreSQL: graphile-worker (graphile-queue.ts), job key = execution id.
 * Embedded PGlite: a worker on the `async_jobs` table in the same database
 * (table-queue.ts). graphile-worker through a PostgreSQL-wire bridge to PGlite
 * (@electric-sql/pglite-socket 0.2.17, maxConnections 20) was tried and ruled
 * out: PGlite is one backend session, which the bridge multiplexes its clients
 * onto. In the experiment (graphile-worker 0.18, concurrency 4): the pool's
 * connections collided on graphile-worker's named prepared statements ("already
 * exists", no job fetched after the first); with noPreparedStatements about a
 * third of the NOTIFYs never reached the worker (those jobs started only at the
 * 2 s poll); and a bridge client's open transaction swallowed the app's own
 * direct PGlite statements: a read saw its uncommitted row, and an app insert
 * made meanwhile vanished with its ROLLBACK. One process owns an embedded store
 * anyway, so a conditional UPDATE is all the locking the table worker needs.
 *
 * Delivery is at least once: a job whose worker died runs again, and the task
 * (engine.runQueued) is idempotent per execution: it claims the row, and a row
 * already final just completes.
 */
import type { JobCte } from './execution-writer.ts';

/** Runs one job; resolving completes it, throwing retries it with backoff until its attempts run out. */
export type AsyncTask = (executionId: string) => Promise<void>;

export interface AsyncQueue {
  readonly kind: 'graphile-worker' | 'table';
  /** The CTE that enqueues jobs in the statement writing their rows (execution-writer.ts). */
  jobCte: JobCte;
  /** Called after a statement that enqueued committed: wakes this process's workers. */
  enqueued(): void;
  /** Installs what the queue needs (graphile-worker's schema) and starts working jobs with `task` as `instanceId`. */
  start(task: AsyncTask, instanceId: string): Promise<void>;
  /**
   * Jobs held by workers of instances that stopped or whose lease lapsed (no heartbeat for
   * `leaseSeconds`) become runnable again at once, instead of after graphile-worker's own 4-hour timeout.
   */
  releaseLapsed(instanceId: string, leaseSeconds: number): Promise<number>;
  /** Stops taking jobs; resolves once the running ones returned (the engine aborts them meanwhile). */
  stop(): Promise<void>;
}

/** The task name the jobs are enqueued under. */
export const EXECUTE_TOOL_TASK = 'execute_tool';

/**
 * A job's attempts: the tool's own retries happen inside one attempt (attempt-loop.ts), so these only
 * count workers that died or a database that refused the finish. At least this many, so a tool without
 * retries still survives a kill -9 or two of the instance running it.
 */
export const MIN_JOB_ATTEMPTS = 3;

export function jobAttempts(retryAttempts: number): number {
  return Math.max(MIN_JOB_ATTEMPTS, retryAttempts + 1);
}

/**
 * The same lapse rule as the execution sweeps (execution-sweeps.ts): ids of instances other than the one
 * in parameter `self` that stopped or had no heartbeat for the seconds in parameter `lease`.
 */
export function goneInstancesSql(self: string, lease: string): string {
  return `SELECT "id" FROM "instances"
    WHERE "id" <> ${self}::uuid
      AND ("stopped_at" IS NOT NULL OR "heartbeat_at" < clock_timestamp() - make_interval(secs => ${lease}::float8))`;
}
