/**
 * Creating, changing, versioning and deleting tools. Every change of what a
 * tool does (definition, configuration, execution settings) bumps its version
 * and stores an immutable snapshot, so executions can name the version they ran
 * and a tool can be rolled back.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Prisma as P, Tool, ToolVersion } from '../db/generated/prisma/client.ts';
import { isUniqueViolation, isUuid, toDbJson, toJson } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import { checkToolSettings } from '../executions/tool-settings.ts';
import type { ConfigurationIssue, JsonObject, JsonValue } from '../executors/types.ts';
import { assertToolTypeEnabled } from '../organizations/feature-flags.ts';
import { grantOnSave, recordImplicitGrants, type ImplicitGrant } from '../secrets/secret-grants.ts';
import { hasRole } from '../security/roles.ts';
import { byteLength, checkFunctionDefinition, isJsonObject } from './function-definition.ts';
import { orderParameters } from './parameter-checks.ts';
import { assertMayChangeTool, assertMayDeleteTool, assertMayGovernNewTool, keepGoverningKeys } from './governance.ts';
import { TOOL_LIMITS, TOOL_NAME_PATTERN, TRIGGER_CONTEXTS } from './limits.ts';
import { checkToolMessages, type ToolMessages } from './tool-messages.ts';

export type ToolTypeName = 'ENDPOINT' | 'CODE' | 'LAMBDA';

/** Per-type configuration checks, supplied by the executors (kept out of this module on purpose). */
/** What else a configuration is checked against: the tool's own timeout, and the organization (for fair queueing). */
export interface ConfigurationContext {
  timeoutSeconds?: number;
  organizationId?: string;
}

export type ConfigurationValidator = (
  type: ToolTypeName,
  configuration: JsonObject,
  context?: ConfigurationContext,
) => Promise<ConfigurationIssue[]>;

export interface ToolDeps {
  prisma: Prisma;
  validateConfiguration: ConfigurationValidator;
}

export interface CreateToolInput {
  name: string;
  displayName?: string | null;
  description?: string | null;
  type: ToolTypeName;
  configuration?: JsonValue | null;
  functionDefinition?: JsonValue | null;
  isActive?: boolean | null;
  requireConfirmation?: boolean | null;
  allowedContexts?: string[] | null;
  timeoutSeconds?: number | null;
  retryAttempts?: number | null;
  isPublic?: boolean | null;
  isTemplate?: boolean | null;
  /** Spoken while the tool runs (see tool-messages.ts); not versioned, like isActive. */
  messages?: JsonValue | null;
  /** The order of the function definition's parameters, for clients whose JSON encoding sorts keys. */
  parameterOrder?: string[] | null;
}

export type UpdateToolInput = { [K in keyof Omit<CreateToolInput, 'type'>]?: CreateToolInput[K] | null } & {
  type?: ToolTypeName | null;
  /** Optimistic concurrency: refuse the change if someone saved a newer version meanwhile. */
  expectedVersion?: number | null;
};

/** Fields whose change makes a new version. */
export const VERSIONED_FIELDS = [
  'name',
  'displayName',
  'description',
  'type',
  'configuration',
  'functionDefinition',
  'requireConfirmation',
  'allowedContexts',
  'timeoutSeconds',
  'retryAttempts',
] as const;

export type ToolState = {
  name: string;
  displayName: string;
  description: string;
  type: ToolTypeName;
  configuration: JsonObject;
  functionDefinition: JsonObject;
  isActive: boolean;
  requireConfirmation: boolean;
  allowedContexts: string[];
  timeoutSeconds: number;
  retryAttempts: number;
  isPublic: boolean;
  isTemplate: boolean;
  messages: ToolMessages | null;
};

export function stateOf(tool: Tool): ToolState {
  return {
    name: tool.name,
    displayName: tool.displayName,
    description: tool.description,
    type: tool.type,
    configuration: (tool.configuration ?? {}) as JsonObject,
    functionDefinition: (tool.functionDefinition ?? {}) as JsonObject,
    isActive: tool.isActive,
    requireConfirmation: tool.requireConfirmation,
    allowedContexts: tool.allowedContexts,
    timeoutSeconds: tool.timeoutSeconds,
    retryAttempts: tool.retryAttempts,
    isPublic: tool.isPublic,
    isTemplate: tool.isTemplate,
    messages: (tool.messages ?? null) as ToolMessages | null,
  };
}

function range(issues: FieldIssue[], field: string, value: number, limits: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    issues.push({ field, message: `must be an integer from ${limits.min} to ${limits.max}` });
  }
}

