/**
 * Assistants and their tool assignments (many-to-many with per-assistant
 * enable flag, configuration override and execution order).
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Assistant, AssistantTool, Tool } from '../db/generated/prisma/client.ts';
import { isUniqueViolation, isUuid, toDbJson, toJson } from '../db/json.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { byteLength, isJsonObject } from '../tools/function-definition.ts';
import { TOOL_LIMITS } from '../tools/limits.ts';
import { checkToolMessages } from '../tools/tool-messages.ts';
import { deepMerge } from '../executions/deep-merge.ts';
import { checkToolSettings } from '../executions/tool-settings.ts';
import { findTool, type ToolDeps } from '../tools/tool-service.ts';
import { checkToolsSettings } from './tools-settings.ts';

const NAME_MAX = 200;

function checkName(name: string): void {
  if (name.trim().length < 1 || name.length > NAME_MAX) {
    throw new ValidationError([{ field: 'name', message: `must be 1-${NAME_MAX} characters` }]);
  }
}

export async function findAssistant(prisma: Prisma, actor: Actor, id: string): Promise<Assistant> {
  const assistant = isUuid(id)
    ? await prisma.assistant.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!assistant) throw new NotFoundError('Assistant');
  return assistant;
}

export async function createAssistant(
  prisma: Prisma,
  actor: Actor,
  input: { name: string; toolsSettings?: JsonValue | null },
): Promise<Assistant> {
  checkName(input.name);
  const toolsSettings = checkToolsSettings(input.toolsSettings ?? {});
  return prisma.$transaction(async (tx) => {
    const assistant = await tx.assistant.create({
      data: { organizationId: actor.organizationId, name: input.name.trim(), toolsSettings: toJson(toolsSettings) },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.create',
      entityType: 'Assistant',
      entityId: assistant.id,
      after: { name: assistant.name, toolsSettings },
    });
    return assistant;
  });
}

export async function updateAssistant(
  prisma: Prisma,
  actor: Actor,
  id: string,
  input: { name?: string | null; toolsSettings?: JsonValue | null },
): Promise<Assistant> {
  const current = await findAssistant(prisma, actor, id);
  if (input.name != null) checkName(input.name);
  const toolsSettings = input.toolsSettings != null ? checkToolsSettings(input.toolsSettings) : undefined;
  return prisma.$transaction(async (tx) => {
    const updated = await tx.assistant.update({
      where: { id: current.id },
      data: {
        ...(input.name != null ? { name: input.name.trim() } : {}),
        ...(toolsSettings ? { toolsSettings: toJson(toolsSettings) } : {}),
      },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.update',
      entityType: 'Assistant',
      entityId: id,
      before: { name: current.name, toolsSettings: current.toolsSettings as JsonObject },
      after: { name: updated.name, toolsSettings: updated.toolsSettings as JsonObject },
    });
    return updated;
  });
}

/**
 * An assignment's override, checked as the tool will run with it: deep-merged
 * over the tool's configuration, then validated like a tool's own (executor
 * fields and the engine's keys such as approver_role), so an override that
 * breaks the tool is refused when it is saved rather than at the next call.
 */
async function checkCustomConfiguration(
  deps: ToolDeps,
  tool: Pick<Tool, 'type' | 'configuration' | 'timeoutSeconds' | 'organizationId'>,
  value: JsonValue | null | undefined,
): Promise<JsonObject | null> {
  if (value === null || value === undefined) return null;
  if (!isJsonObject(value)) {
    throw new ValidationError([
      { field: 'customConfiguration', message: 'must be an object (it is deep-merged over the tool configuration)' },
    ]);
  }
  if (byteLength(value) > TOOL_LIMITS.customConfigurationMaxBytes) {
    throw new ValidationError([
      { field: 'customConfiguration', message: `must be at most ${TOOL_LIMITS.customConfigurationMaxBytes / 1024} KB` },
    ]);
  }
  const own = isJsonObject(tool.configuration as JsonValue) ? (tool.configuration as JsonObject) : {};
  const merged = deepMerge(own, value);
  const issues = [
    ...checkToolSettings(merged),
    ...(await deps.validateConfiguration(tool.type, merged, {
      timeoutSeconds: tool.timeoutSeconds,
      organizationId: tool.organizationId,
    })),
  ];
  if (issues.length) {
    throw new ValidationError(issues.map((issue) => ({ ...issue, field: `customConfiguration.${issue.field}` })));
  }
  return value;
}

