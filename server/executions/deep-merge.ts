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

/** Merges of frozen (cached, shared) pairs, kept as long as both are: base → override → merged. */
const frozenMerges = new WeakMap<JsonObject, WeakMap<JsonObject, JsonObject>>();

/**
 * `deepMerge` for the engine's cached lookups (frozen, shared by every run):
 * computed once per pair and frozen like them, so what is derived from the
 * result (an endpoint's parsed configuration) can be cached too.
 */
export function mergedConfiguration(base: JsonObject, override: JsonValue | null | undefined): JsonObject {
  if (!isObject(override) || !Object.isFrozen(base) || !Object.isFrozen(override)) return deepMerge(base, override);
  let byOverride = frozenMerges.get(base);
  if (!byOverride) {
    byOverride = new WeakMap();
    frozenMerges.set(base, byOverride);
  }
  let merged = byOverride.get(override);
  if (!merged) {
    merged = deepFreeze(deepMerge(base, override));
    byOverride.set(override, merged);
  }
  return merged;
}

/** Freezes `value` and everything it holds (shared cache entries). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

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
