import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { securityActor, securityEventsOf } from './security-events.ts';

/** An approver's decision on a held execution, as a security event of its organization. */
export function recordApprovalDecision(
  prisma: Prisma,
  kind: 'APPROVAL_APPROVED' | 'APPROVAL_REJECTED',
  decider: { userId: string | null; apiKeyId: string | null },
  row: Pick<ToolExecution, 'id' | 'organizationId' | 'toolId' | 'toolName'>,
): void {
  securityEventsOf(prisma).record({
    kind,
    organizationId: row.organizationId,
    actor: securityActor(decider),
    subject: { type: 'execution', id: row.id },
    details: { toolId: row.toolId, toolName: row.toolName },
  });
}
