/**
 * Whether a function's parameters qualify for OpenAI strict mode (Structured
 * Outputs) as they are: every object closes its properties
 * (`additionalProperties: false`) and requires all of them, and only keywords
 * strict mode supports appear, within its size limits. A schema that does not
 * qualify is offered without `strict`; rewriting it (optional → nullable) would
 * let the model send nulls the tool's own validation refuses.
 */
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';

/** The subset OpenAI documents for strict mode ("Supported schemas"). */
const SUPPORTED_KEYWORDS = new Set([
  'type',
  'description',
  'title',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const MAX_NESTING = 10;
const MAX_PROPERTIES = 5_000;
const MAX_ENUM_VALUES = 1_000;

interface Budget {
  properties: number;
  enumValues: number;
}

function typesOf(node: JsonObject): string[] | null {
  const { type } = node;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type) && type.every((entry) => typeof entry === 'string')) return type as string[];
  return null;
}

function qualifies(node: JsonValue, depth: number, budget: Budget): boolean {
  if (!isJsonObject(node) || depth > MAX_NESTING) return false;
  if (Object.keys(node).some((key) => !SUPPORTED_KEYWORDS.has(key))) return false;
  if (Array.isArray(node.enum)) {
    budget.enumValues += node.enum.length;
    if (budget.enumValues > MAX_ENUM_VALUES) return false;
  }
  for (const defsKey of ['$defs', 'definitions'] as const) {
    const defs = node[defsKey];
    if (defs === undefined) continue;
    if (!isJsonObject(defs) || !Object.values(defs).every((def) => qualifies(def, depth + 1, budget))) return false;
  }
  if (Array.isArray(node.anyOf)) return node.anyOf.every((branch) => qualifies(branch, depth + 1, budget));
  if (node.anyOf !== undefined) return false;
  if (typeof node.$ref === 'string') return true;
  const types = typesOf(node);
  if (!types || !types.every((type) => TYPES.has(type))) return false;
  if (types.includes('object')) {
    const properties = isJsonObject(node.properties) ? node.properties : null;
    const required = Array.isArray(node.required) ? node.required : [];
    if (!properties || node.additionalProperties !== false) return false;
    const keys = Object.keys(properties);
    budget.properties += keys.length;
    if (budget.properties > MAX_PROPERTIES) return false;
    if (!keys.every((key) => required.includes(key)) || required.length !== keys.length) return false;
    if (!keys.every((key) => qualifies(properties[key] ?? null, depth + 1, budget))) return false;
  }
  if (types.includes('array') && node.items !== undefined && !qualifies(node.items, depth + 1, budget)) return false;
  return true;
}

export function qualifiesForStrict(parameters: JsonObject): boolean {
  // The root must be an object, not a union.
  if (parameters.type !== 'object' || parameters.anyOf !== undefined) return false;
  return qualifies(parameters, 0, { properties: 0, enumValues: 0 });
}
