/**
 * An assistant's customConfiguration laid over the tool's configuration:
 * objects merge key by key, anything else (arrays, scalars, null) replaces.
 */
import type { JsonObject, JsonValue } from '../executors/types.ts';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys that would reach Object.prototype if a consumer ever assigned them naively. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function deepMerge(base: JsonObject, override: JsonValue | null | undefined): JsonObject {
  if (!isObject(override)) return base;
  const entries = new Map<string, JsonValue>(Object.entries(base));
  for (const [key, value] of Object.entries(override)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const current = entries.get(key);
    entries.set(key, isObject(current) && isObject(value) ? deepMerge(current, value) : value);
  }
  // Object.fromEntries defines own properties, so even odd keys cannot touch a prototype.
  return Object.fromEntries(entries);
}
