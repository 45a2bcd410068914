-- AlterTable
ALTER TABLE "organizations" ADD COLUMN "config_version" INTEGER NOT NULL DEFAULT 0;

-- Every change to what the engine resolves for an organization (its tools, assistants,
-- assignments and feature flags) bumps the organization's config_version. The engine caches
-- what it resolved with the version it read, and writes each execution only if the version is
-- still the same: a stale cache entry costs a retry, never a run on outdated settings.
CREATE FUNCTION "bump_config_version"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed "organizations"."id"%TYPE;
  moved_from "organizations"."id"%TYPE;
BEGIN
  -- NEW and OLD exist only for the operations that have them: read them under IF, never in one expression.
  IF TG_TABLE_NAME = 'organizations' THEN
    NEW."config_version" := OLD."config_version" + 1;
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'assistant_tools' THEN
    IF TG_OP = 'DELETE' THEN
      SELECT "organization_id" INTO changed FROM "assistants" WHERE "id" = OLD."assistant_id";
    ELSE
      SELECT "organization_id" INTO changed FROM "assistants" WHERE "id" = NEW."assistant_id";
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    changed := OLD."organization_id";
  ELSE
    changed := NEW."organization_id";
    IF TG_OP = 'UPDATE' THEN
      moved_from := OLD."organization_id";
    END IF;
  END IF;
  UPDATE "organizations" SET "config_version" = "config_version" + 1 WHERE "id" = changed;
  IF moved_from IS DISTINCT FROM changed AND moved_from IS NOT NULL THEN
    UPDATE "organizations" SET "config_version" = "config_version" + 1 WHERE "id" = moved_from;
  END IF;
  RETURN NULL;
END;
$$;

-- Counters (execution_count, last_executed_at, last_health) are left out: runs do not change settings.
CREATE TRIGGER "tools_config_version"
  AFTER INSERT OR DELETE OR UPDATE OF "organization_id", "name", "type", "configuration", "function_definition",
    "is_active", "require_confirmation", "allowed_contexts", "timeout_seconds", "retry_attempts", "version"
  ON "tools" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();

CREATE TRIGGER "assistants_config_version"
  AFTER INSERT OR DELETE OR UPDATE OF "organization_id", "tools_settings"
  ON "assistants" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();

CREATE TRIGGER "assistant_tools_config_version"
  AFTER INSERT OR DELETE OR UPDATE OF "assistant_id", "tool_id", "enabled", "custom_configuration"
  ON "assistant_tools" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();

CREATE TRIGGER "organizations_config_version"
  BEFORE UPDATE OF "feature_flags"
  ON "organizations" FOR EACH ROW EXECUTE FUNCTION "bump_config_version"();
