/**
 * Moving tools between organizations and installations as a versioned JSON
 * bundle. Secrets travel only as names (`{ name, required: true }`), never as
 * values; nothing that identifies the source organization travels at all.
 * Import validates every tool with the same rules as createTool before it
 * writes anything, then applies all of them in one transaction or none.
 */
import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import { isUniqueViolation, isUuid } from '../db/json.ts';
import { ConflictError, FeatureDisabledError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { recordImplicitGrants, type ImplicitGrant } from '../secrets/secret-grants.ts';
import { byteLength, isJsonObject } from '../tools/function-definition.ts';
import {
  assertToolCapacity,
  insertPreparedTool,
  overwriteWithPrepared,
  prepareTool,
  type CreateToolInput,
  type PreparedTool,
  type ToolDeps,
  type ToolTypeName,
} from '../tools/tool-service.ts';
import { copyInput, freeName, requiredSecrets } from './tool-copy.ts';

export const BUNDLE_FORMAT = 'switchboard.tools';
export const BUNDLE_SCHEMA_VERSION = 1;
export const BUNDLE_LIMITS = { maxTools: 200, maxBytes: 1024 * 1024 } as const;
/** One import writes up to maxTools tools with versions and audit entries. */
const IMPORT_TRANSACTION_TIMEOUT_MS = 60_000;

export interface BundleTool {
  name: string;
  displayName: string;
  description: string;
  type: ToolTypeName;
  configuration: JsonValue;
  functionDefinition: JsonValue;
  messages: JsonValue;
  isActive: boolean;
  requireConfirmation: boolean;
  allowedContexts: string[];
  timeoutSeconds: number;
  retryAttempts: number;
  isTemplate: boolean;
  /** The version it had where it was exported (informational). */
  version: number;
  requiredSecrets: string[];
}

export interface ToolBundle {
  format: typeof BUNDLE_FORMAT;
  schemaVersion: typeof BUNDLE_SCHEMA_VERSION;
  exportedAt: string;
  tools: BundleTool[];
  secrets: Array<{ name: string; required: true; usedBy: string[] }>;
}

export type ConflictPolicy = 'SKIP' | 'RENAME' | 'OVERWRITE';
export type ImportAction = 'CREATE' | 'RENAME' | 'OVERWRITE' | 'SKIP' | 'INVALID';

export interface ImportToolReport {
  index: number;
  name: string;
  finalName: string | null;
  action: ImportAction;
  toolId: string | null;
  issues: FieldIssue[];
}

export interface ImportReport {
  valid: boolean;
  applied: boolean;
  dryRun: boolean;
  tools: ImportToolReport[];
  /** Secrets the bundle needs that this organization has not set yet. */
  missingSecrets: string[];
}

const TOOL_TYPES: readonly string[] = ['ENDPOINT', 'CODE', 'LAMBDA'];

export async function exportTools(prisma: Prisma, actor: Actor, ids: string[]): Promise<ToolBundle> {
  if (ids.length > BUNDLE_LIMITS.maxTools) {
    throw new ValidationError([{ field: 'ids', message: `export at most ${BUNDLE_LIMITS.maxTools} tools at a time` }]);
  }
  if (ids.some((id) => !isUuid(id))) throw new NotFoundError('Tool');
  const wanted = [...new Set(ids)];
  const tools = await prisma.tool.findMany({
    where: { organizationId: actor.organizationId, ...(wanted.length ? { id: { in: wanted } } : {}) },
    orderBy: { name: 'asc' },
  });
  if (tools.length !== wanted.length && wanted.length) throw new NotFoundError('Tool');
  if (tools.length > BUNDLE_LIMITS.maxTools) {
    throw new ValidationError([
      {
        field: 'ids',
        message: `the organization has more than ${BUNDLE_LIMITS.maxTools} tools; export them in batches`,
      },
    ]);
  }
  const usedBy = new Map<string, string[]>();
  const bundled = tools.map((tool): BundleTool => {
    const secrets = requiredSecrets(tool.type, tool.configuration as JsonValue);
    for (const name of secrets) usedBy.set(name, [...(usedBy.get(name) ?? []), tool.name]);
    return {
      name: tool.name,
      displayName: tool.displayName,
      description: tool.description,
      type: tool.type,
      configuration: tool.configuration as JsonValue,
      functionDefinition: tool.functionDefinition as JsonValue,
      messages: (tool.messages ?? null) as JsonValue,
      isActive: tool.isActive,
      requireConfirmation: tool.requireConfirmation,
      allowedContexts: tool.allowedContexts,
      timeoutSeconds: tool.timeoutSeconds,
      retryAttempts: tool.retryAttempts,
      isTemplate: tool.isTemplate,
      version: tool.version,
      requiredSecrets: secrets,
    };
  });
  return {
    format: BUNDLE_FORMAT,
    schemaVersion: BUNDLE_SCHEMA_VERSION,
    exportedAt: new Date().toISOString(),
    tools: bundled,
    secrets: [...usedBy.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, users]) => ({ name, required: true, usedBy: users })),
  };
}

