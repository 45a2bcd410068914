/** What callers hand the engine: a run request, and who decides on a pending one. */
import { storableText } from '../db/storable-text.ts';
import type { JsonObject, TriggerContext } from '../executors/types.ts';
import type { RoleName } from '../security/roles.ts';

export interface ExecutionRequestContext {
  callSid?: string | null;
  phoneNumber?: string | null;
  from?: string | null;
  to?: string | null;
  triggerContext: TriggerContext;
  toolCallId?: string | null;
  /** Where the call came from; recorded on the Call row its first tool call creates. */
  platform?: 'VAPI' | 'RETELL' | 'API' | 'ELEVENLABS' | null;
}

/** A tool as edited but not saved (tool-draft.ts): run in place of the stored tool's definition, at its version. */
export interface ToolDraft {
  name: string;
  type: 'ENDPOINT' | 'CODE' | 'LAMBDA';
  configuration: JsonObject;
  functionDefinition: JsonObject;
  requireConfirmation: boolean;
  allowedContexts: string[];
  timeoutSeconds: number;
  retryAttempts: number;
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
  /** Overrides the (call, assistant, tool, tool call id) key; the same key executes once per organization. */
  idempotencyKey?: string | null;
  /** With toolId: run this stored version's snapshot instead of the current one (replays). */
  toolVersion?: number | null;
  /** With toolId: run this unsaved draft instead of the stored definition (validated by the caller). */
  draft?: ToolDraft | null;
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

/**
 * The request with the identifiers it will be recorded and looked up by made
 * storable (storable-text.ts), so a NUL in a call id is stored escaped instead
 * of failing its row. Parameters go to the tool as given; the writer stores them escaped.
 */
export function storableRequest(request: ExecutionRequest): ExecutionRequest {
  const text = (value: string | null | undefined): string | null | undefined =>
    typeof value === 'string' ? storableText(value) : value;
  const { context } = request;
  return {
    ...request,
    idempotencyKey: text(request.idempotencyKey),
    context: {
      ...context,
      callSid: text(context.callSid),
      phoneNumber: text(context.phoneNumber),
      from: text(context.from),
      to: text(context.to),
      toolCallId: text(context.toolCallId),
    },
  };
}

/**
 * The key that makes a repeat of the same request return the first execution:
 * the caller's explicit key, or a tool call id scoped to its call (or to no
 * call), its assistant and the tool it ran, so it can only ever repeat that
 * same tool call. `tool` is the tool's row id, or a built-in's name.
 */
export function idempotencyKeyOf(request: ExecutionRequest, tool: string): string | null {
  if (request.idempotencyKey) return `key:${request.idempotencyKey}`;
  const { callSid, toolCallId } = request.context;
  if (!toolCallId) return null;
  return `call:${JSON.stringify([callSid ?? null, request.assistantId ?? null, tool, toolCallId])}`;
}
