/**
 * What a delivery carries: the execution's outcome (or a progress message)
 * frozen and bounded when it is enqueued, and the two request bodies built
 * from it — Vapi's live call control message and the signed webhook.
 */
import type { CallPlatform, ToolExecution } from '../db/generated/prisma/client.ts';
import { storableText } from '../db/storable-text.ts';
import type { JsonValue } from '../executors/types.ts';

/** A result bigger than this is sent as `resultTruncated: true`: a phone call cannot speak it, a webhook can fetch it. */
export const MAX_DELIVERED_RESULT_BYTES = 32 * 1024;
export const MAX_PROGRESS_MESSAGE_LENGTH = 1_000;
const MAX_ERROR_LENGTH = 2_000;

export type DeliveryEvent = 'result' | 'progress';

export interface DeliveryPayload {
  execution: {
    id: string;
    toolName: string;
    status: string;
    result: JsonValue;
    resultTruncated?: true;
    error: string | null;
    errorCode: string | null;
  };
  progress?: { message: string; sequence: number };
}

function boundedResult(value: JsonValue): { result: JsonValue; resultTruncated?: true } {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? 'null');
  return bytes > MAX_DELIVERED_RESULT_BYTES ? { result: null, resultTruncated: true } : { result: value };
}

export function boundedProgressMessage(message: string): string {
  return storableText(message.trim().slice(0, MAX_PROGRESS_MESSAGE_LENGTH));
}

export function deliveryPayload(row: ToolExecution, progress?: { message: string; sequence: number }): DeliveryPayload {
  return {
    execution: {
      id: row.id,
      toolName: row.toolName,
      status: row.status,
      ...boundedResult((row.outputResult ?? null) as JsonValue),
      error: row.errorMessage === null ? null : row.errorMessage.slice(0, MAX_ERROR_LENGTH),
      errorCode: row.errorCode,
    },
    ...(progress && { progress: { message: boundedProgressMessage(progress.message), sequence: progress.sequence } }),
  };
}

/**
 * Vapi Live Call Control (https://docs.vapi.ai/calls/call-features): POST JSON to the call's
 * `monitor.controlUrl`, no credentials. Documented messages:
 *   { "type": "say", "content": "…", "endCallAfterSpoken": false }
 *   { "type": "add-message", "message": { "role": "system", "content": "…" }, "triggerResponseEnabled": true }
 * A result goes in as a system message with `triggerResponseEnabled`: the assistant's own model
 * phrases it for the caller in the conversation's language and tone, and it stays in the
 * conversation history, so a follow-up question about it can be answered. A result is data
 * (JSON), which `say` would read out verbatim. Progress ("still searching…") is already a
 * sentence meant for the caller, so it is spoken as is with `say`, without starting a turn.
 */
export function vapiControlBody(event: DeliveryEvent, payload: DeliveryPayload): JsonValue {
  if (event === 'progress') {
    return { type: 'say', content: payload.progress?.message ?? '', endCallAfterSpoken: false };
  }
  const { execution } = payload;
  const content =
    execution.status === 'SUCCESS'
      ? `The ${execution.toolName} tool the caller was waiting for has finished. Its result: ${
          execution.resultTruncated ? '(too large to read out)' : JSON.stringify(execution.result)
        }. Tell the caller what it means for them.`
      : `The ${execution.toolName} tool the caller was waiting for did not succeed (${execution.status}${
          execution.error ? `: ${execution.error}` : ''
        }). Tell the caller, and offer what you can do instead.`;
  return { type: 'add-message', message: { role: 'system', content }, triggerResponseEnabled: true };
}

export interface WebhookCall {
  id: string;
  externalId: string;
  platform: CallPlatform;
}

export function webhookBody(delivery: {
  id: string;
  event: DeliveryEvent;
  createdAt: Date;
  callEnded: boolean;
  call: WebhookCall | null;
  payload: DeliveryPayload;
}): string {
  return JSON.stringify({
    id: delivery.id,
    event: `execution.${delivery.event}`,
    createdAt: delivery.createdAt.toISOString(),
    callEnded: delivery.callEnded,
    call: delivery.call,
    execution: delivery.payload.execution,
    ...(delivery.payload.progress && { progress: delivery.payload.progress }),
  });
}
