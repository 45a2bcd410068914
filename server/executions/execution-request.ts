/** What callers hand the engine: a run request, and who decides on a pending one. */
import type { JsonObject, TriggerContext } from '../executors/types.ts';
import type { RoleName } from '../security/roles.ts';

export interface ExecutionRequestContext {
  callSid?: string | null;
  phoneNumber?: string | null;
  from?: string | null;
  to?: string | null;
  triggerContext: TriggerContext;
  toolCallId?: string | null;
}

export interface ExecutionRequest {
  organizationId: string;
  /** Either a tool id (tests, direct runs) or an assistant and the function name its LLM called. */
  toolId?: string | null;
  assistantId?: string | null;
  toolName?: string | null;
  parameters: JsonObject;
  context: ExecutionRequestContext;
  actor: { userId: string | null; apiKeyId: string | null };
  /** Overrides the (call, tool call id) key; the same key executes once per organization. */
  idempotencyKey?: string | null;
  /** With toolId: run this stored version's snapshot instead of the current one (replays). */
  toolVersion?: number | null;
}

export interface Decider {
  organizationId: string;
  userId: string | null;
  apiKeyId: string | null;
}

/** Approving and rejecting need at least the tool's approver role (ADMIN unless the tool names another). */
export interface Approver extends Decider {
  role: RoleName;
}

/** The row's `context` column: the call details present in the request. */
export function contextJson(context: ExecutionRequestContext): JsonObject {
  const json: JsonObject = {};
  if (context.callSid) json.call_sid = context.callSid;
  if (context.phoneNumber) json.phone_number = context.phoneNumber;
  if (context.from) json.from = context.from;
  if (context.to) json.to = context.to;
  return json;
}

/** The key that makes a repeat of the same request return the first execution. */
export function idempotencyKeyOf(request: ExecutionRequest): string | null {
  if (request.idempotencyKey) return `key:${request.idempotencyKey}`;
  if (request.context.toolCallId) return `call:${request.context.callSid ?? ''}:${request.context.toolCallId}`;
  return null;
}