export async function assignTool(
  deps: ToolDeps,
  actor: Actor,
  input: {
    assistantId: string;
    toolId: string;
    enabled?: boolean | null;
    customConfiguration?: JsonValue | null;
    messages?: JsonValue | null;
  },
): Promise<AssistantTool> {
  const { prisma } = deps;
  const assistant = await findAssistant(prisma, actor, input.assistantId);
  const tool = await findTool(prisma, actor, input.toolId);
  const customConfiguration = await checkCustomConfiguration(deps, tool, input.customConfiguration);
  const messages = checkToolMessages(input.messages);
  const existing = await prisma.assistantTool.count({ where: { assistantId: assistant.id } });
  if (existing >= TOOL_LIMITS.assignmentsPerAssistant) {
    throw new ValidationError([
      { field: 'assistantId', message: `an assistant can have at most ${TOOL_LIMITS.assignmentsPerAssistant} tools` },
    ]);
  }
  try {
    return await prisma.$transaction(async (tx) => {
      const last = await tx.assistantTool.aggregate({
        where: { assistantId: assistant.id },
        _max: { executionOrder: true },
      });
      const assignment = await tx.assistantTool.create({
        data: {
          assistantId: assistant.id,
          toolId: tool.id,
          enabled: input.enabled ?? true,
          customConfiguration: toDbJson(customConfiguration),
          messages: toDbJson(messages as JsonObject | null),
          executionOrder: (last._max.executionOrder ?? -1) + 1,
        },
      });
      await recordAudit(tx, actor, {
        action: 'assistant.assignTool',
        entityType: 'AssistantTool',
        entityId: assignment.id,
        after: { assistantId: assistant.id, toolId: tool.id, enabled: assignment.enabled, customConfiguration },
      });
      return assignment;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(`tool "${tool.name}" is already assigned to this assistant`, 'toolId');
    throw error;
  }
}

async function findAssignment(prisma: Prisma, actor: Actor, id: string): Promise<AssistantTool> {
  const assignment = isUuid(id)
    ? await prisma.assistantTool.findFirst({ where: { id, assistant: { organizationId: actor.organizationId } } })
    : null;
  if (!assignment) throw new NotFoundError('ToolAssignment');
  return assignment;
}

export async function configureToolAssignment(
  deps: ToolDeps,
  actor: Actor,
  input: {
    assignmentId: string;
    enabled?: boolean | null;
    customConfiguration?: JsonValue | null;
    clearCustomConfiguration?: boolean | null;
    /** Replaces the assignment's spoken messages; null clears them, absent keeps them. */
    messages?: JsonValue | null;
  },
): Promise<AssistantTool> {
  const { prisma } = deps;
  const current = await findAssignment(prisma, actor, input.assignmentId);
  const messages = input.messages !== undefined ? checkToolMessages(input.messages) : undefined;
  const customConfiguration = input.clearCustomConfiguration
    ? null
    : await checkCustomConfiguration(
        deps,
        await prisma.tool.findUniqueOrThrow({ where: { id: current.toolId } }),
        input.customConfiguration,
      );
  const changesConfiguration = input.clearCustomConfiguration || input.customConfiguration != null;
  return prisma.$transaction(async (tx) => {
    const updated = await tx.assistantTool.update({
      where: { id: current.id },
      data: {
        ...(input.enabled != null ? { enabled: input.enabled } : {}),
        ...(changesConfiguration ? { customConfiguration: toDbJson(customConfiguration) } : {}),
        ...(messages !== undefined ? { messages: toDbJson(messages as JsonObject | null) } : {}),
      },
    });
    await recordAudit(tx, actor, {
      action: 'assistant.configureToolAssignment',
      entityType: 'AssistantTool',
      entityId: current.id,
      before: {
        enabled: current.enabled,
        customConfiguration: current.customConfiguration as JsonValue,
        messages: current.messages as JsonValue,
      },
      after: {
        enabled: updated.enabled,
        customConfiguration: updated.customConfiguration as JsonValue,
        messages: updated.messages as JsonValue,
      },
    });
    return updated;
  });
}

export async function unassignTool(prisma: Prisma, actor: Actor, assignmentId: string): Promise<AssistantTool> {
  const current = await findAssignment(prisma, actor, assignmentId);
  await prisma.$transaction(async (tx) => {
    await tx.assistantTool.delete({ where: { id: current.id } });
    await recordAudit(tx, actor, {
      action: 'assistant.unassignTool',
      entityType: 'AssistantTool',
      entityId: current.id,
      before: { assistantId: current.assistantId, toolId: current.toolId },
    });
  });
  return current;
}

/** `assignmentIds` must list every assignment of the assistant exactly once, in the new order. */
export async function reorderToolAssignments(
  prisma: Prisma,
  actor: Actor,
  input: { assistantId: string; assignmentIds: string[] },
): Promise<Assistant> {
  const assistant = await findAssistant(prisma, actor, input.assistantId);
  const current = await prisma.assistantTool.findMany({
    where: { assistantId: assistant.id },
    orderBy: { executionOrder: 'asc' },
  });
  const known = new Set(current.map((assignment) => assignment.id));
  const given = new Set(input.assignmentIds);
  if (
    given.size !== input.assignmentIds.length ||
    given.size !== known.size ||
    [...given].some((id) => !known.has(id))
  ) {
    throw new ValidationError([
      { field: 'assignmentIds', message: "must list each of the assistant's tool assignments exactly once" },
    ]);
  }
  await prisma.$transaction(async (tx) => {
    for (const [index, id] of input.assignmentIds.entries()) {
      await tx.assistantTool.update({ where: { id }, data: { executionOrder: index } });
    }
    await recordAudit(tx, actor, {
      action: 'assistant.reorderToolAssignments',
      entityType: 'Assistant',
      entityId: assistant.id,
      before: { order: current.map((assignment) => assignment.id) },
      after: { order: input.assignmentIds },
    });
  });
  return assistant;
}

/**
 * Deletes an assistant with its tool assignments. Its executions and calls are
 * kept as history, with their assistant set to null (the foreign keys say
 * SET NULL); its OAuth grants go with it.
 */
export async function deleteAssistant(prisma: Prisma, actor: Actor, id: string): Promise<string> {
  const assistant = await findAssistant(prisma, actor, id);
  await prisma.$transaction(async (tx) => {
    const deleted = await tx.assistant.deleteMany({
      where: { id: assistant.id, organizationId: actor.organizationId },
    });
    if (deleted.count === 0) throw new NotFoundError('Assistant');
    await recordAudit(tx, actor, {
      action: 'assistant.delete',
      entityType: 'Assistant',
      entityId: assistant.id,
      before: { name: assistant.name },
    });
  });
  return assistant.id;
}
