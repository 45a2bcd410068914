/**
 * Turning an upstream HTTP response into a ToolResult or an ExecutionFailure.
 */
import type { GuardedResponse } from '../security/guarded-fetch.ts';
import type { ResponseHandling } from './endpoint-config.ts';
import type { ExecutionFailure, JsonValue, ToolResult } from './types.ts';

/** How much of an error body goes into a failure message. */
const ERROR_SNIPPET_LENGTH = 200;
const FALSY_STRINGS = new Set(['', 'false', '0', 'no', 'error', 'failed', 'failure']);

export function getPath(value: JsonValue, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) current = /^\d+$/.test(segment) ? current[Number(segment)] : undefined;
    else if (current !== null && typeof current === 'object' && Object.hasOwn(current, segment))
      current = current[segment];
    else return undefined;
  }
  return current;
}

function isSuccessValue(value: JsonValue | undefined): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return !FALSY_STRINGS.has(value.trim().toLowerCase());
  return value !== undefined && value !== null;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function mediaType(headers: Record<string, string>): string {
  return (headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** Decodes a 2xx body: JSON (or unlabelled JSON), text/*, or nothing. */
export function decodeBody(
  response: GuardedResponse,
): { ok: true; body: JsonValue } | { ok: false; error: ExecutionFailure } {
  if (response.body.byteLength === 0) return { ok: true, body: null };
  const type = mediaType(response.headers);
  const text = new TextDecoder().decode(response.body);
  const isJson = type === 'application/json' || type.endsWith('+json');
  if (type.startsWith('text/')) return { ok: true, body: text };
  if (isJson || type === '') {
    try {
      return { ok: true, body: JSON.parse(text) as JsonValue };
    } catch {
      if (isJson) {
        return {
          ok: false,
          error: { code: 'INVALID_RESPONSE', message: 'The response is not valid JSON', retryable: false },
        };
      }
    }
  }
  return {
    ok: false,
    error: {
      code: 'UNSUPPORTED_CONTENT_TYPE',
      message: `Unsupported response content type "${type || 'none'}": expected JSON or text`,
      retryable: false,
    },
  };
}

export function mapResult(body: JsonValue, status: number, handling: ResponseHandling): ToolResult {
  const success = handling.success_field === undefined ? true : isSuccessValue(getPath(body, handling.success_field));
  let message: string | undefined;
  const rawMessage =
    handling.message_field === undefined ? getPath(body, 'message') : getPath(body, handling.message_field);
  if (typeof rawMessage === 'string') message = rawMessage;
  else if (handling.message_field !== undefined && rawMessage !== undefined && rawMessage !== null) {
    message = JSON.stringify(rawMessage);
  }
  const data = handling.data_field === undefined ? body : (getPath(body, handling.data_field) ?? null);
  return {
    success,
    message: message ?? (success ? `Request succeeded (HTTP ${status})` : `Request reported failure (HTTP ${status})`),
    data,
  };
}

/** Non-2xx statuses; `redact` scrubs the body snippet before it enters the message. */
export function statusFailure(response: GuardedResponse, redact: (text: string) => string): ExecutionFailure {
  const { status } = response;
  // Redact before cutting so a secret straddling the cut cannot leak in part.
  const snippet = redact(new TextDecoder().decode(response.body)).slice(0, ERROR_SNIPPET_LENGTH).trim();
  const message = `Upstream returned HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`;
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  const hint = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429) return { code: 'UPSTREAM_RATE_LIMITED', message, retryable: true, ...hint };
  if (status === 502 || status === 503 || status === 504) {
    return { code: 'UPSTREAM_UNAVAILABLE', message, retryable: true, ...hint };
  }
  return { code: 'HTTP_ERROR', message, retryable: false };
}
