/**
 * Host-side parser for messages from sandbox processes. A sandbox is assumed to
 * be compromised: every field is type-checked and size-capped, unknown fields
 * and unknown message types are rejected, and the caller kills the process on
 * `null`.
 */
import type { JsonValue } from '../executors/types.ts';
import {
  LOG_TRUNCATED_MARKER,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_FETCH_BODY_CHARS,
  MAX_FETCH_HEADER_CHARS,
  MAX_FETCH_HEADERS,
  MAX_FETCH_METHOD_CHARS,
  MAX_FETCH_URL_CHARS,
  MAX_LOG_LINES,
  MAX_PROGRESS_CHARS,
  MAX_REPORTED_CPU_MS,
  MAX_REPORTED_MEMORY_BYTES,
  MAX_RESULT_DEPTH,
  MAX_VALIDATION_ISSUES,
  isBoundedJson,
  utf8Length,
} from './limits.ts';
import type { BridgeRequest, Runtime, SandboxError, SandboxToHost, SandboxUsage } from './protocol.ts';

export interface MessageCaps {
  maxLogBytes: number;
  maxResultBytes: number;
}

const MAX_ID_CHARS = 128;
const SANDBOX_ERROR_CODES: ReadonlySet<string> = new Set<SandboxError['code']>([
  'FUNCTION_ERROR',
  'TIMEOUT',
  'MEMORY_LIMIT',
  'IMPORT_NOT_ALLOWED',
  'INVALID_RESULT',
  'INVALID_CONFIGURATION',
]);
const RUNTIMES: ReadonlySet<string> = new Set<Runtime>(['javascript', 'python']);
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type Fields = Record<string, unknown>;

function asRecord(value: unknown, allowed: readonly string[]): Fields | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return null;
  const fields = value as Fields;
  for (const key of Object.keys(fields)) if (!allowed.includes(key)) return null;
  return fields;
}

function isString(value: unknown, maxChars: number): value is string {
  return typeof value === 'string' && value.length <= maxChars;
}

function isPosition(value: unknown): value is number | undefined {
  return value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);
}

function isId(value: unknown): value is string {
  return isString(value, MAX_ID_CHARS) && value.length > 0;
}

function parseLogs(value: unknown, caps: MessageCaps): string[] | null {
  if (!Array.isArray(value) || value.length > MAX_LOG_LINES + 1) return null;
  let bytes = 0;
  for (const line of value) {
    if (typeof line !== 'string') return null;
    if (line !== LOG_TRUNCATED_MARKER) bytes += utf8Length(line);
    if (bytes > caps.maxLogBytes) return null;
  }
  return value as string[];
}

function parseSandboxError(value: unknown): SandboxError | null {
  const fields = asRecord(value, ['code', 'message', 'line', 'column']);
  if (!fields) return null;
  const { code, message, line, column } = fields;
  if (typeof code !== 'string' || !SANDBOX_ERROR_CODES.has(code)) return null;
  if (!isString(message, MAX_ERROR_MESSAGE_CHARS) || !isPosition(line) || !isPosition(column)) return null;
  return {
    code: code as SandboxError['code'],
    message,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  };
}

function clampedInteger(value: number, max: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(max, Math.round(value));
}

/** Numbers only (anything else is malformed); values out of range are clamped, not trusted. */
function parseUsage(value: unknown): SandboxUsage | null {
  const fields = asRecord(value, ['cpuTimeMs', 'peakMemoryBytes']);
  if (!fields) return null;
  const { cpuTimeMs, peakMemoryBytes } = fields;
  if (typeof cpuTimeMs !== 'number' || typeof peakMemoryBytes !== 'number') return null;
  return {
    cpuTimeMs: clampedInteger(cpuTimeMs, MAX_REPORTED_CPU_MS),
    peakMemoryBytes: clampedInteger(peakMemoryBytes, MAX_REPORTED_MEMORY_BYTES),
  };
}

function parseResultValue(value: unknown, caps: MessageCaps): JsonValue | undefined {
  if (!isBoundedJson(value, MAX_RESULT_DEPTH)) return undefined;
  if (utf8Length(JSON.stringify(value)) > caps.maxResultBytes) return undefined;
  return value as JsonValue;
}

