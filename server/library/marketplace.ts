/**
 * The public marketplace: tools an organization published (`isPublic`, ADMIN
 * only) are readable by every organization and can be installed as a copy.
 * Read-only across organizations: nothing here can change another
 * organization's tool except its install counter.
 */
import type { Actor } from '../actor.ts';
import type { Prisma as P, Tool } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import { createTool, type ToolDeps, type ToolTypeName } from '../tools/tool-service.ts';
import { copyInput, inputOf, requiredSecrets } from './tool-copy.ts';
import { containsText } from '../db/contains-text.ts';

export interface PublicToolView {
  tool: Tool;
  authorOrganization: string;
  requiredSecrets: string[];
}

const MAX_SEARCH_LENGTH = 200;
export const PUBLIC_TOOLS_LIMIT = 100;

export async function publicTools(
  deps: ToolDeps,
  filter: { search?: string | null; type?: ToolTypeName | null; first?: number | null },
): Promise<PublicToolView[]> {
  const search = filter.search?.trim().slice(0, MAX_SEARCH_LENGTH);
  const where: P.ToolWhereInput = {
    isPublic: true,
    isActive: true,
    archivedAt: null,
    ...(filter.type ? { type: filter.type } : {}),
    ...(search
      ? {
          OR: [
            { name: containsText(search) },
            { displayName: containsText(search) },
            { description: containsText(search) },
          ],
        }
      : {}),
  };
  const rows = await deps.prisma.tool.findMany({
    where,
    include: { organization: { select: { name: true } } },
    orderBy: [{ installCount: 'desc' }, { updatedAt: 'desc' }, { id: 'asc' }],
    take: Math.min(Math.max(filter.first ?? 50, 1), PUBLIC_TOOLS_LIMIT),
  });
  return rows.map(({ organization, ...tool }) => ({
    tool,
    authorOrganization: organization.name,
    requiredSecrets: requiredSecrets(tool.type, tool.configuration as JsonValue),
  }));
}

export async function installPublicTool(
  deps: ToolDeps,
  actor: Actor,
  toolId: string,
  name: string | null | undefined,
): Promise<Tool> {
  const source = await deps.prisma.tool.findFirst({
    where: { id: uuidOrNil(toolId), isPublic: true, isActive: true, archivedAt: null },
  });
  if (!source) throw new NotFoundError('PublicTool');
  const installed = await createTool(
    deps,
    actor,
    copyInput(inputOf(source), name || source.name),
    'tool.installPublic',
  );
  // Raw on purpose: counting an install must not move the author's `updated_at`.
  await deps.prisma
    .$executeRaw`UPDATE "tools" SET "install_count" = "install_count" + 1 WHERE "id" = ${source.id}::uuid`;
  return installed;
}
