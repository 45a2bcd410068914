/**
 * Replay: the exact parameters and call context of a logged execution, run
 * again in the `test` trigger context against the tool's current version or
 * a chosen one, side by side with what happened the first time.
 */
import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ExecutionEngine } from '../executions/engine.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';

export interface ReplayResult {
  original: ToolExecution;
  replay: ToolExecution;
  /** The version the replay ran. */
  toolVersion: number;
  sameOutput: boolean;
}

/** Key order differs between a row read back from JSONB and one the engine just built. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

function text(context: JsonObject, key: string): string | null {
  const value = context[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

export async function replayExecution(
  deps: { prisma: Prisma; engine: Pick<ExecutionEngine, 'run'> },
  actor: Actor,
  executionId: string,
  toolVersion: number | null | undefined,
): Promise<ReplayResult> {
  const original = await deps.prisma.toolExecution.findFirst({
    where: { id: uuidOrNil(executionId), organizationId: actor.organizationId },
  });
  if (!original) throw new NotFoundError('ToolExecution');
  const parameters = isJsonObject(original.inputParameters as JsonValue)
    ? (original.inputParameters as JsonObject)
    : {};
  const saved = isJsonObject(original.context as JsonValue) ? (original.context as JsonObject) : {};
  const context = {
    triggerContext: 'test' as const,
    callSid: text(saved, 'call_sid'),
    phoneNumber: text(saved, 'phone_number'),
    from: text(saved, 'from'),
    to: text(saved, 'to'),
  };
  const base = {
    organizationId: actor.organizationId,
    parameters,
    context,
    actor: { userId: actor.userId, apiKeyId: actor.apiKeyId },
  };

  let replay: ToolExecution;
  if (original.toolId) {
    const tool = await deps.prisma.tool.findFirst({
      where: { id: original.toolId, organizationId: actor.organizationId },
      select: { id: true, version: true },
    });
    if (!tool) throw new NotFoundError('Tool');
    const wanted = toolVersion ?? tool.version;
    if (wanted !== tool.version) {
      const snapshot = await deps.prisma.toolVersion.findUnique({
        where: { toolId_version: { toolId: tool.id, version: wanted } },
        select: { id: true },
      });
      if (!snapshot) throw new NotFoundError('ToolVersion');
    }
    // The assistant's overrides apply when it still has the tool; otherwise the tool runs on its own.
    const assigned = original.assistantId
      ? await deps.prisma.assistantTool.count({ where: { assistantId: original.assistantId, toolId: tool.id } })
      : 0;
    replay = await deps.engine.run({
      ...base,
      toolId: tool.id,
      assistantId: assigned ? original.assistantId : null,
      toolVersion: wanted === tool.version ? null : wanted,
    });
  } else {
    // Built-ins have no versions; they replay through the assistant that ran them.
    if (toolVersion != null && toolVersion !== original.toolVersion) {
      throw new ValidationError([{ field: 'toolVersion', message: 'built-in tools have a single version' }]);
    }
    if (!original.assistantId) throw new NotFoundError('Assistant');
    replay = await deps.engine.run({ ...base, assistantId: original.assistantId, toolName: original.toolName });
  }
  return {
    original,
    replay,
    toolVersion: replay.toolVersion,
    sameOutput:
      replay.status === original.status && canonical(replay.outputResult) === canonical(original.outputResult),
  };
}