/** Validates a bridged request; the JavaScript worker applies the same rules before asking. */
export function parseBridgeRequest(value: unknown): BridgeRequest | null {
  const fields = asRecord(value, ['url', 'method', 'headers', 'body']);
  if (!fields) return null;
  const { url, method, headers, body } = fields;
  if (!isString(url, MAX_FETCH_URL_CHARS) || !isString(method, MAX_FETCH_METHOD_CHARS)) return null;
  if (!HTTP_TOKEN.test(method)) return null;
  if (body !== undefined && !isString(body, MAX_FETCH_BODY_CHARS)) return null;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return null;
  const headerFields = asRecord(headers, Object.keys(headers));
  if (!headerFields) return null;
  const entries = Object.entries(headerFields);
  if (entries.length > MAX_FETCH_HEADERS) return null;
  const cleanHeaders: Record<string, string> = {};
  for (const [name, headerValue] of entries) {
    if (!HTTP_TOKEN.test(name) || typeof headerValue !== 'string') return null;
    if (name.length + headerValue.length > MAX_FETCH_HEADER_CHARS || /[\r\n\0]/.test(headerValue)) return null;
    cleanHeaders[name] = headerValue;
  }
  return { url, method, headers: cleanHeaders, ...(body === undefined ? {} : { body }) };
}

function parseIssues(value: unknown): Array<{ message: string; line?: number; column?: number }> | null {
  if (!Array.isArray(value) || value.length > MAX_VALIDATION_ISSUES) return null;
  const issues: Array<{ message: string; line?: number; column?: number }> = [];
  for (const item of value) {
    const fields = asRecord(item, ['message', 'line', 'column']);
    if (!fields) return null;
    const { message, line, column } = fields;
    if (!isString(message, MAX_ERROR_MESSAGE_CHARS) || !isPosition(line) || !isPosition(column)) return null;
    issues.push({
      message,
      ...(line === undefined ? {} : { line }),
      ...(column === undefined ? {} : { column }),
    });
  }
  return issues;
}

/** Returns the message if it is well-formed and within `caps`, otherwise `null`. */
export function parseSandboxMessage(raw: unknown, caps: MessageCaps): SandboxToHost | null {
  const head = asRecord(raw, [
    'type',
    'id',
    'runtime',
    'callId',
    'request',
    'ok',
    'value',
    'error',
    'logs',
    'errors',
    'memoryPressure',
    'message',
    'usage',
  ]);
  if (!head) return null;
  switch (head.type) {
    case 'ready': {
      const fields = asRecord(raw, ['type', 'runtime']);
      if (!fields || typeof fields.runtime !== 'string' || !RUNTIMES.has(fields.runtime)) return null;
      return { type: 'ready', runtime: fields.runtime as Runtime };
    }
    case 'fetch': {
      const fields = asRecord(raw, ['type', 'id', 'callId', 'request']);
      if (!fields || !isId(fields.id) || !Number.isSafeInteger(fields.callId)) return null;
      const request = parseBridgeRequest(fields.request);
      if (!request) return null;
      return { type: 'fetch', id: fields.id, callId: fields.callId as number, request };
    }
    case 'progress': {
      const fields = asRecord(raw, ['type', 'id', 'message']);
      if (!fields || !isId(fields.id) || !isString(fields.message, MAX_PROGRESS_CHARS)) return null;
      return { type: 'progress', id: fields.id, message: fields.message };
    }
    case 'result': {
      const fields = asRecord(raw, ['type', 'id', 'ok', 'value', 'error', 'logs', 'memoryPressure', 'usage']);
      if (!fields || !isId(fields.id)) return null;
      const logs = parseLogs(fields.logs, caps);
      if (!logs) return null;
      const { memoryPressure } = fields;
      if (memoryPressure !== undefined && typeof memoryPressure !== 'boolean') return null;
      const usage = fields.usage === undefined ? undefined : parseUsage(fields.usage);
      if (usage === null) return null;
      const pressure = {
        ...(memoryPressure === true && { memoryPressure: true }),
        ...(usage !== undefined && { usage }),
      };
      if (fields.ok === true && !('error' in fields)) {
        const value = parseResultValue(fields.value, caps);
        if (value === undefined) return null;
        return { type: 'result', id: fields.id, ok: true, value, logs, ...pressure };
      }
      if (fields.ok === false && !('value' in fields)) {
        const error = parseSandboxError(fields.error);
        if (!error) return null;
        return { type: 'result', id: fields.id, ok: false, error, logs, ...pressure };
      }
      return null;
    }
    case 'validated': {
      const fields = asRecord(raw, ['type', 'id', 'errors']);
      if (!fields || !isId(fields.id)) return null;
      const errors = parseIssues(fields.errors);
      if (!errors) return null;
      return { type: 'validated', id: fields.id, errors };
    }
    default:
      return null;
  }
}
