/** The parameters editor's rows ⇄ the JSON Schema in a function definition. */
import { isObject, type JsonObject, type JsonValue } from './tools.ts';

export const PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export interface ParameterRow {
  key: number;
  name: string;
  type: ParameterType;
  description: string;
  /** Comma-separated allowed values (strings and numbers only). */
  enumText: string;
  required: boolean;
  /** Keywords the editor does not show (minLength, items...), kept as they were. */
  extra: JsonObject;
}

let nextKey = 1;

export function newRow(partial: Partial<ParameterRow> = {}): ParameterRow {
  return {
    key: nextKey++,
    name: '',
    type: 'string',
    description: '',
    enumText: '',
    required: false,
    extra: {},
    ...partial,
  };
}

export function toSchema(rows: ParameterRow[]): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) continue;
    const property: JsonObject = { ...row.extra, type: row.type };
    if (row.description.trim()) property.description = row.description.trim();
    const values = row.enumText
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    if (values.length > 0 && (row.type === 'string' || row.type === 'number' || row.type === 'integer')) {
      property.enum = row.type === 'string' ? values : values.map(Number);
    }
    properties[name] = property;
    if (row.required) required.push(name);
  }
  const schema: JsonObject = { type: 'object', properties };
  if (required.length > 0) schema.required = required;
  return schema;
}

export function fromSchema(schema: JsonValue | undefined): ParameterRow[] {
  if (!isObject(schema) || !isObject(schema.properties)) return [];
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(schema.properties).map(([name, raw]) => {
    const property = isObject(raw) ? raw : {};
    const { type, description, enum: values, ...extra } = property;
    return newRow({
      name,
      type: (PARAMETER_TYPES as readonly string[]).includes(String(type)) ? (type as ParameterType) : 'string',
      description: typeof description === 'string' ? description : '',
      enumText: Array.isArray(values) ? values.join(', ') : '',
      required: required.includes(name),
      extra,
    });
  });
}
