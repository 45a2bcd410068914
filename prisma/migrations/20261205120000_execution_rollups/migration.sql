-- Per tool, per hour and per day sums of finished executions (server/metrics/rollup-stats.ts).
-- Kept by statement-level triggers on "tool_execution_logs" in the writer's own transaction:
-- each change adds the new row's contribution when it is final and subtracts the old row's,
-- so a rollup always equals its raw rows (retries of a finish change nothing, a crash rolls
-- both back). Durations go into 193 log-spaced bins: bin 0 holds 0 ms, bin k holds
-- [2^((k-1)/8), 2^(k/8)) ms, the last bin everything from 2^(191/8) ms (about 4 hours) on.

-- CreateTable
CREATE TABLE "tool_execution_rollups" (
    "organization_id" UUID NOT NULL,
    "granularity" TEXT NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "tool_key" TEXT NOT NULL,
    "tool_id" UUID,
    "tool_name" TEXT NOT NULL,
    "executions" INTEGER NOT NULL,
    "successes" INTEGER NOT NULL,
    "timeouts" INTEGER NOT NULL,
    "retries" BIGINT NOT NULL,
    "duration_sum" BIGINT NOT NULL,
    "duration_count" INTEGER NOT NULL,
    "duration_min" INTEGER,
    "duration_max" INTEGER,
    "histogram" INTEGER[],
    "error_codes" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "tool_execution_rollups_pkey" PRIMARY KEY ("organization_id","granularity","bucket_start","tool_key")
);

CREATE TYPE "tool_execution_rollup_change" AS (
    "sign" INTEGER,
    "organization_id" UUID,
    "started_at" TIMESTAMPTZ(3),
    "tool_id" UUID,
    "tool_name" TEXT,
    "status" "ExecutionStatus",
    "duration_ms" INTEGER,
    "retry_count" INTEGER,
    "error_code" TEXT
);

CREATE FUNCTION "tool_execution_rollup_bin"(duration INTEGER) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN duration IS NULL THEN NULL WHEN duration < 1 THEN 0
              ELSE least(192, 1 + floor(8 * ln(duration::float8) / ln(2::float8)))::int END
$$;