/** Checks a complete tool state; returns it normalised (function definition name filled in). */
export async function validateState(
  deps: ToolDeps,
  given: ToolState,
  organizationId: string,
  parameterOrder?: string[] | null,
): Promise<ToolState> {
  const issues: FieldIssue[] = [];
  let state = given;
  if (parameterOrder && isJsonObject(state.functionDefinition)) {
    const ordered = orderParameters(state.functionDefinition, parameterOrder);
    issues.push(...ordered.issues);
    state = { ...state, functionDefinition: ordered.definition };
  }
  if (!TOOL_NAME_PATTERN.test(state.name)) {
    issues.push({
      field: 'name',
      message: 'must be 1-64 characters of letters, digits, "_" or "-" (it is the function name the LLM calls)',
    });
  }
  if (state.displayName.length < 1 || state.displayName.length > TOOL_LIMITS.displayNameMaxLength) {
    issues.push({ field: 'displayName', message: `must be 1-${TOOL_LIMITS.displayNameMaxLength} characters` });
  }
  if (state.description.length > TOOL_LIMITS.descriptionMaxLength) {
    issues.push({ field: 'description', message: `must be at most ${TOOL_LIMITS.descriptionMaxLength} characters` });
  }
  range(issues, 'timeoutSeconds', state.timeoutSeconds, TOOL_LIMITS.timeoutSeconds);
  range(issues, 'retryAttempts', state.retryAttempts, TOOL_LIMITS.retryAttempts);
  const contexts = new Set(state.allowedContexts);
  if (
    contexts.size === 0 ||
    [...contexts].some((context) => !(TRIGGER_CONTEXTS as readonly string[]).includes(context))
  ) {
    issues.push({ field: 'allowedContexts', message: `must be a non-empty subset of ${TRIGGER_CONTEXTS.join(', ')}` });
  }
  if (byteLength(state.functionDefinition) > TOOL_LIMITS.functionDefinitionMaxBytes) {
    issues.push({
      field: 'functionDefinition',
      message: `must be at most ${TOOL_LIMITS.functionDefinitionMaxBytes / 1024} KB`,
    });
  }
  const checked = checkFunctionDefinition(state.functionDefinition, state.name);
  issues.push(...checked.issues);
  if (!isJsonObject(state.configuration)) {
    issues.push({ field: 'configuration', message: 'must be an object' });
  } else if (byteLength(state.configuration) > TOOL_LIMITS.configurationMaxBytes) {
    issues.push({ field: 'configuration', message: `must be at most ${TOOL_LIMITS.configurationMaxBytes / 1024} KB` });
  } else {
    const configIssues: ConfigurationIssue[] = [
      ...checkToolSettings(state.configuration),
      ...(await deps.validateConfiguration(state.type, state.configuration, {
        timeoutSeconds: state.timeoutSeconds,
        organizationId,
      })),
    ];
    for (const { reason, ...issue } of configIssues) {
      // An inactive tool never runs, so it may point at a host the operator has yet to allow.
      if (reason === 'PRIVATE_HOST' && !state.isActive) continue;
      issues.push({ ...issue, field: `configuration.${issue.field}` });
    }
  }
  let messages: ToolMessages | null = null;
  try {
    messages = checkToolMessages(state.messages as JsonValue | null);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length) throw new ValidationError(issues);
  return { ...state, allowedContexts: [...contexts], functionDefinition: checked.definition, messages };
}

function assertCanPublish(actor: Actor, wantsPublic: boolean | null | undefined): void {
  if (wantsPublic && !hasRole(actor.role, 'ADMIN')) {
    throw new AccessError('FORBIDDEN', 'publishing a tool to the marketplace requires the ADMIN role');
  }
}

function snapshotData(state: ToolState, version: number, actor: Actor) {
  return {
    version,
    name: state.name,
    displayName: state.displayName,
    description: state.description,
    type: state.type,
    configuration: toJson(state.configuration),
    functionDefinition: toJson(state.functionDefinition),
    requireConfirmation: state.requireConfirmation,
    allowedContexts: state.allowedContexts,
    timeoutSeconds: state.timeoutSeconds,
    retryAttempts: state.retryAttempts,
    createdById: actor.userId,
  };
}

function toolData(state: ToolState) {
  return {
    ...state,
    configuration: toJson(state.configuration),
    functionDefinition: toJson(state.functionDefinition),
    messages: toDbJson(state.messages as JsonValue | null),
  };
}

function nameConflict(name: string): ConflictError {
  return new ConflictError(`a tool named "${name}" already exists in this organization`, 'name');
}

export async function findTool(prisma: Prisma, actor: Actor, id: string): Promise<Tool> {
  const tool = isUuid(id) ? await prisma.tool.findFirst({ where: { id, organizationId: actor.organizationId } }) : null;
  if (!tool) throw new NotFoundError('Tool');
  return tool;
}

