/**
 * What a secret grant is about: the names a tool's configuration reads, and the
 * parts of it that decide where those values go (its "surface": code, URL,
 * method, headers, query, body, auth, Lambda target and payload). A grant holds
 * the surface an ADMIN approved; a tool whose surface differs runs without it.
 */
import { isDeepStrictEqual } from 'node:util';
import { secretNames } from '../executors/template.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';

const SURFACE_KEYS: Record<string, readonly string[]> = {
  ENDPOINT: ['url', 'method', 'headers', 'query_parameters', 'body_template', 'auth'],
  CODE: ['code', 'runtime', 'environment_variables', 'allowed_imports'],
  LAMBDA: [
    'function_name',
    'region',
    'qualifier',
    'invocation_type',
    'endpoint',
    'payload_template',
    'access_key_field',
    'secret_key_field',
    'session_token_field',
  ],
};

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The parts of `configuration` that decide where a secret goes; `type` included (a type change changes them all). */
export function secretSurface(type: string, configuration: JsonValue): JsonObject {
  const config = isObject(configuration) ? configuration : {};
  const surface: JsonObject = { type };
  for (const key of SURFACE_KEYS[type] ?? []) {
    const value = config[key];
    if (value !== undefined && value !== null) surface[key] = value;
  }
  return surface;
}

export function sameSurface(a: JsonValue, b: JsonValue): boolean {
  return isDeepStrictEqual(a, b);
}

/** Placeholder names in a template; a template that does not parse reads nothing (and fails at run). */
function templateSecrets(template: JsonValue | undefined): string[] {
  if (template === undefined || template === null) return [];
  try {
    return secretNames(template);
  } catch {
    return [];
  }
}

function named(value: JsonValue | undefined): string[] {
  return typeof value === 'string' && value.trim() !== '' ? [value] : [];
}

/** Every secret name the configuration makes the executor read (before any grant is checked). */
export function referencedSecretNames(type: string, configuration: JsonValue): string[] {
  const config = isObject(configuration) ? configuration : {};
  const names: string[] = [];
  if (type === 'ENDPOINT') {
    for (const key of ['url', 'headers', 'query_parameters', 'body_template'])
      names.push(...templateSecrets(config[key]));
    const auth = isObject(config.auth) ? config.auth : {};
    names.push(...templateSecrets(auth.username));
    if (auth.type === 'bearer' || auth.type === 'api_key') names.push(...named(auth.secret_name));
    if (auth.type === 'basic') names.push(...named(auth.password_secret));
  } else if (type === 'CODE') {
    const variables = config.environment_variables;
    if (Array.isArray(variables)) for (const name of variables) names.push(...named(name));
  } else if (type === 'LAMBDA') {
    for (const key of ['access_key_field', 'secret_key_field', 'session_token_field'])
      names.push(...named(config[key]));
    names.push(...templateSecrets(config.payload_template));
  }
  return [...new Set(names)].sort();
}

export interface SurfaceChange {
  /** The configuration key that changed (`type` for the tool type). */
  field: string;
  before: JsonValue | null;
  after: JsonValue | null;
}

/** What changed between the approved surface and the current one, key by key. */
export function surfaceChanges(approved: JsonValue, current: JsonObject): SurfaceChange[] {
  const before = isObject(approved) ? approved : {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(current)])];
  return keys
    .filter((key) => !isDeepStrictEqual(before[key], current[key]))
    .map((key) => ({ field: key, before: before[key] ?? null, after: current[key] ?? null }));
}
