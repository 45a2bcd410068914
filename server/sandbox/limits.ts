/**
 * Hard caps shared by the host and every sandbox runtime. The sandbox enforces
 * them so a well-behaved worker never trips the host's checks; the host enforces
 * them again because a compromised worker is assumed to lie. A worker that sends
 * anything beyond these caps is killed.
 *
 * This file is read by sandbox processes at runtime: it must stay dependency-free.
 */

/** Source code accepted by a worker (the CODE executor's own cap is lower). */
export const MAX_CODE_CHARS = 1024 * 1024;
export const MAX_ERROR_MESSAGE_CHARS = 4096;
export const MAX_VALIDATION_ISSUES = 20;

export const MAX_LOG_LINES = 200;
/** One log line never exceeds this, whatever the job's `maxLogBytes`. */
export const MAX_LOG_LINE_BYTES = 8 * 1024;
/** Appended once when a job's logs were cut; counted outside `maxLogBytes`. */
export const LOG_TRUNCATED_MARKER = '[log output truncated]';

/** Nesting depth of a returned value (objects and arrays). */
export const MAX_RESULT_DEPTH = 64;

/** `context.progress()`: one report's length, and how many one job may send (the engine keeps fewer). */
export const MAX_PROGRESS_CHARS = 500;
export const MAX_PROGRESS_PER_JOB = 64;

export const MAX_FETCHES_PER_JOB = 16;
export const MAX_CONCURRENT_FETCHES = 4;
export const MAX_FETCH_URL_CHARS = 8 * 1024;
export const MAX_FETCH_METHOD_CHARS = 16;
export const MAX_FETCH_HEADERS = 64;
export const MAX_FETCH_HEADER_CHARS = 8 * 1024;
export const MAX_FETCH_BODY_CHARS = 1024 * 1024;
/** Larger bridged responses are refused before they reach the sandbox. */
/** Reported usage beyond these is a lie or a bug: clamped, never stored as sent. */
export const MAX_REPORTED_CPU_MS = 60 * 60 * 1000;
export const MAX_REPORTED_MEMORY_BYTES = 64 * 1024 * 1024 * 1024;
export const MAX_FETCH_RESPONSE_CHARS = 1024 * 1024;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Cuts `text` to at most `maxChars` UTF-16 units, never between the halves of a
 * surrogate pair (a lone half is text PostgreSQL refuses), ending with `…` when cut.
 */
export function clipText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || utf8Length(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * Depth-first walk that proves `value` is plain JSON data (finite numbers, no
 * exotic prototypes) no deeper than `maxDepth`. Returns false instead of
 * overflowing the stack on hostile nesting.
 */
export function isBoundedJson(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || maxDepth <= 0) return false;
  if (Array.isArray(value)) return value.every((item) => isBoundedJson(item, maxDepth - 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isBoundedJson(item, maxDepth - 1));
}
