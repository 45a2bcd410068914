-- AlterTable
ALTER TABLE "tools" ADD COLUMN "error_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "archived_at" TIMESTAMPTZ(3);

-- Runs recorded before this migration: failed finished runs, leaving out refusals that never reached the tool.
UPDATE "tools" AS t SET "error_count" = c."failures"
FROM (
  SELECT "tool_id", count(*)::int AS "failures" FROM "tool_execution_logs"
  WHERE "tool_id" IS NOT NULL AND "status" IN ('ERROR', 'TIMEOUT')
    AND ("error_code" IS NULL OR "error_code" NOT IN ('TOOL_INACTIVE', 'ASSIGNMENT_DISABLED', 'CONTEXT_NOT_ALLOWED',
      'INVALID_PARAMETERS', 'RATE_LIMITED', 'CIRCUIT_OPEN', 'REJECTED', 'APPROVAL_TIMEOUT', 'CALL_ENDED', 'CANCELLED',
      'TOOL_CHANGED_SINCE_REQUEST', 'INTERRUPTED'))
  GROUP BY "tool_id"
) AS c
WHERE t."id" = c."tool_id";

-- Archiving changes what the engine resolves: it must bump config_version like the other settings do.
DROP TRIGGER "tools_config_version" ON "tools";
CREATE TRIGGER "tools_config_version"
  AFTER INSERT OR DELETE OR UPDATE OF "organization_id", "name", "type", "configuration", "function_definition",
    "is_active", "require_confirmation", "allowed_contexts", "timeout_seconds", "retry_attempts", "version", "archived_at"
  ON "tools" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();
