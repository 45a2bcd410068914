/**
 * The legacy per-assistant `toolsSettings` JSON:
 * `{ enabled_tools: string[], end_call: {...}, transfer_call: {...}, custom_tools: [...] }`.
 * Kept as the users of the old API wrote it; only the shape is checked.
 */
import { ValidationError, type FieldIssue } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { byteLength, isJsonObject } from '../tools/function-definition.ts';

const MAX_BYTES = 64 * 1024;

export function checkToolsSettings(value: JsonValue): JsonObject {
  const issues: FieldIssue[] = [];
  if (!isJsonObject(value)) throw new ValidationError([{ field: 'toolsSettings', message: 'must be an object' }]);
  if (byteLength(value) > MAX_BYTES) issues.push({ field: 'toolsSettings', message: 'must be at most 64 KB' });
  const enabled = value.enabled_tools;
  if (enabled !== undefined && (!Array.isArray(enabled) || enabled.some((name) => typeof name !== 'string'))) {
    issues.push({ field: 'toolsSettings.enabled_tools', message: 'must be a list of tool names' });
  }
  for (const key of ['end_call', 'transfer_call'] as const) {
    if (value[key] !== undefined && !isJsonObject(value[key])) {
      issues.push({ field: `toolsSettings.${key}`, message: 'must be an object' });
    }
  }
  if (value.custom_tools !== undefined && !Array.isArray(value.custom_tools)) {
    issues.push({ field: 'toolsSettings.custom_tools', message: 'must be a list' });
  }
  if (issues.length) throw new ValidationError(issues);
  return value;
}
