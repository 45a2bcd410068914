/**
 * Per-organization switches for tool types, so a new type can be rolled out
 * gradually. A type is enabled unless the organization's `featureFlags` says
 * `false` for it: organizations that predate a flag keep what they had.
 * The engine checks them for every run, in its tool lookup (execution-resolver.ts).
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Organization } from '../db/generated/prisma/client.ts';
import { FeatureDisabledError, NotFoundError } from '../errors.ts';
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
