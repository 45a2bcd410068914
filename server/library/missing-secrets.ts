/**
 * Which secrets a tool's configuration names that its organization has not set: what the dashboard asks for
 * right after a template is installed, and warns about on the tool until they are there.
 */
import type { Prisma } from '../db/database.ts';
import type { JsonValue } from '../executors/types.ts';
import { requiredSecrets } from './tool-copy.ts';

/** The names of the secrets each organization has set, keyed by organization id. */
export async function secretNamesByOrganization(
  prisma: Prisma,
  organizationIds: string[],
): Promise<Map<string, Set<string>>> {
  const rows = await prisma.secret.findMany({
    where: { organizationId: { in: [...new Set(organizationIds)] } },
    select: { organizationId: true, name: true },
  });
  const names = new Map<string, Set<string>>();
  for (const row of rows) {
    const set = names.get(row.organizationId) ?? new Set<string>();
    set.add(row.name);
    names.set(row.organizationId, set);
  }
  return names;
}

/** For each tool id (in order), the secrets it needs that are not set; empty for an unknown id. */
export async function missingSecretsOfTools(prisma: Prisma, toolIds: string[]): Promise<string[][]> {
  const tools = await prisma.tool.findMany({
    where: { id: { in: toolIds } },
    select: { id: true, organizationId: true, type: true, configuration: true },
  });
  const set = await secretNamesByOrganization(
    prisma,
    tools.map((tool) => tool.organizationId),
  );
  const byId = new Map(
    tools.map((tool) => {
      const have = set.get(tool.organizationId) ?? new Set<string>();
      const needed = requiredSecrets(tool.type, tool.configuration as JsonValue);
      return [tool.id, needed.filter((name) => !have.has(name))];
    }),
  );
  return toolIds.map((id) => byId.get(id) ?? []);
}
