/**
 * Legacy `toolsSettings.custom_tools` → tools and assignments.
 *
 * Mapping (each entry of `custom_tools`):
 * - Typed: `{ name, type: "endpoint" | "code" | "lambda", configuration, function_definition | functionDefinition,
 *   description?, display_name?, timeout_seconds?, enabled? }` → that type, configuration as is.
 * - OpenAI / Vapi style: `{ type: "function", function: { name, description, parameters }, server: { url, headers?,
 *   timeoutSeconds? } }` → ENDPOINT, POST of the arguments (`${parameters}`) to `server.url`.
 * - Seed style: `{ name, description?, parameters?, url, method?, headers?, query_parameters?, body_template? | body?,
 *   auth?, response_handling?, timeout? (seconds) }` → ENDPOINT with those fields.
 * `enabled: false` becomes a disabled assignment. The entries stay in `toolsSettings` (nothing is lost, and
 * re-running is harmless): a tool that already exists with the same name and configuration is reused and
 * assigned; one with the same name and a different configuration is left alone and reported as a conflict.
 * The built-ins (`end_call`, `transfer_call`, `enabled_tools`) are not migrated: the engine reads them
 * from the settings directly, so those assistants keep working unchanged.
 */
import type { Actor } from '../actor.ts';
import { assignTool, findAssistant } from '../assistants/assistant-service.ts';
import type { Assistant } from '../db/generated/prisma/client.ts';
import { ConflictError, FeatureDisabledError, ValidationError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { TOOL_NAME_PATTERN } from '../tools/limits.ts';
import { createTool, type CreateToolInput, type ToolDeps, type ToolTypeName } from '../tools/tool-service.ts';

export interface LegacyMigrationReport {
  assistantId: string;
  created: string[];
  reused: string[];
  skipped: Array<{ name: string; reason: string }>;
}

type Mapped = { input: CreateToolInput; enabled: boolean } | { error: string; name: string };

const TYPES: Record<string, ToolTypeName> = { endpoint: 'ENDPOINT', code: 'CODE', lambda: 'LAMBDA' };
const ENDPOINT_KEYS = ['headers', 'query_parameters', 'auth', 'response_handling'] as const;

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function seconds(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(300, Math.ceil(value)) : undefined;
}

function definition(name: string, description: string, parameters: JsonValue | undefined): JsonObject {
  return { name, description, parameters: isJsonObject(parameters) ? parameters : { type: 'object', properties: {} } };
}

export function mapLegacyTool(entry: JsonValue, index: number): Mapped {
  if (!isJsonObject(entry)) return { name: `custom_tools[${index}]`, error: 'not an object' };
  const enabled = entry.enabled !== false;
  const fn = isJsonObject(entry.function) ? entry.function : null;
  const name = str(fn?.name) ?? str(entry.name);
  if (!name || !TOOL_NAME_PATTERN.test(name))
    return { name: name ?? `custom_tools[${index}]`, error: 'no valid function name' };
  const description = str(fn?.description) ?? str(entry.description) ?? '';
  const common = { name, displayName: str(entry.display_name) ?? name, description };

  const typed = typeof entry.type === 'string' ? TYPES[entry.type.toLowerCase()] : undefined;
  if (typed) {
    const given = entry.function_definition ?? entry.functionDefinition;
    return {
      enabled,
      input: {
        ...common,
        type: typed,
        configuration: isJsonObject(entry.configuration) ? entry.configuration : {},
        functionDefinition: isJsonObject(given) ? { ...given, name } : definition(name, description, entry.parameters),
        timeoutSeconds: seconds(entry.timeout_seconds) ?? null,
      },
    };
  }
  if (fn) {
    const server = isJsonObject(entry.server) ? entry.server : {};
    const url = str(server.url);
    if (!url) return { name, error: 'function tool without server.url' };
    const configuration: JsonObject = { url, method: 'POST', body_template: '${parameters}' };
    if (isJsonObject(server.headers)) configuration.headers = server.headers;
    return {
      enabled,
      input: {
        ...common,
        type: 'ENDPOINT',
        configuration,
        functionDefinition: definition(name, description, fn.parameters),
        timeoutSeconds: seconds(server.timeoutSeconds) ?? null,
      },
    };
  }
  const url = str(entry.url) ?? str(entry.endpoint);
  if (!url)
    return { name, error: 'unrecognised custom tool (expected url, function.server.url or type + configuration)' };
  const configuration: JsonObject = { url, method: (str(entry.method) ?? 'POST').toUpperCase() };
  for (const key of ENDPOINT_KEYS) if (entry[key] !== undefined) configuration[key] = entry[key];
  const body = entry.body_template ?? entry.body;
  if (body !== undefined) configuration.body_template = body;
  return {
    enabled,
    input: {
      ...common,
      type: 'ENDPOINT',
      configuration,
      functionDefinition: definition(name, description, entry.parameters),
      timeoutSeconds: seconds(entry.timeout) ?? null,
    },
  };
}

function sameConfiguration(a: unknown, b: JsonValue | null | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b ?? {});
}

