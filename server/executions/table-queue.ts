/**
 * The async queue of the embedded mode: jobs in the `async_jobs` table of the
 * same PGlite database (why not graphile-worker: async-queue.ts). One process
 * owns an embedded store, so a job is claimed with a conditional UPDATE; an
 * enqueue wakes the workers in-process and a poll is the backstop for retries.
 * The retry rules are graphile-worker's: attempts counted when a job is taken,
 * exp(attempts) seconds of backoff after a failure, none after the last attempt.
 */
import type { Logger } from 'pino';
import type { AsyncQueue, AsyncTask } from './async-queue.ts';
import type { HotSql } from './hot-sql.ts';

const POLL_INTERVAL_MS = 1_000;
/** graphile-worker's backoff: exp(min(attempts, 10)) seconds. */
const MAX_BACKOFF_EXPONENT = 10;
/** A failure's message as kept on the job, enough to recognize it. */
const LAST_ERROR_CHARS = 2_000;

const CLAIM_SQL = `UPDATE "async_jobs"
  SET "locked_by" = $1::uuid, "locked_at" = clock_timestamp(), "attempts" = "attempts" + 1
  WHERE "execution_id" = (
    SELECT "execution_id" FROM "async_jobs"
    WHERE "locked_by" IS NULL AND "run_at" <= clock_timestamp() AND "attempts" < "max_attempts"
    ORDER BY "run_at" LIMIT 1)
  RETURNING "execution_id" AS "id"`;

/** A job taken while the queue was stopping goes back untouched. */
const RETURN_SQL = `UPDATE "async_jobs" SET "locked_by" = NULL, "locked_at" = NULL, "attempts" = "attempts" - 1
  WHERE "execution_id" = $1::uuid`;

const COMPLETE_SQL = `DELETE FROM "async_jobs" WHERE "execution_id" = $1::uuid`;

const FAIL_SQL = `UPDATE "async_jobs"
  SET "locked_by" = NULL, "locked_at" = NULL, "last_error" = $2,
    "run_at" = clock_timestamp() + make_interval(secs => exp(least("attempts", ${MAX_BACKOFF_EXPONENT}))::float8)
  WHERE "execution_id" = $1::uuid`;

/** At start-up the store is this process's alone: jobs an earlier process held are free again. */
const RELEASE_ALL_SQL = `UPDATE "async_jobs" SET "locked_by" = NULL, "locked_at" = NULL
  WHERE "locked_by" IS NOT NULL AND "locked_by" <> $1::uuid`;

export interface TableQueueOptions {
  sql: HotSql;
  concurrency: number;
  logger: Logger;
}

export function createTableQueue(options: TableQueueOptions): AsyncQueue {
  const { sql, concurrency, logger } = options;
  let instanceId = '';
  let task: AsyncTask | null = null;
  let timer: NodeJS.Timeout | null = null;
  const running = new Set<Promise<void>>();
  let pumping: Promise<void> | null = null;
  let again = false;

  async function work(id: string): Promise<void> {
    const run = task;
    try {
      if (!run) {
        await sql.query(RETURN_SQL, [id]);
        return;
      }
      await run(id);
      await sql.query(COMPLETE_SQL, [id]);
    } catch (error) {
      logger.warn({ err: error, execution: id }, 'an async job failed; it is retried');
      const message = error instanceof Error ? error.message : String(error);
      await sql
        .query(FAIL_SQL, [id, message.slice(0, LAST_ERROR_CHARS)])
        .catch((failure: unknown) => logger.error({ err: failure, execution: id }, 'recording a job failure failed'));
    }
  }

  async function fill(): Promise<void> {
    while (task && running.size < concurrency) {
      const [job] = await sql.query<{ id: string }>(CLAIM_SQL, [instanceId]);
      if (!job) return;
      const working: Promise<void> = work(job.id).finally(() => {
        running.delete(working);
        pump();
      });
      running.add(working);
    }
  }

  /** One claimer at a time; a wake-up during a pass runs another pass after it. */
  function pump(): void {
    if (!task) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = fill()
      .catch((error: unknown) => logger.warn({ err: error }, 'taking async jobs failed'))
      .finally(() => {
        pumping = null;
        if (again) {
          again = false;
          pump();
        }
      });
  }

  return {
    kind: 'table',
    jobCte: (source, maxAttempts) => `"job" AS (
      INSERT INTO "async_jobs" ("execution_id", "max_attempts") SELECT "id", ${maxAttempts} FROM "${source}"
      RETURNING "execution_id" AS "id")`,
    enqueued: pump,
    async start(work, self) {
      if (task) return;
      instanceId = self;
      await sql.query(RELEASE_ALL_SQL, [instanceId]);
      task = work;
      timer = setInterval(pump, POLL_INTERVAL_MS);
      timer.unref();
      pump();
    },
    async releaseLapsed() {
      // One process per embedded store: nobody else holds its jobs once it started.
      return 0;
    },
    async stop() {
      task = null;
      if (timer) clearInterval(timer);
      timer = null;
      await pumping;
      await Promise.allSettled([...running]);
    },
  };
}