-- Bin indexes and counts (repeats allowed) as a full 193-bin histogram.
CREATE FUNCTION "tool_execution_rollup_histogram"(bins INTEGER[], counts BIGINT[]) RETURNS INTEGER[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(COALESCE(x."total", 0)::int ORDER BY s)
  FROM generate_series(0, 192) AS s
  LEFT JOIN (SELECT u."bin", sum(u."count") AS "total" FROM unnest(bins, counts) AS u("bin", "count") GROUP BY u."bin") x
    ON x."bin" = s
$$;

CREATE FUNCTION "tool_execution_rollup_histogram_add"(a INTEGER[], b INTEGER[]) RETURNS INTEGER[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(COALESCE(u."x", 0) + COALESCE(u."y", 0) ORDER BY u."i")
  FROM unnest(a, b) WITH ORDINALITY AS u("x", "y", "i")
$$;

-- Error code counts as {code: count}, zeros dropped.
CREATE FUNCTION "tool_execution_rollup_codes"(codes TEXT[], counts BIGINT[]) RETURNS JSONB
LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(jsonb_object_agg(x."code", x."total"), '{}'::jsonb)
  FROM (SELECT u."code", sum(u."count") AS "total" FROM unnest(codes, counts) AS u("code", "count")
        WHERE u."code" IS NOT NULL GROUP BY u."code" HAVING sum(u."count") <> 0) x
$$;

CREATE FUNCTION "tool_execution_rollup_codes_add"(a JSONB, b JSONB) RETURNS JSONB
LANGUAGE sql IMMUTABLE AS $$
  SELECT "tool_execution_rollup_codes"(array_agg(e."key"), array_agg(e."value"::bigint))
  FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) e
$$;

-- Folds signed changes into both granularities. Rows are upserted in key order so that
-- concurrent writers take the rollup rows' locks in the same order (no deadlock).
CREATE FUNCTION "tool_execution_rollup_apply"(changes "tool_execution_rollup_change"[]) RETURNS VOID
LANGUAGE sql AS $$
  INSERT INTO "tool_execution_rollups" AS r ("organization_id", "granularity", "bucket_start", "tool_key", "tool_id",
      "tool_name", "executions", "successes", "timeouts", "retries", "duration_sum", "duration_count",
      "duration_min", "duration_max", "histogram", "error_codes")
  SELECT g."organization_id", g."granularity", g."bucket_start", g."tool_key", max(g."tool_id"::text)::uuid,
         max(g."tool_name"), sum(g."n")::int, sum(g."ok")::int, sum(g."timeouts")::int, sum(g."retries"),
         sum(g."duration_sum"), sum(g."duration_count")::int, min(g."duration_min"), max(g."duration_max"),
         "tool_execution_rollup_histogram"(array_agg(g."bin"), array_agg(g."bin_count")),
         "tool_execution_rollup_codes"(array_agg(g."error_code"), array_agg(g."n"))
  FROM (
    SELECT c."organization_id", k."granularity", date_trunc(k."granularity", c."started_at", 'UTC') AS "bucket_start",
           COALESCE(c."tool_id"::text, 'builtin:' || c."tool_name") AS "tool_key", c."tool_id", c."tool_name",
           "tool_execution_rollup_bin"(c."duration_ms") AS "bin", c."error_code",
           sum(c."sign") AS "n",
           sum(c."sign") FILTER (WHERE c."duration_ms" IS NOT NULL) AS "bin_count",
           COALESCE(sum(c."sign") FILTER (WHERE c."status" = 'SUCCESS'), 0) AS "ok",
           COALESCE(sum(c."sign") FILTER (WHERE c."status" = 'TIMEOUT'), 0) AS "timeouts",
           COALESCE(sum(c."sign" * c."retry_count"), 0) AS "retries",
           COALESCE(sum(c."sign" * c."duration_ms"), 0) AS "duration_sum",
           COALESCE(sum(c."sign") FILTER (WHERE c."duration_ms" IS NOT NULL), 0) AS "duration_count",
           min(c."duration_ms") FILTER (WHERE c."sign" > 0) AS "duration_min",
           max(c."duration_ms") FILTER (WHERE c."sign" > 0) AS "duration_max"
    FROM unnest(changes) AS c
    CROSS JOIN (VALUES ('hour'), ('day')) AS k("granularity")
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
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
    "error_codes" = "tool_execution_rollup_codes_add"(r."error_codes", EXCLUDED."error_codes")
$$;

-- In-flight statuses (QUEUED, RUNNING, PENDING_APPROVAL) count only once they finish.
CREATE FUNCTION "tool_execution_rollup_final"(status "ExecutionStatus") RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT status NOT IN ('QUEUED', 'RUNNING', 'PENDING_APPROVAL')
$$;

CREATE FUNCTION "tool_execution_rollup_trigger"() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  changes "tool_execution_rollup_change"[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    changes := ARRAY(SELECT ROW(1, n."organization_id", n."started_at", n."tool_id", n."tool_name", n."status",
        n."duration_ms", n."retry_count", n."error_code")::"tool_execution_rollup_change"
      FROM "new_rows" n WHERE "tool_execution_rollup_final"(n."status"));
  ELSIF TG_OP = 'DELETE' THEN
    changes := ARRAY(SELECT ROW(-1, o."organization_id", o."started_at", o."tool_id", o."tool_name", o."status",
        o."duration_ms", o."retry_count", o."error_code")::"tool_execution_rollup_change"
      FROM "old_rows" o WHERE "tool_execution_rollup_final"(o."status"));
  ELSE
    -- (A composite with a NULL field is not IS NOT NULL, hence the separate flag.)
    -- Only rows whose counted values changed: rewriting a finish with the same values is a no-op.
    changes := ARRAY(
      SELECT x.c FROM "new_rows" n JOIN "old_rows" o ON o."id" = n."id"
      CROSS JOIN LATERAL (VALUES
        ("tool_execution_rollup_final"(n."status"), ROW(1, n."organization_id", n."started_at", n."tool_id",
          n."tool_name", n."status", n."duration_ms", n."retry_count", n."error_code")::"tool_execution_rollup_change"),
        ("tool_execution_rollup_final"(o."status"), ROW(-1, o."organization_id", o."started_at", o."tool_id",
          o."tool_name", o."status", o."duration_ms", o."retry_count", o."error_code")::"tool_execution_rollup_change")
      ) AS x("counted", c)
      WHERE x."counted"
        AND (n."organization_id", n."started_at", n."tool_id", n."tool_name", n."status", n."duration_ms", n."retry_count", n."error_code")
            IS DISTINCT FROM
            (o."organization_id", o."started_at", o."tool_id", o."tool_name", o."status", o."duration_ms", o."retry_count", o."error_code"));
  END IF;
  IF cardinality(changes) > 0 THEN
    PERFORM "tool_execution_rollup_apply"(changes);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "tool_execution_rollup_insert" AFTER INSERT ON "tool_execution_logs"
  REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tool_execution_rollup_trigger"();
CREATE TRIGGER "tool_execution_rollup_update" AFTER UPDATE ON "tool_execution_logs"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tool_execution_rollup_trigger"();
CREATE TRIGGER "tool_execution_rollup_delete" AFTER DELETE ON "tool_execution_logs"
  REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tool_execution_rollup_trigger"();

-- Folds every finished row already there, a day at a time so that no change array gets large.
-- The caller makes sure no rollup holds these rows yet (the migration runs before any writer).
CREATE FUNCTION "tool_execution_rollup_backfill"() RETURNS VOID
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
          e."retry_count", e."error_code")::"tool_execution_rollup_change"
      FROM "tool_execution_logs" e
      WHERE e."started_at" >= day AND e."started_at" < day + interval '1 day'
        AND "tool_execution_rollup_final"(e."status")));
    day := day + interval '1 day';
  END LOOP;
END
$$;

SELECT "tool_execution_rollup_backfill"();