function checkEnvelope(bundle: JsonValue): JsonObject[] {
  if (!isJsonObject(bundle)) throw new ValidationError([{ field: 'bundle', message: 'must be a tool bundle object' }]);
  if (byteLength(bundle) > BUNDLE_LIMITS.maxBytes) {
    throw new ValidationError([{ field: 'bundle', message: `must be at most ${BUNDLE_LIMITS.maxBytes / 1024} KB` }]);
  }
  const issues: FieldIssue[] = [];
  if (bundle.format !== BUNDLE_FORMAT) issues.push({ field: 'bundle.format', message: `must be "${BUNDLE_FORMAT}"` });
  if (bundle.schemaVersion !== BUNDLE_SCHEMA_VERSION) {
    issues.push({
      field: 'bundle.schemaVersion',
      message: `unsupported version ${JSON.stringify(bundle.schemaVersion ?? null)}; this server reads version ${BUNDLE_SCHEMA_VERSION}`,
    });
  }
  const tools = bundle.tools;
  if (!Array.isArray(tools) || tools.length === 0 || tools.length > BUNDLE_LIMITS.maxTools) {
    issues.push({ field: 'bundle.tools', message: `must be a list of 1-${BUNDLE_LIMITS.maxTools} tools` });
  } else if (tools.some((tool) => !isJsonObject(tool))) {
    issues.push({ field: 'bundle.tools', message: 'every entry must be an object' });
  }
  if (issues.length) throw new ValidationError(issues);
  return tools as JsonObject[];
}

function optional<T>(value: JsonValue | undefined, check: (v: JsonValue) => boolean): T | null {
  return value !== undefined && value !== null && check(value) ? (value as T) : null;
}

/** Only the fields a tool is made of; anything else in the entry (ids, organization, counters) is ignored. */
function entryInput(entry: JsonObject, issues: FieldIssue[]): CreateToolInput | null {
  const shapes: Array<[string, (v: JsonValue) => boolean, string]> = [
    ['name', (v) => typeof v === 'string', 'a string'],
    ['type', (v) => typeof v === 'string' && TOOL_TYPES.includes(v), `one of ${TOOL_TYPES.join(', ')}`],
  ];
  for (const [field, check, expected] of shapes) {
    if (entry[field] === undefined || !check(entry[field])) issues.push({ field, message: `must be ${expected}` });
  }
  const typed: Array<[string, string]> = [
    ['displayName', 'string'],
    ['description', 'string'],
    ['isActive', 'boolean'],
    ['requireConfirmation', 'boolean'],
    ['isTemplate', 'boolean'],
    ['timeoutSeconds', 'number'],
    ['retryAttempts', 'number'],
  ];
  for (const [field, type] of typed) {
    const value = entry[field];
    if (value !== undefined && value !== null && typeof value !== type)
      issues.push({ field, message: `must be a ${type}` });
  }
  const contexts = entry.allowedContexts;
  if (
    contexts !== undefined &&
    contexts !== null &&
    (!Array.isArray(contexts) || contexts.some((c) => typeof c !== 'string'))
  ) {
    issues.push({ field: 'allowedContexts', message: 'must be a list of strings' });
  }
  if (issues.length) return null;
  return {
    name: entry.name as string,
    type: entry.type as ToolTypeName,
    displayName: optional<string>(entry.displayName, (v) => typeof v === 'string'),
    description: optional<string>(entry.description, (v) => typeof v === 'string'),
    configuration: entry.configuration ?? {},
    functionDefinition: entry.functionDefinition ?? null,
    messages: entry.messages ?? null,
    isActive: optional<boolean>(entry.isActive, (v) => typeof v === 'boolean'),
    requireConfirmation: optional<boolean>(entry.requireConfirmation, (v) => typeof v === 'boolean'),
    isTemplate: optional<boolean>(entry.isTemplate, (v) => typeof v === 'boolean'),
    timeoutSeconds: optional<number>(entry.timeoutSeconds, (v) => typeof v === 'number'),
    retryAttempts: optional<number>(entry.retryAttempts, (v) => typeof v === 'number'),
    allowedContexts: (contexts as string[] | undefined) ?? null,
  };
}

