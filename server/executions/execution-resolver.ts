/**
 * Turns a request into the tool it runs: the stored tool (or a replayed
 * version's snapshot, or a built-in) merged with the assistant's assignment.
 * Naming something that does not exist in the organization is a NotFoundError;
 * a tool type the organization switched off is a FeatureDisabledError.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { Prisma } from '../db/database.ts';
import { FeatureDisabledError, NotFoundError } from '../errors.ts';
import type { ExecutableTool, JsonObject, JsonValue } from '../executors/types.ts';
import { toolTypeEnabled } from '../organizations/feature-flags.ts';
import { builtinEnabled, builtinFunctionDefinition, builtinName, builtinTool } from './builtins.ts';
import { mergedConfiguration } from './deep-merge.ts';
import type { ExecutionRequest } from './execution-request.ts';
import type { ToolLookups } from './lookup-cache.ts';
import { isObject } from './tool-settings.ts';
import type { AssignmentRow, ToolRow } from './tool-lookup.ts';

/** Everything about a tool the pipeline needs, already merged with the assignment. */
export interface Resolved {
  tool: ExecutableTool;
  /** The tool's own configuration, before the assignment's overrides (what secret grants are approved for). */
  ownConfiguration: JsonObject;
  /** The `tools` row; null for built-ins. */
  toolRowId: string | null;
  assistantId: string | null;
  isActive: boolean;
  isArchived: boolean;
  assignmentEnabled: boolean;
  allowedContexts: string[];
  requireConfirmation: boolean;
  timeoutSeconds: number;
  retryAttempts: number;
  parametersSchema: JsonValue | undefined;
  /** The organization's `config_version` this was resolved at: the execution is written only if it still is. */
  configVersion: number;
  /** Whether it came from the lookup cache (a refused write then means it went stale). */
  cached: boolean;
  /** What the parameter validator caches the compiled schema under; default `<tool id>@<version>`. */
  schemaKey?: string;
}

/** A draft's schema is not its version's: it is cached under its own digest. */
function draftSchemaKey(toolId: string, schema: JsonValue | undefined): string {
  const digest = createHash('sha256')
    .update(stringify(schema ?? null) ?? '')
    .digest('base64url');
  return `${toolId}@draft:${digest}`;
}

const BUILTIN_CONTEXTS = ['call', 'sms', 'webhook', 'test'];
const BUILTIN_TIMEOUT_SECONDS = 5;

export function fromToolRow(
  tool: ToolRow,
  assistantId: string | null,
  assignment: AssignmentRow | null,
  read: Pick<Resolved, 'configVersion' | 'cached'>,
): Resolved {
  const configuration = isObject(tool.configuration as JsonValue) ? (tool.configuration as JsonObject) : {};
  const definition = tool.functionDefinition as JsonValue;
  return {
    tool: {
      id: tool.id,
      name: tool.name,
      type: tool.type,
      version: tool.version,
      configuration: mergedConfiguration(configuration, assignment?.customConfiguration as JsonValue | undefined),
    },
    ownConfiguration: configuration,
    toolRowId: tool.id,
    assistantId,
    isActive: tool.isActive,
    isArchived: tool.isArchived,
    assignmentEnabled: assignment?.enabled ?? true,
    allowedContexts: tool.allowedContexts,
    requireConfirmation: tool.requireConfirmation,
    timeoutSeconds: tool.timeoutSeconds,
    retryAttempts: tool.retryAttempts,
    parametersSchema: isObject(definition) ? definition.parameters : undefined,
    ...read,
  };
}

/** The tool as its immutable snapshot at `version` had it (activation stays the tool's own). */
async function atVersion(prisma: Prisma, tool: ToolRow, version: number): Promise<ToolRow> {
  const snapshot = await prisma.toolVersion.findUnique({ where: { toolId_version: { toolId: tool.id, version } } });
  if (!snapshot) throw new NotFoundError('ToolVersion');
  return {
    ...tool,
    name: snapshot.name,
    type: snapshot.type,
    version: snapshot.version,
    configuration: snapshot.configuration,
    functionDefinition: snapshot.functionDefinition,
    requireConfirmation: snapshot.requireConfirmation,
    allowedContexts: snapshot.allowedContexts,
    timeoutSeconds: snapshot.timeoutSeconds,
    retryAttempts: snapshot.retryAttempts,
  };
}

