/**
 * The one read on the hot path: a tool with its assignment (or an assistant
 * with the assignment of the tool its LLM named), organization-scoped, in a
 * single SQL round trip.
 */
import type { Prisma } from '../db/database.ts';
import type { ToolType } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';

/** The tool fields the engine runs with (a subset of the Prisma `Tool`). */
export interface ToolRow {
  id: string;
  name: string;
  type: ToolType;
  version: number;
  configuration: unknown;
  functionDefinition: unknown;
  isActive: boolean;
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

export async function findToolById(
  prisma: Prisma,
  organizationId: string,
  toolId: string,
  assistantId: string | null,
): Promise<{ tool: ToolRow; assignment: AssignmentRow | null } | null> {
  const rows = await prisma.$queryRaw<Joined[]>`
    SELECT t."id", t."name", t."type"::text AS "type", t."version", t."configuration",
      t."function_definition" AS "functionDefinition", t."is_active" AS "isActive",
      t."require_confirmation" AS "requireConfirmation", t."allowed_contexts" AS "allowedContexts",
      t."timeout_seconds" AS "timeoutSeconds", t."retry_attempts" AS "retryAttempts",
      at."id" AS "assignmentId", at."enabled" AS "assignmentEnabled", at."custom_configuration" AS "customConfiguration"
    FROM "tools" t
    LEFT JOIN "assistants" a ON a."id" = ${assistantId === null ? null : uuidOrNil(assistantId)}::uuid AND a."organization_id" = t."organization_id"
    LEFT JOIN "assistant_tools" at ON at."tool_id" = t."id" AND at."assistant_id" = a."id"
    WHERE t."id" = ${uuidOrNil(toolId)}::uuid AND t."organization_id" = ${organizationId}::uuid`;
  return rows[0] ? split(rows[0]) : null;
}

export interface AssistantLookup {
  assistantId: string;
  toolsSettings: unknown;
  tool: ToolRow | null;
  assignment: AssignmentRow | null;
}

/** The assistant, and the named tool only when it is assigned to that assistant. */
export async function findAssistantTool(
  prisma: Prisma,
  organizationId: string,
  assistantId: string,
  toolName: string,
): Promise<AssistantLookup | null> {
  const rows = await prisma.$queryRaw<
    Array<Joined & { assistantId: string; toolsSettings: unknown; toolId: string | null }>
  >`
    SELECT a."id" AS "assistantId", a."tools_settings" AS "toolsSettings",
      t."id", t."name", t."type"::text AS "type", t."version", t."configuration",
      t."function_definition" AS "functionDefinition", t."is_active" AS "isActive",
      t."require_confirmation" AS "requireConfirmation", t."allowed_contexts" AS "allowedContexts",
      t."timeout_seconds" AS "timeoutSeconds", t."retry_attempts" AS "retryAttempts",
      at."id" AS "assignmentId", at."enabled" AS "assignmentEnabled", at."custom_configuration" AS "customConfiguration"
    FROM "assistants" a
    LEFT JOIN "tools" t ON t."organization_id" = a."organization_id" AND t."name" = ${toolName}
    LEFT JOIN "assistant_tools" at ON at."assistant_id" = a."id" AND at."tool_id" = t."id"
    WHERE a."id" = ${uuidOrNil(assistantId)}::uuid AND a."organization_id" = ${organizationId}::uuid`;
  const row = rows[0];
  if (!row) return null;
  const { assistantId: id, toolsSettings, ...joined } = row;
  if (!joined.assignmentId) return { assistantId: id, toolsSettings, tool: null, assignment: null };
  return { assistantId: id, toolsSettings, ...split(joined) };
}
