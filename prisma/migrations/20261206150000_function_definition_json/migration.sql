-- Function definitions keep the key order they were saved with: jsonb reorders object keys (shorter
-- keys first), which reordered a tool's parameters alphabetically-ish on every save. `json` stores
-- the text as given. Rows saved before this keep the order jsonb gave them.

-- A column named in a trigger's UPDATE OF list cannot change type: drop the trigger and recreate it as it is
-- (archived_at included, from 20261206130000_tool_lifecycle).
DROP TRIGGER "tools_config_version" ON "tools";

-- AlterTable
ALTER TABLE "tools" ALTER COLUMN "function_definition" SET DATA TYPE JSON USING "function_definition"::json;

-- AlterTable
ALTER TABLE "tool_versions" ALTER COLUMN "function_definition" SET DATA TYPE JSON USING "function_definition"::json;

CREATE TRIGGER "tools_config_version"
  AFTER INSERT OR DELETE OR UPDATE OF "organization_id", "name", "type", "configuration", "function_definition",
    "is_active", "require_confirmation", "allowed_contexts", "timeout_seconds", "retry_attempts", "version", "archived_at"
  ON "tools" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();
