-- Resource usage of an execution (server/executors/types.ts ResourceUsage): CPU and peak memory of
-- CODE tools, the REPORT line of Lambda invocations and their estimated cost in nano-dollars.

-- AlterTable
ALTER TABLE "tool_execution_logs" ADD COLUMN "cpu_time_ms" INTEGER,
ADD COLUMN "peak_memory_bytes" BIGINT,
ADD COLUMN "billed_duration_ms" INTEGER,
ADD COLUMN "memory_size_mb" INTEGER,
ADD COLUMN "max_memory_used_mb" INTEGER,
ADD COLUMN "init_duration_ms" INTEGER,
ADD COLUMN "estimated_cost_nano_usd" BIGINT;
