-- AlterEnum: ADD VALUE runs inside the migration's transaction (PostgreSQL 12+, PGlite); the value is not used
-- in this migration, which is the only thing a transaction forbids.
ALTER TYPE "ExecutionStatus" ADD VALUE 'QUEUED';

-- AlterTable: when an async execution was enqueued (null for sync ones); started_at is when a worker took it.
ALTER TABLE "tool_execution_logs" ADD COLUMN "queued_at" TIMESTAMPTZ(3);

-- CreateTable: the embedded (PGlite) queue of async executions; PostgreSQL uses graphile-worker's own tables.
CREATE TABLE "async_jobs" (
    "execution_id" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL,
    "run_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_by" UUID,
    "locked_at" TIMESTAMPTZ(3),
    "last_error" TEXT,

    CONSTRAINT "async_jobs_pkey" PRIMARY KEY ("execution_id")
);

-- CreateIndex
CREATE INDEX "async_jobs_run_at_idx" ON "async_jobs"("run_at");

-- AddForeignKey
ALTER TABLE "async_jobs" ADD CONSTRAINT "async_jobs_execution_id_fkey" FOREIGN KEY ("execution_id") REFERENCES "tool_execution_logs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
