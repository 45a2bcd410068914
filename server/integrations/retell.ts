/**
 * Retell custom functions: Retell POSTs `{ name, call, args }` (or only the
 * args when "args only" is chosen) to the function's URL, signed with
 * `x-retell-signature`, and reads whatever JSON comes back as the result
 * (up to 15,000 characters).
 */
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import type { CallContext, ToolCallOutcome } from './tool-call-runner.ts';

/** Retell truncates longer function results; a cut JSON document would be worse than a short summary. */
export const RETELL_RESULT_MAX_CHARS = 15_000;

function str(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function parseRetellBody(
  body: JsonValue,
  toolName: string,
): { name: string; arguments: JsonValue | undefined; context: CallContext; toolCallId: string | null } {
  const object: JsonObject = isJsonObject(body) ? body : {};
  const wrapped = 'args' in object || 'call' in object;
  const call = isJsonObject(object.call) ? object.call : {};
  const outbound = call.direction === 'outbound';
  const caller = outbound ? str(call.to_number) : str(call.from_number);
  return {
    // The URL names the function: it is what the operator configured, whatever the body claims.
    name: toolName,
    arguments: wrapped ? object.args : body,
    context: {
      triggerContext: 'call',
      platform: 'RETELL',
      callSid: str(call.call_id),
      phoneNumber: caller,
      from: str(call.from_number),
      to: str(call.to_number),
    },
    // Retell sends no tool call id; the route uses a verified signature's digest to recognise re-deliveries.
    toolCallId: null,
  };
}

export function retellResponse(outcome: ToolCallOutcome): JsonObject {
  if (!outcome.ok) return { success: false, error: outcome.error ?? 'The tool failed.' };
  const result = isJsonObject(outcome.result) ? outcome.result : { success: true, message: '', data: outcome.result };
  if (JSON.stringify(result).length <= RETELL_RESULT_MAX_CHARS) return result;
  const message = typeof result.message === 'string' ? result.message.slice(0, 2_000) : '';
  return { success: result.success ?? true, message, data: null, truncated: true };
}

/** A Retell call webhook: `{ event: "call_started" | "call_ended" | "call_analyzed", call: { call_id, ... } }`. */
export interface RetellCallEvent {
  event: 'call_started' | 'call_ended' | 'call_analyzed';
  callSid: string;
  reason: string | null;
  from: string | null;
  to: string | null;
}

const RETELL_CALL_EVENTS = new Set(['call_started', 'call_ended', 'call_analyzed']);

/** The call event in a webhook body; null when the body is not one (e.g. a custom-function call). */
export function parseRetellCallEvent(body: JsonValue): RetellCallEvent | null {
  if (!isJsonObject(body) || typeof body.event !== 'string' || !RETELL_CALL_EVENTS.has(body.event)) return null;
  const call = isJsonObject(body.call) ? body.call : {};
  const callSid = str(call.call_id);
  if (!callSid) return null;
  return {
    event: body.event as RetellCallEvent['event'],
    callSid,
    reason: str(call.disconnection_reason),
    from: str(call.from_number),
    to: str(call.to_number),
  };
}
