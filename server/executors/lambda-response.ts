/** Turns an Invoke response (payload bytes, log tail) into the engine's result shape. */
import type { ResponseHandling } from './lambda-config.ts';
import type { JsonObject, JsonValue, ToolResult } from './types.ts';

const MAX_ERROR_MESSAGE_LENGTH = 2000;

export type DecodedPayload = { ok: true; value: JsonValue } | { ok: false; text: string };

/** Lambda serializes whatever the function returned as JSON; an empty payload means it returned nothing. */
export function decodePayload(payload: Uint8Array | undefined): DecodedPayload {
  const text = payload ? new TextDecoder().decode(payload) : '';
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false, text };
  }
}

/** `{ errorMessage, errorType }` is what every managed runtime writes for a thrown error. */
export function functionErrorMessage(decoded: DecodedPayload, kind: string): string {
  let detail: string;
  if (!decoded.ok) detail = decoded.text;
  else if (isObject(decoded.value)) {
    const { errorMessage, errorType } = decoded.value;
    const message = typeof errorMessage === 'string' ? errorMessage : JSON.stringify(decoded.value);
    detail = typeof errorType === 'string' && errorType !== '' ? `${errorType}: ${message}` : message;
  } else {
    detail = typeof decoded.value === 'string' ? decoded.value : JSON.stringify(decoded.value);
  }
  return truncate(`Function error (${kind}): ${detail}`, MAX_ERROR_MESSAGE_LENGTH);
}

/**
 * With `response_handling` fields, each is a dotted path into the payload. Without
 * them: a payload with a boolean `success` is already in tool-result shape (its
 * `data`, or else its other fields, become the data); anything else is the data
 * of a successful result.
 */
export function mapResult(payload: JsonValue, handling: ResponseHandling): ToolResult {
  const configured =
    handling.success_field !== undefined || handling.message_field !== undefined || handling.data_field !== undefined;
  if (configured) {
    const rawSuccess = handling.success_field === undefined ? undefined : lookup(payload, handling.success_field);
    const success = toSuccess(rawSuccess);
    const rawMessage = handling.message_field === undefined ? undefined : lookup(payload, handling.message_field);
    const data = handling.data_field === undefined ? payload : (lookup(payload, handling.data_field) ?? null);
    return { success, message: toMessage(rawMessage, success), data };
  }
  if (isObject(payload) && typeof payload.success === 'boolean') {
    const { success, message, data, ...rest } = payload;
    return {
      success,
      message: toMessage(message, success),
      data: data !== undefined ? data : Object.keys(rest).length > 0 ? rest : null,
    };
  }
  return { success: true, message: toMessage(undefined, true), data: payload };
}

/** The log tail is the last 4 KB of the invocation's log, base64-encoded. */
export function decodeLogs(logResult: string | undefined): string[] | undefined {
  if (logResult === undefined || logResult === '') return undefined;
  const lines = Buffer.from(logResult, 'base64').toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function toSuccess(value: JsonValue | undefined): boolean {
  if (value === undefined) return true;
  if (typeof value === 'string')
    return !['false', '0', '', 'no', 'error', 'failed'].includes(value.trim().toLowerCase());
  return Boolean(value);
}

function toMessage(value: JsonValue | undefined, success: boolean): string {
  if (typeof value === 'string') return value;
  if (value !== undefined && value !== null) return JSON.stringify(value);
  return success ? 'Lambda function completed' : 'Lambda function reported a failure';
}

function lookup(value: JsonValue, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return current;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