export async function migrateAssistantLegacyTools(
  deps: ToolDeps,
  actor: Actor,
  assistantOrId: string | Assistant,
): Promise<LegacyMigrationReport> {
  const assistant =
    typeof assistantOrId === 'string' ? await findAssistant(deps.prisma, actor, assistantOrId) : assistantOrId;
  const report: LegacyMigrationReport = { assistantId: assistant.id, created: [], reused: [], skipped: [] };
  const settings = assistant.toolsSettings as JsonValue;
  const entries = isJsonObject(settings) && Array.isArray(settings.custom_tools) ? settings.custom_tools : [];
  for (const [index, entry] of entries.entries()) {
    const mapped = mapLegacyTool(entry, index);
    if ('error' in mapped) {
      report.skipped.push({ name: mapped.name, reason: mapped.error });
      continue;
    }
    const { input, enabled } = mapped;
    const existing = await deps.prisma.tool.findUnique({
      where: { organizationId_name: { organizationId: assistant.organizationId, name: input.name } },
      include: { assignments: { where: { assistantId: assistant.id }, select: { id: true } } },
    });
    try {
      let toolId: string;
      if (existing) {
        if (existing.type !== input.type || !sameConfiguration(existing.configuration, input.configuration)) {
          report.skipped.push({ name: input.name, reason: 'a different tool with this name already exists' });
          continue;
        }
        if (existing.assignments.length) {
          report.reused.push(input.name);
          continue;
        }
        toolId = existing.id;
        report.reused.push(input.name);
      } else {
        toolId = (await createTool(deps, actor, input, 'tool.migrateLegacy')).id;
        report.created.push(input.name);
      }
      await assignTool(deps, actor, { assistantId: assistant.id, toolId, enabled });
    } catch (error) {
      if (error instanceof ValidationError || error instanceof ConflictError || error instanceof FeatureDisabledError) {
        report.skipped.push({ name: input.name, reason: error.message });
        continue;
      }
      throw error;
    }
  }
  return report;
}

/** The data migration: every assistant with legacy custom tools, across organizations. Idempotent. */
export async function migrateAllLegacyTools(deps: ToolDeps): Promise<LegacyMigrationReport[]> {
  const rows = await deps.prisma.$queryRaw<Array<{ id: string }>>`
    SELECT "id" FROM "assistants"
    WHERE jsonb_typeof("tools_settings"->'custom_tools') = 'array' AND jsonb_array_length("tools_settings"->'custom_tools') > 0`;
  if (rows.length === 0) return [];
  const assistants = await deps.prisma.assistant.findMany({
    where: { id: { in: rows.map((row) => row.id) } },
    orderBy: { createdAt: 'asc' },
  });
  const reports: LegacyMigrationReport[] = [];
  for (const assistant of assistants) {
    const settings = assistant.toolsSettings as JsonValue;
    if (!isJsonObject(settings) || !Array.isArray(settings.custom_tools) || settings.custom_tools.length === 0)
      continue;
    // A system actor: the migration acts for the organization, no user or key made it happen.
    const actor: Actor = { organizationId: assistant.organizationId, role: 'OWNER', userId: null, apiKeyId: null };
    reports.push(await migrateAssistantLegacyTools(deps, actor, assistant));
  }
  return reports;
}
