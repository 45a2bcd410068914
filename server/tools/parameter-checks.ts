/**
 * Parameter lists a JSON Schema compiler accepts but the LLM cannot use well:
 * a parameter required twice or required without being defined, and allowed
 * values (`enum`) that repeat or do not fit the parameter's type (the builder
 * once saved `enum: [null, null]` for a number parameter).
 */
import type { FieldIssue } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';

const FIELD = 'functionDefinition.parameters';

/** What each scalar type accepts as an allowed value, in words the builder can show as they are. */
const FITS: Record<string, { article: string; words: string; fits: (value: JsonValue) => boolean }> = {
  string: { article: 'a', words: 'text', fits: (value) => typeof value === 'string' },
  number: { article: 'a', words: 'numbers', fits: (value) => typeof value === 'number' && Number.isFinite(value) },
  integer: { article: 'an', words: 'whole numbers', fits: (value) => Number.isInteger(value) },
  boolean: { article: 'a', words: 'true or false', fits: (value) => typeof value === 'boolean' },
};

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredIssues(required: JsonValue | undefined, properties: JsonObject): FieldIssue[] {
  if (!Array.isArray(required)) return [];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const name of required) {
    if (typeof name !== 'string') continue;
    if (seen.has(name))
      issues.push({ field: `${FIELD}.required`, message: `"${name}" is listed as required more than once` });
    else if (!Object.hasOwn(properties, name))
      issues.push({ field: `${FIELD}.required`, message: `"${name}" is required but is not a parameter` });
    seen.add(name);
  }
  return issues;
}

function enumIssue(type: JsonValue | undefined, values: JsonValue[]): string | null {
  if (values.length === 0) return 'List at least one allowed value';
  const rule = typeof type === 'string' ? FITS[type] : undefined;
  const misfit = rule ? values.find((value) => !rule.fits(value)) : undefined;
  if (rule && misfit !== undefined) {
    return `The allowed values of ${rule.article} ${String(type)} parameter must be ${rule.words}; ${JSON.stringify(misfit)} is not`;
  }
  const seen = new Set<string>();
  for (const value of values) {
    const key = JSON.stringify(value);
    if (seen.has(key)) return `The allowed value ${key} is listed more than once`;
    seen.add(key);
  }
  return null;
}

/** Issues with the top-level parameters of an object schema (fields under `functionDefinition.parameters`). */
export function parameterListIssues(parameters: JsonObject): FieldIssue[] {
  const properties = isObject(parameters.properties) ? parameters.properties : {};
  const issues = requiredIssues(parameters.required, properties);
  for (const [name, property] of Object.entries(properties)) {
    if (!isObject(property) || !Array.isArray(property.enum)) continue;
    const message = enumIssue(property.type, property.enum);
    if (message) issues.push({ field: `${FIELD}.properties.${name}.enum`, message });
  }
  return issues;
}

/**
 * Reorders `parameters.properties` as `order` lists them. Clients whose JSON
 * encoding sorts object keys (urql's does) send the order this way; it must
 * name each parameter exactly once.
 */
export function orderParameters(
  definition: JsonObject,
  order: readonly string[],
): { definition: JsonObject; issues: FieldIssue[] } {
  const parameters = isObject(definition.parameters) ? definition.parameters : {};
  const properties = isObject(parameters.properties) ? parameters.properties : {};
  const names = Object.keys(properties);
  const listed = new Set(order);
  const missing = names.filter((name) => !listed.has(name));
  const unknown = [...listed].filter((name) => !Object.hasOwn(properties, name));
  if (listed.size !== order.length || missing.length > 0 || unknown.length > 0) {
    const details = [
      ...(listed.size !== order.length ? ['a name is listed twice'] : []),
      ...(missing.length ? [`missing ${missing.map((name) => `"${name}"`).join(', ')}`] : []),
      ...(unknown.length ? [`${unknown.map((name) => `"${name}"`).join(', ')} is not a parameter`] : []),
    ];
    return {
      definition,
      issues: [{ field: 'parameterOrder', message: `must list each parameter once (${details.join('; ')})` }],
    };
  }
  const ordered: JsonObject = {};
  for (const name of order) ordered[name] = properties[name]!;
  return { definition: { ...definition, parameters: { ...parameters, properties: ordered } }, issues: [] };
}
