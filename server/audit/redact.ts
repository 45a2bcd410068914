import type { JsonValue } from '../executors/types.ts';

/** Keys whose values never reach an audit entry or a log line. */
const SENSITIVE_KEY = /(secret|password|passwd|token|api[_-]?key|authorization|credential|private[_-]?key|^value$)/i;
export const REDACTED = '[REDACTED]';

export function redactSensitive(value: JsonValue, depth = 0): JsonValue {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactSensitive(item, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        SENSITIVE_KEY.test(key) ? REDACTED : redactSensitive(inner, depth + 1),
      ]),
    );
  }
  return value;
}
