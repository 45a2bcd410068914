/**
 * Vapi's server messages. A `tool-calls` message carries `toolCallList` and/or
 * `toolWithToolCallList` (each tool with its `toolCall`), plus the `call`,
 * `customer` and `phoneNumber` objects. Entries come in every form Vapi
 * documents or sends (fixtures in tests/fixtures/vapi/): `{ id, name, arguments }`
 * (its "Request Format" page), `{ id, type, function: { name, arguments } }`
 * (OpenAI's shape) and `function: { name, parameters }` in `toolWithToolCallList`;
 * arguments an object or a JSON string. Vapi wants HTTP 200 with
 * `{ results: [{ name, toolCallId, result }] }` or `{ name, toolCallId, error }`
 * per call, as single-line strings. The legacy `function-call` message
 * (`functionCall: { name, parameters }`) is answered with `{ result }` or `{ error }`;
 * `transfer-destination-request` from the assistant's transfer settings (vapi-transfer.ts).
 */
import { ValidationError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { oneLine, type CallContext, type ToolCallOutcome, type ToolCallRequest } from './tool-call-runner.ts';

export type VapiMessage =
  | { kind: 'tool-calls'; calls: ToolCallRequest[]; context: CallContext }
  | { kind: 'function-call'; call: ToolCallRequest; context: CallContext }
  | { kind: 'transfer-destination-request'; context: CallContext }
  | { kind: 'call-ended'; callSid: string; reason: string | null; context: CallContext }
  | { kind: 'ignored'; type: string };

export interface VapiResult {
  name: string;
  toolCallId: string;
  result?: string;
  error?: string;
}

function object(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

function str(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function toolCall(entry: JsonValue, index: number): ToolCallRequest {
  const call = object(entry);
  const fn = object(call.function);
  return {
    toolCallId: str(call.id) ?? `vapi_missing_id_${index}`,
    name: str(fn.name) ?? str(call.name) ?? '',
    arguments: fn.arguments ?? fn.parameters ?? call.arguments ?? call.parameters,
  };
}

/** Who is on which end: inbound calls come from the customer to our number, outbound the other way round. */
function callContext(message: JsonObject): CallContext {
  const call = object(message.call);
  const customer = str(object(message.customer).number) ?? str(object(call.customer).number);
  const ours = str(object(message.phoneNumber).number) ?? str(object(call.phoneNumber).number);
  const outbound = call.type === 'outboundPhoneCall';
  return {
    triggerContext: 'call',
    platform: 'VAPI',
    callSid: str(call.id),
    phoneNumber: customer,
    from: outbound ? ours : customer,
    to: outbound ? customer : ours,
  };
}

/**
 * The call's live control URL (`message.call.monitor.controlUrl`), which every server message
 * that carries the call includes; unvalidated here (server/deliveries/control-url.ts checks it).
 */
export function vapiCallMonitor(body: JsonValue): { callSid: string; controlUrl: JsonValue } | null {
  const call = object(object(isJsonObject(body) ? body.message : undefined).call);
  const callSid = str(call.id);
  const controlUrl = object(call.monitor).controlUrl;
  return callSid && controlUrl !== undefined ? { callSid, controlUrl } : null;
}

export function parseVapiMessage(body: JsonValue): VapiMessage {
  const message = isJsonObject(body) ? body.message : undefined;
  if (!isJsonObject(message) || typeof message.type !== 'string') {
    throw new ValidationError([
      { field: 'message', message: 'expected a Vapi server message: { "message": { "type": ... } }' },
    ]);
  }
  if (message.type === 'end-of-call-report' || (message.type === 'status-update' && message.status === 'ended')) {
    // Both carry `endedReason` (e.g. "customer-ended-call"); the report also `call.endedReason` on older payloads.
    const callSid = str(object(message.call).id);
    const reason = str(message.endedReason) ?? str(object(message.call).endedReason);
    return callSid
      ? { kind: 'call-ended', callSid, reason, context: callContext(message) }
      : { kind: 'ignored', type: message.type };
  }
  if (message.type === 'transfer-destination-request') {
    return { kind: 'transfer-destination-request', context: callContext(message) };
  }
  if (message.type === 'function-call') {
    const fn = object(message.functionCall);
    const name = str(fn.name);
    if (!name) {
      throw new ValidationError([
        { field: 'message.functionCall.name', message: 'a function-call message names the function to call' },
      ]);
    }
    const call = { toolCallId: null, name, arguments: fn.parameters ?? fn.arguments };
    return { kind: 'function-call', call, context: callContext(message) };
  }
  if (message.type !== 'tool-calls') return { kind: 'ignored', type: message.type };
  let calls: ToolCallRequest[];
  if (Array.isArray(message.toolCallList)) {
    calls = message.toolCallList.map(toolCall);
  } else if (Array.isArray(message.toolWithToolCallList)) {
    calls = message.toolWithToolCallList.map((entry, index) => toolCall(object(entry).toolCall ?? null, index));
  } else {
    throw new ValidationError([
      { field: 'message.toolCallList', message: 'a tool-calls message needs toolCallList or toolWithToolCallList' },
    ]);
  }
  return { kind: 'tool-calls', calls, context: callContext(message) };
}

/** The legacy `function-call` answer: `{ result }` as a single-line string, or `{ error }`. */
export function vapiFunctionCallResult(outcome: ToolCallOutcome): { result: string } | { error: string } {
  return outcome.ok
    ? { result: JSON.stringify(outcome.result) }
    : { error: oneLine(outcome.error ?? 'The tool failed.') };
}

export function vapiResults(outcomes: ToolCallOutcome[]): { results: VapiResult[] } {
  return {
    results: outcomes.map((outcome) => {
      const base = { name: outcome.name, toolCallId: outcome.toolCallId ?? '' };
      // JSON.stringify never emits a raw line break, so the result is one line by construction.
      return outcome.ok
        ? { ...base, result: JSON.stringify(outcome.result) }
        : { ...base, error: oneLine(outcome.error ?? 'The tool failed.') };
    }),
  };
}
