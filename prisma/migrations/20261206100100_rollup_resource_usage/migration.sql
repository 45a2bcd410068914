-- Resource usage in the rollups (server/metrics/rollup-stats.ts): CPU time sums and a CPU histogram
-- (same 193 bins as durations, for p95), peak memory sums and maximum, billed duration and estimated
-- cost (nano-dollars) per tool and hour/day, so cost per tool per day reads long windows from here.
-- Rows rolled up before this migration had no usage to count: zeros are their true sums.

-- AlterTable
ALTER TABLE "tool_execution_rollups" ADD COLUMN "cpu_time_sum" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "cpu_time_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "cpu_histogram" INTEGER[],
ADD COLUMN "peak_memory_sum" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "peak_memory_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "peak_memory_max" BIGINT,
ADD COLUMN "billed_duration_sum" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN "cost_nano_usd" BIGINT NOT NULL DEFAULT 0;

ALTER TYPE "tool_execution_rollup_change" ADD ATTRIBUTE "cpu_time_ms" INTEGER,
  ADD ATTRIBUTE "peak_memory_bytes" BIGINT,
  ADD ATTRIBUTE "billed_duration_ms" INTEGER,
  ADD ATTRIBUTE "estimated_cost_nano_usd" BIGINT;

CREATE OR REPLACE FUNCTION "tool_execution_rollup_apply"(changes "tool_execution_rollup_change"[]) RETURNS VOID
LANGUAGE sql AS $$
  INSERT INTO "tool_execution_rollups" AS r ("organization_id", "granularity", "bucket_start", "tool_key", "tool_id",
      "tool_name", "executions", "successes", "timeouts", "retries", "duration_sum", "duration_count",
      "duration_min", "duration_max", "histogram", "error_codes", "cpu_time_sum", "cpu_time_count", "cpu_histogram",
      "peak_memory_sum", "peak_memory_count", "peak_memory_max", "billed_duration_sum", "cost_nano_usd")
  SELECT g."organization_id", g."granularity", g."bucket_start", g."tool_key", max(g."tool_id"::text)::uuid,
         max(g."tool_name"), sum(g."n")::int, sum(g."ok")::int, sum(g."timeouts")::int, sum(g."retries"),
         sum(g."duration_sum"), sum(g."duration_count")::int, min(g."duration_min"), max(g."duration_max"),
         "tool_execution_rollup_histogram"(array_agg(g."bin"), array_agg(g."bin_count")),
         "tool_execution_rollup_codes"(array_agg(g."error_code"), array_agg(g."n")),
         sum(g."cpu_sum"), sum(g."cpu_count")::int,
         -- Only tools that report CPU (CODE) carry a CPU histogram: the others' rows stay as light as before.
         CASE WHEN bool_or(g."cpu_bin" IS NOT NULL)
           THEN "tool_execution_rollup_histogram"(array_agg(g."cpu_bin"), array_agg(g."cpu_bin_count")) END,
         sum(g."memory_sum"), sum(g."memory_count")::int, max(g."memory_max"), sum(g."billed_sum"), sum(g."cost")
  FROM (
    SELECT c."organization_id", k."granularity", date_trunc(k."granularity", c."started_at", 'UTC') AS "bucket_start",
           COALESCE(c."tool_id"::text, 'builtin:' || c."tool_name") AS "tool_key", c."tool_id", c."tool_name",
           "tool_execution_rollup_bin"(c."duration_ms") AS "bin", c."error_code",
           "tool_execution_rollup_bin"(c."cpu_time_ms") AS "cpu_bin",
           sum(c."sign") AS "n",
           sum(c."sign") FILTER (WHERE c."duration_ms" IS NOT NULL) AS "bin_count",
           COALESCE(sum(c."sign") FILTER (WHERE c."status" = 'SUCCESS'), 0) AS "ok",
           COALESCE(sum(c."sign") FILTER (WHERE c."status" = 'TIMEOUT'), 0) AS "timeouts",
           COALESCE(sum(c."sign" * c."retry_count"), 0) AS "retries",
           COALESCE(sum(c."sign" * c."duration_ms"), 0) AS "duration_sum",
           COALESCE(sum(c."sign") FILTER (WHERE c."duration_ms" IS NOT NULL), 0) AS "duration_count",
           min(c."duration_ms") FILTER (WHERE c."sign" > 0) AS "duration_min",
           max(c."duration_ms") FILTER (WHERE c."sign" > 0) AS "duration_max",
           COALESCE(sum(c."sign" * c."cpu_time_ms"), 0) AS "cpu_sum",
           COALESCE(sum(c."sign") FILTER (WHERE c."cpu_time_ms" IS NOT NULL), 0) AS "cpu_count",
           sum(c."sign") FILTER (WHERE c."cpu_time_ms" IS NOT NULL) AS "cpu_bin_count",
           COALESCE(sum(c."sign" * c."peak_memory_bytes"), 0) AS "memory_sum",
           COALESCE(sum(c."sign") FILTER (WHERE c."peak_memory_bytes" IS NOT NULL), 0) AS "memory_count",
           max(c."peak_memory_bytes") FILTER (WHERE c."sign" > 0) AS "memory_max",
           COALESCE(sum(c."sign" * c."billed_duration_ms"), 0) AS "billed_sum",
           COALESCE(sum(c."sign" * c."estimated_cost_nano_usd"), 0) AS "cost"
    FROM unnest(changes) AS c
    CROSS JOIN (VALUES ('hour'), ('day')) AS k("granularity")
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
  ) g
  GROUP BY g."organization_id", g."granularity", g."bucket_start", g."tool_key"
  ORDER BY g."organization_id", g."granularity", g."bucket_start", g."tool_key"
  ON CONFLICT ("organization_id", "granularity", "bucket_start", "tool_key") DO UPDATE SET
    "tool_id" = COALESCE(EXCLUDED."tool_id", r."tool_id"),
    "tool_name" = greatest(r."tool_name", EXCLUDED."tool_name"),
    "executions" = r."executions" + EXCLUDED."executions",
    "successes" = r."successes" + EXCLUDED."successes",
    "timeouts" = r."timeouts" + EXCLUDED."timeouts",
    "retries" = r."retries" + EXCLUDED."retries",
    "duration_sum" = r."duration_sum" + EXCLUDED."duration_sum",
    "duration_count" = r."duration_count" + EXCLUDED."duration_count",
    "duration_min" = least(r."duration_min", EXCLUDED."duration_min"),
    "duration_max" = greatest(r."duration_max", EXCLUDED."duration_max"),
    "histogram" = "tool_execution_rollup_histogram_add"(r."histogram", EXCLUDED."histogram"),
    "error_codes" = "tool_execution_rollup_codes_add"(r."error_codes", EXCLUDED."error_codes"),
    "cpu_time_sum" = r."cpu_time_sum" + EXCLUDED."cpu_time_sum",
    "cpu_time_count" = r."cpu_time_count" + EXCLUDED."cpu_time_count",
    "cpu_histogram" = CASE WHEN EXCLUDED."cpu_histogram" IS NULL THEN r."cpu_histogram"
      WHEN r."cpu_histogram" IS NULL THEN EXCLUDED."cpu_histogram"
      ELSE "tool_execution_rollup_histogram_add"(r."cpu_histogram", EXCLUDED."cpu_histogram") END,
    "peak_memory_sum" = r."peak_memory_sum" + EXCLUDED."peak_memory_sum",
    "peak_memory_count" = r."peak_memory_count" + EXCLUDED."peak_memory_count",
    "peak_memory_max" = greatest(r."peak_memory_max", EXCLUDED."peak_memory_max"),
    "billed_duration_sum" = r."billed_duration_sum" + EXCLUDED."billed_duration_sum",
    "cost_nano_usd" = r."cost_nano_usd" + EXCLUDED."cost_nano_usd"
