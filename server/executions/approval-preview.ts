/**
 * What an approver decides on: the request the run would send (rendered by the
 * executor, secrets as `[secret:NAME]`) and a digest of the effective tool at
 * request time. Approval runs only if the tool still digests the same: a tool
 * changed since (a new version, different assignment overrides or settings) is
 * refused with TOOL_CHANGED_SINCE_REQUEST instead of running something unseen.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { Executor, JsonObject, JsonValue } from '../executors/types.ts';
import { executionContextOf } from './attempt-loop.ts';
import type { Resolved } from './execution-resolver.ts';

/** Digest of everything that decides what a run does, key order aside. */
export function effectiveDigest(resolved: Resolved): string {
  const { tool } = resolved;
  const effective = {
    id: tool.id,
    name: tool.name,
    type: tool.type,
    version: tool.version,
    configuration: tool.configuration,
    timeoutSeconds: resolved.timeoutSeconds,
    retryAttempts: resolved.retryAttempts,
    parametersSchema: resolved.parametersSchema ?? null,
  };
  return createHash('sha256')
    .update(stringify(effective) ?? '')
    .digest('hex');
}

/** The fields a PENDING_APPROVAL row carries for its approver. */
export function approvalFields(
  executor: Executor | undefined,
  resolved: Resolved,
  row: ToolExecution,
): Pick<ToolExecution, 'approvalPreview' | 'approvalDigest'> {
  let preview: JsonValue;
  try {
    preview =
      executor?.preview?.({
        tool: resolved.tool,
        parameters: row.inputParameters as JsonObject,
        context: executionContextOf(row),
        idempotencyKey: row.id,
        attempt: 1,
      }) ?? null;
  } catch {
    preview = { error: 'The request could not be rendered' };
  }
  return { approvalPreview: preview, approvalDigest: effectiveDigest(resolved) };
}