/** A refusal decided from a cached lookup: believed only once a fresh read agrees. */
class CachedRefusal extends Error {
  readonly refusal: Error;
  constructor(refusal: Error) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

/** Throws `error`, marked when it was decided from the cache. */
function refuse(error: Error, cached: boolean): never {
  throw cached ? new CachedRefusal(error) : error;
}

/** The organization's tool-type switches (feature-flags.ts), read in the same lookup: nothing is recorded for a disabled type. */
function assertTypeEnabled(featureFlags: unknown, type: string, cached: boolean): void {
  if (!toolTypeEnabled(featureFlags, type)) refuse(new FeatureDisabledError(type), cached);
}

/**
 * `fresh` skips the lookup cache (and refreshes it): after a write refused a
 * cached resolution as stale. A refusal decided from a cached lookup (not
 * assigned, type switched off) is only believed once a fresh read agrees:
 * nothing is written for it, so no version check would catch a stale one.
 * Refusals from a fresh read (unknown ids included) are final at once.
 */
export async function resolveRequest(
  lookups: ToolLookups,
  prisma: Prisma,
  request: ExecutionRequest,
  fresh: boolean,
): Promise<Resolved> {
  try {
    return await resolveOnce(lookups, prisma, request, fresh);
  } catch (error) {
    if (!(error instanceof CachedRefusal)) throw error;
    try {
      return await resolveOnce(lookups, prisma, request, true);
    } catch (again) {
      // A fresh read never marks its refusals, but unwrap anyway: callers see the typed error.
      throw again instanceof CachedRefusal ? again.refusal : again;
    }
  }
}

async function resolveOnce(
  lookups: ToolLookups,
  prisma: Prisma,
  request: ExecutionRequest,
  fresh: boolean,
): Promise<Resolved> {
  const { organizationId } = request;
  if (request.toolId) {
    const assistantId = request.assistantId ?? null;
    const lookup = await lookups.byId(organizationId, request.toolId, assistantId, fresh);
    if (!lookup) throw new NotFoundError('Tool');
    const found = lookup.value;
    assertTypeEnabled(found.featureFlags, found.tool.type, lookup.cached);
    if (assistantId && !found.assignment) refuse(new NotFoundError('Assistant'), lookup.cached);
    const tool = request.draft
      ? { ...found.tool, ...request.draft }
      : request.toolVersion != null && request.toolVersion !== found.tool.version
        ? await atVersion(prisma, found.tool, request.toolVersion)
        : found.tool;
    const resolved = fromToolRow(tool, found.assignment ? assistantId : null, found.assignment, {
      configVersion: found.configVersion,
      cached: lookup.cached,
    });
    return request.draft ? { ...resolved, schemaKey: draftSchemaKey(tool.id, resolved.parametersSchema) } : resolved;
  }
  if (!request.assistantId || !request.toolName) throw new NotFoundError('Tool');
  const toolName = request.toolName;
  const lookup = await lookups.byName(organizationId, request.assistantId, toolName, fresh);
  if (!lookup) throw new NotFoundError('Assistant');
  const assistant = lookup.value;
  const read = { configVersion: assistant.configVersion, cached: lookup.cached };
  if (assistant.tool) assertTypeEnabled(assistant.featureFlags, assistant.tool.type, lookup.cached);
  if (assistant.tool) return fromToolRow(assistant.tool, assistant.assistantId, assistant.assignment, read);
  const builtin = builtinName(toolName);
  if (!builtin) refuse(new NotFoundError('Tool'), lookup.cached);
  const settings = (assistant.toolsSettings ?? {}) as JsonValue;
  const definition = builtinFunctionDefinition(builtin, settings);
  const tool = builtinTool(builtin, settings);
  return {
    tool,
    ownConfiguration: tool.configuration,
    toolRowId: null,
    assistantId: assistant.assistantId,
    isActive: true,
    isArchived: false,
    assignmentEnabled: builtinEnabled(settings, builtin),
    allowedContexts: BUILTIN_CONTEXTS,
    requireConfirmation: false,
    timeoutSeconds: BUILTIN_TIMEOUT_SECONDS,
    retryAttempts: 0,
    parametersSchema: definition.parameters,
    ...read,
  };
}
