import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { SecretAccess } from '../executors/types.ts';
import { securityActor, securityEventsOf } from './security-events.ts';

/** Secret access that records each secret an execution actually read (its name, never its value), once. */
export function recordingSecretUses<T extends SecretAccess>(
  prisma: Prisma,
  row: Pick<ToolExecution, 'id' | 'organizationId' | 'toolId' | 'toolName' | 'userId' | 'apiKeyId'>,
  access: T,
): T {
  const seen = new Set<string>();
  return {
    ...access,
    async get(name: string) {
      const value = await access.get(name);
      if (value !== undefined && !seen.has(name)) {
        seen.add(name);
        securityEventsOf(prisma).record({
          kind: 'SECRET_USED',
          organizationId: row.organizationId,
          actor: securityActor(row),
          subject: { type: 'secret', id: name },
          details: { executionId: row.id, toolId: row.toolId, toolName: row.toolName },
        });
      }
      return value;
    },
  };
}
