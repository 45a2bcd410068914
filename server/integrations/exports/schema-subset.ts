/**
 * A tool's JSON Schema narrowed to what Vapi's and ElevenLabs' tool APIs accept:
 * every property typed (string, number, integer, boolean, array, object), enums
 * only of strings, no unions or constraints. The engine still validates calls
 * against the tool's full schema, so what is dropped here is reported in the
 * export's notes and enforced by Switchboard, never silently trusted.
 */
import type { JsonObject, JsonValue } from '../../executors/types.ts';

export interface LiteralSchema {
  type: 'string' | 'number' | 'integer' | 'boolean';
  description?: string;
  enum?: string[];
}
export interface ArraySchema {
  type: 'array';
  description?: string;
  items: SubsetSchema;
}
export interface ObjectSchema {
  type: 'object';
  description?: string;
  properties: Record<string, SubsetSchema>;
  required?: string[];
  /** Kept only with `keepClosedObjects`: OpenAI strict mode needs it on every object. */
  additionalProperties?: false;
}
export type SubsetSchema = LiteralSchema | ArraySchema | ObjectSchema;

export interface SubsetOptions {
  /** ElevenLabs: a value without a description is not one the LLM supplies, so each gets one (its name at least). */
  describeEverything: boolean;
  /** Vapi: keep `additionalProperties: false` where the tool has it, so `strict: true` still holds downstream. */
  keepClosedObjects?: boolean;
}

const LITERAL_TYPES = new Set(['string', 'number', 'integer', 'boolean']);

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first non-null JSON Schema type (`["string", "null"]` → string); untyped means object, array or string by shape. */
function schemaType(schema: JsonObject): string {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const found = types.find((type) => typeof type === 'string' && type !== 'null');
  if (typeof found === 'string') return found;
  return isObject(schema.properties) ? 'object' : schema.items !== undefined ? 'array' : 'string';
}

function subsetSchema(
  path: string,
  value: JsonValue | undefined,
  notes: string[],
  options: SubsetOptions,
): SubsetSchema {
  let schema = isObject(value) ? value : {};
  const union = [schema.anyOf, schema.oneOf].find(Array.isArray);
  if (union) {
    const branch = union.find((entry) => isObject(entry) && entry.type !== 'null');
    schema = { ...schema, ...(isObject(branch) ? branch : {}) };
    notes.push(`${path}: no anyOf/oneOf on this platform; exported as its first alternative.`);
  }
  const given = typeof schema.description === 'string' && schema.description.trim() ? schema.description : null;
  const fallback = options.describeEverything ? (path.split('.').pop() ?? path).replace(/\[\]$/, '') : null;
  const description = given ?? fallback;
  const described = description ? { description } : {};
  const type = schemaType(schema);
  if (type === 'object') return { ...objectSchema(schema, notes, options, path), ...described };
  if (type === 'array')
    return { type: 'array', ...described, items: subsetSchema(`${path}[]`, schema.items, notes, options) };
  if (!LITERAL_TYPES.has(type)) {
    notes.push(`${path}: type ${type} exported as string.`);
    return { type: 'string', ...described };
  }
  const literal: LiteralSchema = { type: type as LiteralSchema['type'], ...described };
  if (Array.isArray(schema.enum)) {
    if (type === 'string' && schema.enum.every((entry) => typeof entry === 'string')) literal.enum = schema.enum;
    else notes.push(`${path}: enums are allowed only on strings here; Switchboard checks the allowed values.`);
  }
  return literal;
}

/** An object schema (the tool's `parameters`, or a nested object) in the subset; `path` names nested properties in notes. */
export function objectSchema(schema: JsonObject, notes: string[], options: SubsetOptions, path = ''): ObjectSchema {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const names = Object.keys(properties);
  const required = Array.isArray(schema.required)
    ? schema.required.filter((name): name is string => typeof name === 'string' && names.includes(name))
    : [];
  return {
    type: 'object',
    properties: Object.fromEntries(
      names.map((key) => [key, subsetSchema(path ? `${path}.${key}` : key, properties[key], notes, options)]),
    ),
    ...(required.length ? { required } : {}),
    ...(options.keepClosedObjects && schema.additionalProperties === false
      ? { additionalProperties: false as const }
      : {}),
  };
}