$$;

CREATE OR REPLACE FUNCTION "tool_execution_rollup_trigger"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  changes "tool_execution_rollup_change"[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(1, n."organization_id", n."started_at", n."tool_id", n."tool_name", n."status",
        n."duration_ms", n."retry_count", n."error_code", n."cpu_time_ms", n."peak_memory_bytes", n."billed_duration_ms", n."estimated_cost_nano_usd")::"tool_execution_rollup_change"
      FROM "new_rows" n WHERE "tool_execution_rollup_final"(n."status"));
  ELSIF TG_OP = 'DELETE' THEN
    changes := ARRAY(SELECT ROW(-1, o."organization_id", o."started_at", o."tool_id", o."tool_name", o."status",
        o."duration_ms", o."retry_count", o."error_code", o."cpu_time_ms", o."peak_memory_bytes", o."billed_duration_ms", o."estimated_cost_nano_usd")::"tool_execution_rollup_change"
      FROM "old_rows" o WHERE "tool_execution_rollup_final"(o."status"));
  ELSE
    -- (A composite with a NULL field is not IS NOT NULL, hence the separate flag.)
    -- Only rows whose counted values changed: rewriting a finish with the same values is a no-op.
    changes := ARRAY(
      SELECT x.c FROM "new_rows" n JOIN "old_rows" o ON o."id" = n."id"
      CROSS JOIN LATERAL (VALUES
        ("tool_execution_rollup_final"(n."status"), ROW(1, n."organization_id", n."started_at", n."tool_id",
          n."tool_name", n."status", n."duration_ms", n."retry_count", n."error_code", n."cpu_time_ms", n."peak_memory_bytes", n."billed_duration_ms", n."estimated_cost_nano_usd")::"tool_execution_rollup_change"),
        ("tool_execution_rollup_final"(o."status"), ROW(-1, o."organization_id", o."started_at", o."tool_id",
          o."tool_name", o."status", o."duration_ms", o."retry_count", o."error_code", o."cpu_time_ms", o."peak_memory_bytes", o."billed_duration_ms", o."estimated_cost_nano_usd")::"tool_execution_rollup_change")
      ) AS x("counted", c)
      WHERE x."counted"
        AND (n."organization_id", n."started_at", n."tool_id", n."tool_name", n."status", n."duration_ms", n."retry_count", n."error_code", n."cpu_time_ms", n."peak_memory_bytes", n."billed_duration_ms", n."estimated_cost_nano_usd")
            IS DISTINCT FROM
            (o."organization_id", o."started_at", o."tool_id", o."tool_name", o."status", o."duration_ms", o."retry_count", o."error_code", o."cpu_time_ms", o."peak_memory_bytes", o."billed_duration_ms", o."estimated_cost_nano_usd"));
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM "tool_execution_rollup_apply"(changes);
  END IF;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION "tool_execution_rollup_backfill"() RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  first_day TIMESTAMPTZ;
  last_day TIMESTAMPTZ;
  day TIMESTAMPTZ;
BEGIN
  SELECT date_trunc('day', min("started_at"), 'UTC'), max("started_at") INTO first_day, last_day FROM "tool_execution_logs";
  IF first_day IS NULL THEN RETURN; END IF;
  day := first_day;
  WHILE day <= last_day LOOP
    PERFORM "tool_execution_rollup_apply"(ARRAY(
      SELECT ROW(1, e."organization_id", e."started_at", e."tool_id", e."tool_name", e."status", e."duration_ms",
          e."retry_count", e."error_code", e."cpu_time_ms", e."peak_memory_bytes", e."billed_duration_ms", e."estimated_cost_nano_usd")::"tool_execution_rollup_change"
      FROM "tool_execution_logs" e
      WHERE e."started_at" >= day AND e."started_at" < day + interval '1 day'
        AND "tool_execution_rollup_final"(e."status")));
    day := day + interval '1 day';
  END LOOP;
END
$$;
