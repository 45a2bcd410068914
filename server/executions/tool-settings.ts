/**
 * The keys of a tool's configuration that the engine and the adapters read
 * themselves (every executor ignores them): `rate_limit`, `approval_timeout_seconds`,
 * `approver_role`, `continue_after_hangup`, `execution_mode`, and for MCP
 * clients `annotations` and `output_schema`.
 */
import type { FieldIssue } from '../errors.ts';
import { createSchemaCompiler } from '../security/schema-compiler.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import type { RoleName } from '../security/roles.ts';

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

/** A day: an approval nobody gives within it is not coming, and larger values overflow dates. */
export const MAX_APPROVAL_TIMEOUT_SECONDS = 86_400;

/** `approval_timeout_seconds`, when it is a positive number (rows saved before the bound are capped). */
export function ownApprovalTimeoutSeconds(configuration: JsonObject): number | undefined {
  const seconds = positive(configuration.approval_timeout_seconds);
  return seconds === undefined ? undefined : Math.min(seconds, MAX_APPROVAL_TIMEOUT_SECONDS);
}

/** Who may approve or reject a tool's pending executions; VIEWER never can. */
export const APPROVER_ROLES = ['MEMBER', 'ADMIN', 'OWNER'] as const satisfies readonly RoleName[];
export const DEFAULT_APPROVER_ROLE: RoleName = 'ADMIN';

/** `approver_role`; anything not in APPROVER_ROLES (save-time validation refuses it) means the default. */
export function approverRole(configuration: JsonObject): RoleName {
  const value = configuration.approver_role;
  return (APPROVER_ROLES as readonly JsonValue[]).includes(value ?? null) ? (value as RoleName) : DEFAULT_APPROVER_ROLE;
}

/** MCP tool annotations a tool may set itself (`annotations`), over those derived from what it is. */
export const ANNOTATION_HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;
/** A declared output schema is compiled for every check; a bound keeps that cheap. */
export const MAX_OUTPUT_SCHEMA_BYTES = 16 * 1024;
const outputSchemaCompiler = createSchemaCompiler({ validateSchema: true });

function annotationIssues(value: JsonValue | undefined): FieldIssue[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [{ field: 'annotations', message: 'annotations must be an object of boolean hints' }];
  return Object.entries(value)
    .filter(([key, hint]) => !(ANNOTATION_HINTS as readonly string[]).includes(key) || typeof hint !== 'boolean')
    .map(([key]) => ({
      field: `annotations.${key}`,
      message: `annotations take boolean ${ANNOTATION_HINTS.join(', ')}`,
    }));
}

function outputSchemaIssues(value: JsonValue | undefined): FieldIssue[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [{ field: 'output_schema', message: 'output_schema must be a JSON Schema object' }];
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_OUTPUT_SCHEMA_BYTES)
    return [{ field: 'output_schema', message: `output_schema must be at most ${MAX_OUTPUT_SCHEMA_BYTES} bytes` }];
  try {
    outputSchemaCompiler.compile(value);
    return [];
  } catch (error) {
    return [
      { field: 'output_schema', message: `output_schema is not a valid JSON Schema: ${(error as Error).message}` },
    ];
  }
}

export const EXECUTION_MODES = ['sync', 'async'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/**
 * `execution_mode`: `async` tools answer the voice platform at once with an acknowledgement and run on the
 * durable queue, their result delivered into the live call; anything else (or nothing) is `sync`.
 * An assignment's configuration override can set it per assistant.
 */
export function executionMode(configuration: JsonObject): ExecutionMode {
  return configuration.execution_mode === 'async' ? 'async' : 'sync';
}

/** Save-time checks of the engine's own keys (field names relative to the configuration). */
export function checkToolSettings(configuration: JsonObject): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const role = configuration.approver_role;
  if (role !== undefined && !(APPROVER_ROLES as readonly JsonValue[]).includes(role))
    issues.push({ field: 'approver_role', message: `approver_role must be one of ${APPROVER_ROLES.join(', ')}` });
  const timeout = configuration.approval_timeout_seconds;
  if (
    timeout !== undefined &&
    !(typeof timeout === 'number' && timeout >= 1 && timeout <= MAX_APPROVAL_TIMEOUT_SECONDS)
  ) {
    issues.push({
      field: 'approval_timeout_seconds',
      message: `approval_timeout_seconds must be a number from 1 to ${MAX_APPROVAL_TIMEOUT_SECONDS}`,
    });
  }
  issues.push(...annotationIssues(configuration.annotations), ...outputSchemaIssues(configuration.output_schema));
  const mode = configuration.execution_mode;
  if (mode !== undefined && !(EXECUTION_MODES as readonly JsonValue[]).includes(mode))
    issues.push({ field: 'execution_mode', message: `execution_mode must be one of ${EXECUTION_MODES.join(', ')}` });
  return issues;
}

/** `continue_after_hangup: true`: the tool runs to its end when its call ends (e.g. "create a support ticket"). */
export function continuesAfterHangup(configuration: JsonObject): boolean {
  return configuration.continue_after_hangup === true;
}
