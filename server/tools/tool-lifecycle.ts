/**
 * Archiving and duplicating tools. An archived tool keeps its assignments,
 * versions and executions but never runs (TOOL_ARCHIVED) and is left out of
 * lists, the marketplace and templates until it is unarchived. A duplicate is
 * a new tool made through createTool, so it is held to every rule a tool
 * written by hand is (validation, limits, governance, secret grants).
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Tool } from '../db/generated/prisma/client.ts';
import { copyInput, freeName, inputOf } from '../library/tool-copy.ts';
import { assertMayDeleteTool } from './governance.ts';
import { TOOL_LIMITS } from './limits.ts';
import { createTool, findTool, type ToolDeps } from './tool-service.ts';

const FUNCTION_NAME_MAX_LENGTH = 64;
const COPY_SUFFIX = '_copy';

async function setArchived(deps: ToolDeps, actor: Actor, id: string, archived: boolean): Promise<Tool> {
  const current = await findTool(deps.prisma, actor, id);
  // Archiving takes a published tool out of the marketplace: the role publishing needs, as for deleting.
  assertMayDeleteTool(actor, current);
  if ((current.archivedAt !== null) === archived) return current;
  return deps.prisma.$transaction(async (tx) => {
    const saved = await tx.tool.update({
      where: { id: current.id },
      data: { archivedAt: archived ? new Date() : null },
    });
    await recordAudit(tx, actor, {
      action: archived ? 'tool.archive' : 'tool.unarchive',
      entityType: 'Tool',
      entityId: current.id,
      before: { archivedAt: current.archivedAt?.toISOString() ?? null },
      after: { archivedAt: saved.archivedAt?.toISOString() ?? null },
    });
    return saved;
  });
}

export function archiveTool(deps: ToolDeps, actor: Actor, id: string): Promise<Tool> {
  return setArchived(deps, actor, id, true);
}

export function unarchiveTool(deps: ToolDeps, actor: Actor, id: string): Promise<Tool> {
  return setArchived(deps, actor, id, false);
}

/** `<name>_copy` (then `_copy_2`, ...) within the function-name limit. */
async function copyName(deps: ToolDeps, actor: Actor, name: string): Promise<string> {
  const base = `${name.slice(0, FUNCTION_NAME_MAX_LENGTH - COPY_SUFFIX.length)}${COPY_SUFFIX}`;
  const taken = await deps.prisma.tool.findMany({
    where: { organizationId: actor.organizationId, name: { startsWith: base } },
    select: { name: true },
  });
  return freeName(base, new Set(taken.map((tool) => tool.name)));
}

/**
 * A new tool at version 1 with the source's definition, configuration and
 * settings, never public and never a template. Secret grants are not copied:
 * as for any new tool, an ADMIN's copy is granted what it reads on save and
 * anyone else's waits for an ADMIN to grant them.
 */
export async function duplicateTool(deps: ToolDeps, actor: Actor, id: string): Promise<Tool> {
  const source = await findTool(deps.prisma, actor, id);
  const name = await copyName(deps, actor, source.name);
  const displayName = `${source.displayName} (copy)`.slice(0, TOOL_LIMITS.displayNameMaxLength);
  return createTool(deps, actor, copyInput(inputOf(source), name, { displayName }), 'tool.duplicate');
}
