/**
 * What travels when a tool is cloned, installed, exported or imported: its
 * definition and configuration (which holds secret names, never values), and
 * none of its identity (ids, organization, counters, publication).
 */
import type { Tool } from '../db/generated/prisma/client.ts';
import { secretNames } from '../executors/template.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import { TOOL_NAME_PATTERN } from '../tools/limits.ts';
import type { CreateToolInput, ToolTypeName } from '../tools/tool-service.ts';

export type ToolLike = Pick<
  Tool,
  | 'name'
  | 'displayName'
  | 'description'
  | 'type'
  | 'configuration'
  | 'functionDefinition'
  | 'isActive'
  | 'requireConfirmation'
  | 'allowedContexts'
  | 'timeoutSeconds'
  | 'retryAttempts'
  | 'isTemplate'
  | 'messages'
>;

/** A copy under `name` (the function definition's name follows). Never public, never a template unless asked. */
export function copyInput(
  source: CreateToolInput,
  name: string,
  overrides: Partial<CreateToolInput> = {},
): CreateToolInput {
  const definition = isJsonObject(source.functionDefinition as JsonValue)
    ? (source.functionDefinition as JsonObject)
    : {};
  return {
    name,
    displayName: source.displayName ?? null,
    description: source.description ?? null,
    type: source.type,
    configuration: structuredClone(source.configuration ?? {}),
    functionDefinition: { ...structuredClone(definition), name },
    isActive: source.isActive ?? true,
    requireConfirmation: source.requireConfirmation ?? false,
    allowedContexts: source.allowedContexts ? [...source.allowedContexts] : null,
    timeoutSeconds: source.timeoutSeconds ?? null,
    retryAttempts: source.retryAttempts ?? null,
    messages: source.messages ? structuredClone(source.messages) : null,
    isPublic: false,
    isTemplate: false,
    ...overrides,
  };
}

export function inputOf(tool: ToolLike): CreateToolInput {
  return {
    name: tool.name,
    displayName: tool.displayName,
    description: tool.description,
    type: tool.type as ToolTypeName,
    configuration: tool.configuration as JsonValue,
    functionDefinition: tool.functionDefinition as JsonValue,
    isActive: tool.isActive,
    requireConfirmation: tool.requireConfirmation,
    allowedContexts: tool.allowedContexts,
    timeoutSeconds: tool.timeoutSeconds,
    retryAttempts: tool.retryAttempts,
    isTemplate: tool.isTemplate,
    messages: (tool.messages ?? null) as JsonValue,
  };
}

function stringsAt(configuration: JsonObject, keys: string[]): string[] {
  return keys.flatMap((key) => {
    const value = configuration[key];
    return typeof value === 'string' && value !== '' ? [value] : [];
  });
}

/** Every secret name a configuration refers to, for any tool type. */
export function requiredSecrets(type: string, configuration: JsonValue): string[] {
  if (!isJsonObject(configuration)) return [];
  const names: string[] = [];
  if (type === 'CODE') {
    const env = configuration.environment_variables;
    if (Array.isArray(env)) names.push(...env.filter((item): item is string => typeof item === 'string'));
  } else {
    try {
      names.push(...secretNames(configuration));
    } catch {
      // A malformed placeholder names no secret; validation reports it.
    }
    if (isJsonObject(configuration.auth))
      names.push(...stringsAt(configuration.auth, ['secret_name', 'password_secret']));
    if (type === 'LAMBDA')
      names.push(...stringsAt(configuration, ['access_key_field', 'secret_key_field', 'session_token_field']));
  }
  return [...new Set(names)].sort();
}

/** `name`, else `name_2`, `name_3`, ... (kept within the 64-character function-name limit). */
export function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${name.slice(0, 64 - suffix.length)}${suffix}`;
    if (!taken.has(candidate) && TOOL_NAME_PATTERN.test(candidate)) return candidate;
  }
}
