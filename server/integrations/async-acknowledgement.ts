/**
 * What an adapter answers at once for an async tool: the tool's spoken
 * `requestStart` message (the assignment's overriding the tool's) or a
 * default, and a word to the model that the result follows later.
 */
import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { JsonObject } from '../executors/types.ts';
import { mergeToolMessages } from '../tools/tool-messages.ts';

export const DEFAULT_ACKNOWLEDGEMENT = 'Let me check that, one moment.';
export const ASYNC_INSTRUCTION =
  'The tool is running in the background and its result will be delivered later in this conversation; do not call it again for this request.';

/** The spoken acknowledgement for a queued execution (one indexed read; built-ins have no messages). */
export async function acknowledgementOf(prisma: Prisma, row: ToolExecution): Promise<string> {
  if (!row.toolId) return DEFAULT_ACKNOWLEDGEMENT;
  const assistantId = row.assistantId;
  const tool = await prisma.tool.findUnique({
    where: { id: row.toolId },
    select: {
      messages: true,
      assignments: { where: assistantId ? { assistantId } : { id: { in: [] } }, select: { messages: true }, take: 1 },
    },
  });
  const assignment = tool?.assignments[0];
  return mergeToolMessages(tool?.messages, assignment?.messages)?.requestStart ?? DEFAULT_ACKNOWLEDGEMENT;
}

/** The result the model gets for a queued execution. */
export function queuedResult(row: ToolExecution, acknowledgement: string): JsonObject {
  return {
    success: true,
    message: `${acknowledgement} (${ASYNC_INSTRUCTION})`,
    data: { executionId: row.id, status: 'queued' },
  };
}
