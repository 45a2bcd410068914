/**
 * Per-organization switches for tool types, so a new type can be rolled out
 * gradually. A type is enabled unless the organization's `featureFlags` says
 * `false` for it: organizations that predate a flag keep what they had.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Organization } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { FeatureDisabledError, NotFoundError } from '../errors.ts';
import type { ExecutionEngine, ExecutionRequest } from '../executions/engine.ts';
import type { JsonObject } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import type { ToolTypeName } from '../tools/tool-service.ts';

export const TOOL_TYPE_FLAGS = ['ENDPOINT', 'CODE', 'LAMBDA'] as const;

export function flagsOf(featureFlags: unknown): JsonObject {
  return isJsonObject(featureFlags) ? featureFlags : {};
}

export function toolTypeEnabled(featureFlags: unknown, type: string): boolean {
  return flagsOf(featureFlags)[type] !== false;
}

export async function assertToolTypeEnabled(prisma: Prisma, organizationId: string, type: ToolTypeName): Promise<void> {
  const organization = await prisma.organization.findUnique({
    where: { id: organizationId },
    select: { featureFlags: true },
  });
  if (!toolTypeEnabled(organization?.featureFlags, type)) throw new FeatureDisabledError(type);
}

export async function setFeatureFlag(
  prisma: Prisma,
  actor: Actor,
  flag: string,
  enabled: boolean,
): Promise<Organization> {
  return prisma.$transaction(async (tx) => {
    const current = await tx.organization.findUnique({ where: { id: actor.organizationId } });
    if (!current) throw new NotFoundError('Organization');
    const before = flagsOf(current.featureFlags);
    const after = { ...before, [flag]: enabled };
    const updated = await tx.organization.update({ where: { id: current.id }, data: { featureFlags: after } });
    await recordAudit(tx, actor, {
      action: 'organization.setFeatureFlag',
      entityType: 'Organization',
      entityId: current.id,
      before,
      after,
    });
    return updated;
  });
}

/** The type of the tool a request would run, or null for built-ins and names the engine will report as unknown. */
async function requestedToolType(
  prisma: Prisma,
  request: ExecutionRequest,
): Promise<{ type: string; flags: unknown } | null> {
  const organization = { select: { featureFlags: true } } as const;
  if (request.toolId) {
    const tool = await prisma.tool.findFirst({
      where: { id: uuidOrNil(request.toolId), organizationId: request.organizationId },
      select: { type: true, organization },
    });
    return tool ? { type: tool.type, flags: tool.organization.featureFlags } : null;
  }
  if (!request.assistantId || !request.toolName) return null;
  const assignment = await prisma.assistantTool.findFirst({
    where: {
      assistantId: uuidOrNil(request.assistantId),
      assistant: { organizationId: request.organizationId },
      tool: { name: request.toolName },
    },
    select: { tool: { select: { type: true, organization } } },
  });
  return assignment ? { type: assignment.tool.type, flags: assignment.tool.organization.featureFlags } : null;
}

/**
 * The engine with the organization's tool-type switches in front of `run`:
 * every adapter (GraphQL, OpenAI, Vapi, Retell, MCP) goes through this one.
 */
export function withFeatureFlags(engine: ExecutionEngine, prisma: Prisma): ExecutionEngine {
  return {
    ...engine,
    async run(request: ExecutionRequest) {
      const found = await requestedToolType(prisma, request);
      if (found && !toolTypeEnabled(found.flags, found.type)) throw new FeatureDisabledError(found.type);
      return engine.run(request);
    },
  };
}