/** A validated new tool, not yet written: what import dry runs and all-or-nothing batches work with. */
export type PreparedTool = ToolState;

/** Everything createTool checks (validation, publish role, feature flags), without writing. */
export async function prepareTool(deps: ToolDeps, actor: Actor, input: CreateToolInput): Promise<PreparedTool> {
  assertCanPublish(actor, input.isPublic);
  const state = await validateState(
    deps,
    {
      name: input.name,
      displayName: input.displayName ?? input.name,
      description: input.description ?? '',
      type: input.type,
      configuration: (input.configuration ?? {}) as JsonObject,
      functionDefinition: (input.functionDefinition ?? {
        name: input.name,
        description: input.description ?? '',
      }) as JsonObject,
      isActive: input.isActive ?? true,
      requireConfirmation: input.requireConfirmation ?? false,
      allowedContexts: input.allowedContexts ?? [...TRIGGER_CONTEXTS],
      timeoutSeconds: input.timeoutSeconds ?? 30,
      retryAttempts: input.retryAttempts ?? 0,
      isPublic: input.isPublic ?? false,
      isTemplate: input.isTemplate ?? false,
      messages: (input.messages ?? null) as ToolMessages | null,
    },
    actor.organizationId,
    input.parameterOrder,
  );
  await assertToolTypeEnabled(deps.prisma, actor.organizationId, state.type);
  return state;
}

export async function assertToolCapacity(prisma: Prisma, actor: Actor, adding: number): Promise<void> {
  const count = await prisma.tool.count({ where: { organizationId: actor.organizationId } });
  if (count + adding > TOOL_LIMITS.toolsPerOrganization) {
    throw new ValidationError([
      { field: 'name', message: `an organization can have at most ${TOOL_LIMITS.toolsPerOrganization} tools` },
    ]);
  }
}

/**
 * Writes a prepared tool inside the caller's transaction (version 1, snapshot, audit entry);
 * the secrets an ADMIN's save granted are added to `granted` (recordImplicitGrants after the commit).
 */
export async function insertPreparedTool(
  tx: P.TransactionClient,
  actor: Actor,
  state: PreparedTool,
  action = 'tool.create',
  granted: ImplicitGrant[] = [],
): Promise<Tool> {
  assertMayGovernNewTool(actor, state);
  const tool = await tx.tool.create({
    data: {
      ...toolData(state),
      organizationId: actor.organizationId,
      createdById: actor.userId,
      version: 1,
      versions: { create: snapshotData(state, 1, actor) },
    },
  });
  await recordAudit(tx, actor, { action, entityType: 'Tool', entityId: tool.id, after: state });
  await grantOnSave(tx, actor, tool, null, granted);
  return tool;
}

export async function createTool(
  deps: ToolDeps,
  actor: Actor,
  input: CreateToolInput,
  action = 'tool.create',
): Promise<Tool> {
  const state = await prepareTool(deps, actor, input);
  await assertToolCapacity(deps.prisma, actor, 1);
  const granted: ImplicitGrant[] = [];
  let tool: Tool;
  try {
    tool = await deps.prisma.$transaction((tx) => insertPreparedTool(tx, actor, state, action, granted));
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(state.name);
    throw error;
  }
  recordImplicitGrants(deps.prisma, actor, granted);
  return tool;
}

/**
 * Replaces an existing tool's definition with a prepared one inside the
 * caller's transaction (a new version when anything versioned changed).
 */
export async function overwriteWithPrepared(
  tx: P.TransactionClient,
  actor: Actor,
  current: Tool,
  next: PreparedTool,
  action: string,
  granted: ImplicitGrant[] = [],
): Promise<Tool> {
  return applyStateIn(tx, actor, current, { ...next, isPublic: current.isPublic }, action, null, granted);
}

