/**
 * The keys of a tool's configuration that the engine reads itself (every
 * executor ignores them): `rate_limit`, `approval_timeout_seconds`.
 */
import type { JsonObject, JsonValue } from '../executors/types.ts';

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function positive(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** `rate_limit: { burst, per_second, per_call }`; missing or invalid fields fall back to the engine's defaults. */
export function ownRateLimit(configuration: JsonObject): { burst?: number; perSecond?: number; perCall?: number } {
  const own = isObject(configuration.rate_limit) ? configuration.rate_limit : {};
  return { burst: positive(own.burst), perSecond: positive(own.per_second), perCall: positive(own.per_call) };
}

/** `approval_timeout_seconds`, when it is a positive number. */
export function ownApprovalTimeoutSeconds(configuration: JsonObject): number | undefined {
  return positive(configuration.approval_timeout_seconds);
}
