/**
 * The one read on the hot path: a tool with its assignment (or an assistant
 * with the assignment of the tool its LLM named), organization-scoped, in a
 * single SQL round trip.
 */
import type { ToolType } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import type { HotSql } from './hot-sql.ts';

/** The tool fields the engine runs with (a subset of the Prisma `Tool`). */
export interface ToolRow {
  id: string;
  name: string;
  type: ToolType;
  version: number;
  configuration: unknown;
  functionDefinition: unknown;
  isActive: boolean;
  /** Archived tools stay resolvable (so refusals are recorded) but never run. */
  isArchived: boolean;
  requireConfirmation: boolean;
  allowedContexts: string[];
  timeoutSeconds: number;
  retryAttempts: number;
}

export interface AssignmentRow {
  enabled: boolean;
  customConfiguration: unknown;
}

type Joined = ToolRow & {
  assignmentId: string | null;
  assignmentEnabled: boolean | null;
  customConfiguration: unknown;
};

function split(row: Joined): { tool: ToolRow; assignment: AssignmentRow | null } {
  const { assignmentId, assignmentEnabled, customConfiguration, ...tool } = row;
  return {
    tool,
    assignment: assignmentId ? { enabled: assignmentEnabled ?? true, customConfiguration } : null,
  };
}

export interface ToolLookup {
  tool: ToolRow;
  assignment: AssignmentRow | null;
  featureFlags: unknown;
  /** The organization's `config_version` when this was read (see execution-writer.ts). */
  configVersion: number;
}

export async function findToolById(
  sql: HotSql,
  organizationId: string,
  toolId: string,
  assistantId: string | null,
): Promise<ToolLookup | null> {
  const rows = await sql.query<Joined & { featureFlags: unknown; configVersion: number }>(
    `SELECT t."id", t."name", t."type"::text AS "type", t."version", t."configuration",
      t."function_definition" AS "functionDefinition", t."is_active" AS "isActive", t."archived_at" IS NOT NULL AS "isArchived",
      t."require_confirmation" AS "requireConfirmation", t."allowed_contexts" AS "allowedContexts",
      t."timeout_seconds" AS "timeoutSeconds", t."retry_attempts" AS "retryAttempts",
      at."id" AS "assignmentId", at."enabled" AS "assignmentEnabled", at."custom_configuration" AS "customConfiguration",
      o."feature_flags" AS "featureFlags", o."config_version" AS "configVersion"
    FROM "tools" t
    JOIN "organizations" o ON o."id" = t."organization_id"
    LEFT JOIN "assistants" a ON a."id" = $1::uuid AND a."organization_id" = t."organization_id"
    LEFT JOIN "assistant_tools" at ON at."tool_id" = t."id" AND at."assistant_id" = a."id"
    WHERE t."id" = $2::uuid AND t."organization_id" = $3::uuid`,
    [assistantId === null ? null : uuidOrNil(assistantId), uuidOrNil(toolId), organizationId],
  );
  const row = rows[0];
  if (!row) return null;
  const { featureFlags, configVersion, ...joined } = row;
  return { ...split(joined), featureFlags, configVersion };
}

export interface AssistantLookup {
  assistantId: string;
  toolsSettings: unknown;
  /** The organization's `feature_flags`. */
  featureFlags: unknown;
  /** The organization's `config_version` when this was read. */
  configVersion: number;
  tool: ToolRow | null;
  assignment: AssignmentRow | null;
}

/** The assistant, and the named tool only when it is assigned to that assistant. */
export async function findAssistantTool(
  sql: HotSql,
  organizationId: string,
  assistantId: string,
  toolName: string,
): Promise<AssistantLookup | null> {
  const rows = await sql.query<
    Joined & {
      assistantId: string;
      toolsSettings: unknown;
      featureFlags: unknown;
      configVersion: number;
      toolId: string | null;
    }
  >(
    `SELECT a."id" AS "assistantId", a."tools_settings" AS "toolsSettings", o."feature_flags" AS "featureFlags",
      o."config_version" AS "configVersion",
      t."id", t."name", t."type"::text AS "type", t."version", t."configuration",
      t."function_definition" AS "functionDefinition", t."is_active" AS "isActive", t."archived_at" IS NOT NULL AS "isArchived",
      t."require_confirmation" AS "requireConfirmation", t."allowed_contexts" AS "allowedContexts",
      t."timeout_seconds" AS "timeoutSeconds", t."retry_attempts" AS "retryAttempts",
      at."id" AS "assignmentId", at."enabled" AS "assignmentEnabled", at."custom_configuration" AS "customConfiguration"
    FROM "assistants" a
    JOIN "organizations" o ON o."id" = a."organization_id"
    LEFT JOIN "tools" t ON t."organization_id" = a."organization_id" AND t."name" = $1::text
    LEFT JOIN "assistant_tools" at ON at."assistant_id" = a."id" AND at."tool_id" = t."id"
    WHERE a."id" = $2::uuid AND a."organization_id" = $3::uuid`,
    [toolName, uuidOrNil(assistantId), organizationId],
  );
  const row = rows[0];
  if (!row) return null;
  const { assistantId: id, toolsSettings, featureFlags, configVersion, ...joined } = row;
  const found = { assistantId: id, toolsSettings, featureFlags, configVersion };
  if (!joined.assignmentId) return { ...found, tool: null, assignment: null };
  return { ...found, ...split(joined) };
}