async function applyState(
  deps: ToolDeps,
  actor: Actor,
  current: Tool,
  next: ToolState,
  action: string,
  expectedVersion?: number | null,
): Promise<Tool> {
  const granted: ImplicitGrant[] = [];
  let saved: Tool;
  try {
    saved = await deps.prisma.$transaction((tx) =>
      applyStateIn(tx, actor, current, next, action, expectedVersion, granted),
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameConflict(next.name);
    throw error;
  }
  recordImplicitGrants(deps.prisma, actor, granted);
  return saved;
}

async function applyStateIn(
  tx: P.TransactionClient,
  actor: Actor,
  current: Tool,
  next: ToolState,
  action: string,
  expectedVersion: number | null | undefined,
  granted: ImplicitGrant[],
): Promise<Tool> {
  const before = stateOf(current);
  assertMayChangeTool(actor, before, next);
  const versioned = versionedChange(before, next);
  const version = versioned ? current.version + 1 : current.version;
  // The version in the WHERE makes concurrent saves of one tool serialise: the loser changes nothing.
  // isPublic too (it is not versioned): a save checked against an unpublished tool must not land on a published one.
  const updated = await tx.tool.updateMany({
    where: {
      id: current.id,
      organizationId: actor.organizationId,
      version: expectedVersion ?? current.version,
      isPublic: current.isPublic,
    },
    data: { ...toolData(next), version },
  });
  if (updated.count === 0) {
    throw new ConflictError('the tool was changed by someone else; reload it and try again', 'expectedVersion');
  }
  if (versioned) await tx.toolVersion.create({ data: { ...snapshotData(next, version, actor), toolId: current.id } });
  await recordAudit(tx, actor, { action, entityType: 'Tool', entityId: current.id, before, after: next });
  const saved = await tx.tool.findUniqueOrThrow({ where: { id: current.id } });
  await grantOnSave(tx, actor, saved, before, granted);
  return saved;
}

export async function updateTool(deps: ToolDeps, actor: Actor, id: string, input: UpdateToolInput): Promise<Tool> {
  const current = await findTool(deps.prisma, actor, id);
  assertCanPublish(actor, input.isPublic);
  const base = stateOf(current);
  const next = await validateState(deps, mergedState(actor, base, input), actor.organizationId, input.parameterOrder);
  if (next.type !== base.type) await assertToolTypeEnabled(deps.prisma, actor.organizationId, next.type);
  return applyState(deps, actor, current, next, 'tool.update', input.expectedVersion);
}

/** A tool's state with an update's fields applied (not yet validated). */
export function mergedState(actor: Actor, base: ToolState, input: UpdateToolInput): ToolState {
  const merged: ToolState = {
    name: input.name ?? base.name,
    displayName: input.displayName ?? base.displayName,
    description: input.description ?? base.description,
    type: input.type ?? base.type,
    configuration: (input.configuration
      ? keepGoverningKeys(actor, base.configuration, input.configuration)
      : base.configuration) as JsonObject,
    functionDefinition: (input.functionDefinition ?? base.functionDefinition) as JsonObject,
    isActive: input.isActive ?? base.isActive,
    requireConfirmation: input.requireConfirmation ?? base.requireConfirmation,
    allowedContexts: input.allowedContexts ?? base.allowedContexts,
    timeoutSeconds: input.timeoutSeconds ?? base.timeoutSeconds,
    retryAttempts: input.retryAttempts ?? base.retryAttempts,
    isPublic: input.isPublic ?? base.isPublic,
    isTemplate: input.isTemplate ?? base.isTemplate,
    messages: input.messages !== undefined ? ((input.messages ?? null) as ToolMessages | null) : base.messages,
  };
  // A rename must carry the function definition's name along with it.
  if (input.name && !input.functionDefinition && isJsonObject(merged.functionDefinition)) {
    merged.functionDefinition = { ...merged.functionDefinition, name: input.name };
  }
  return merged;
}

/** Whether two states differ in anything that makes a new version. */
export function versionedChange(before: ToolState, after: ToolState): boolean {
  return VERSIONED_FIELDS.some((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

export async function rollbackTool(deps: ToolDeps, actor: Actor, id: string, version: number): Promise<Tool> {
  const current = await findTool(deps.prisma, actor, id);
  const snapshot = await deps.prisma.toolVersion.findUnique({ where: { toolId_version: { toolId: id, version } } });
  if (!snapshot) throw new NotFoundError('ToolVersion');
  const next: ToolState = { ...stateOf(current), ...snapshotState(snapshot) };
  return applyState(deps, actor, current, await validateState(deps, next, actor.organizationId), 'tool.rollback');
}

function snapshotState(snapshot: ToolVersion) {
  return {
    name: snapshot.name,
    displayName: snapshot.displayName,
    description: snapshot.description,
    type: snapshot.type,
    configuration: snapshot.configuration as JsonObject,
    functionDefinition: snapshot.functionDefinition as JsonObject,
    requireConfirmation: snapshot.requireConfirmation,
    allowedContexts: snapshot.allowedContexts,
    timeoutSeconds: snapshot.timeoutSeconds,
    retryAttempts: snapshot.retryAttempts,
  };
}

export async function deleteTool(deps: ToolDeps, actor: Actor, id: string): Promise<string> {
  const current = await findTool(deps.prisma, actor, id);
  assertMayDeleteTool(actor, current);
  await deps.prisma.$transaction(async (tx) => {
    await tx.tool.delete({ where: { id: current.id } });
    await recordAudit(tx, actor, {
      action: 'tool.delete',
      entityType: 'Tool',
      entityId: current.id,
      before: stateOf(current),
    });
  });
  return current.id;
}