interface Planned {
  report: ImportToolReport;
  prepared: PreparedTool | null;
  overwriteId: string | null;
}

export async function importTools(
  deps: ToolDeps,
  actor: Actor,
  input: { bundle: JsonValue; onConflict: ConflictPolicy; dryRun: boolean },
): Promise<ImportReport> {
  const entries = checkEnvelope(input.bundle);
  const existing = await deps.prisma.tool.findMany({
    where: { organizationId: actor.organizationId },
    select: { id: true, name: true },
  });
  const existingByName = new Map(existing.map((tool) => [tool.name, tool.id]));
  const taken = new Set(existingByName.keys());
  const seen = new Set<string>();
  const plans: Planned[] = [];

  for (const [index, entry] of entries.entries()) {
    const issues: FieldIssue[] = [];
    const source = entryInput(entry, issues);
    const name = typeof entry.name === 'string' ? entry.name.slice(0, 100) : '';
    const report: ImportToolReport = { index, name, finalName: null, action: 'INVALID', toolId: null, issues };
    plans.push({ report, prepared: null, overwriteId: null });
    if (!source) continue;
    if (seen.has(source.name)) {
      issues.push({ field: 'name', message: `"${source.name}" appears more than once in the bundle` });
      continue;
    }
    seen.add(source.name);
    let action: ImportAction = 'CREATE';
    let finalName = source.name;
    const conflictId = existingByName.get(source.name) ?? null;
    if (conflictId) {
      if (input.onConflict === 'SKIP') {
        Object.assign(report, { action: 'SKIP', finalName: null, toolId: conflictId });
        continue;
      }
      if (input.onConflict === 'RENAME') {
        action = 'RENAME';
        finalName = freeName(source.name, taken);
      } else {
        action = 'OVERWRITE';
      }
    }
    try {
      const prepared = await prepareTool(
        deps,
        actor,
        copyInput(source, finalName, { isTemplate: source.isTemplate ?? false }),
      );
      taken.add(finalName);
      Object.assign(report, { action, finalName, toolId: action === 'OVERWRITE' ? conflictId : null });
      plans[plans.length - 1] = { report, prepared, overwriteId: action === 'OVERWRITE' ? conflictId : null };
    } catch (error) {
      if (error instanceof ValidationError) issues.push(...error.issues);
      else if (error instanceof FeatureDisabledError) issues.push({ field: 'type', message: error.message });
      else throw error;
    }
  }

  const missing = await missingSecrets(deps.prisma, actor, plans);
  const valid = plans.every((plan) => plan.report.action !== 'INVALID');
  const result = (applied: boolean): ImportReport => ({
    valid,
    applied,
    dryRun: input.dryRun,
    tools: plans.map((plan) => plan.report),
    missingSecrets: missing,
  });
  if (!valid || input.dryRun) return result(false);

  const creating = plans.filter((plan) => plan.prepared && !plan.overwriteId).length;
  await assertToolCapacity(deps.prisma, actor, creating);
  const granted: ImplicitGrant[] = [];
  try {
    await deps.prisma.$transaction(
      async (tx) => {
        for (const plan of plans) {
          if (!plan.prepared) continue;
          if (plan.overwriteId) {
            const current = await tx.tool.findFirst({
              where: { id: plan.overwriteId, organizationId: actor.organizationId },
            });
            if (!current)
              throw new ConflictError(
                `"${plan.report.name}" was deleted during the import; nothing was imported`,
                'bundle',
              );
            await overwriteWithPrepared(tx, actor, current, plan.prepared, 'tool.import', granted);
          } else {
            plan.report.toolId = (await insertPreparedTool(tx, actor, plan.prepared, 'tool.import', granted)).id;
          }
        }
      },
      { timeout: IMPORT_TRANSACTION_TIMEOUT_MS, maxWait: IMPORT_TRANSACTION_TIMEOUT_MS },
    );
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(
        'a tool with one of these names was created during the import; nothing was imported',
        'bundle',
      );
    throw error;
  }
  recordImplicitGrants(deps.prisma, actor, granted);
  return result(true);
}

async function missingSecrets(prisma: Prisma, actor: Actor, plans: Planned[]): Promise<string[]> {
  const needed = new Set(
    plans.flatMap((plan) => (plan.prepared ? requiredSecrets(plan.prepared.type, plan.prepared.configuration) : [])),
  );
  if (needed.size === 0) return [];
  const present = await prisma.secret.findMany({
    where: { organizationId: actor.organizationId, name: { in: [...needed] } },
    select: { name: true },
  });
  const have = new Set(present.map((secret) => secret.name));
  return [...needed].filter((name) => !have.has(name)).sort();
}
