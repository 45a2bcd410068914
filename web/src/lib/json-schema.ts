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

function enumValues(row: ParameterRow): string[] {
  return row.enumText
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
}

/** What is wrong with one row, in words shown under its inputs. */
export interface RowProblems {
  name?: string;
  enum?: string;
}

const NUMERIC: Record<string, { article: string; words: string; fits: (value: number) => boolean }> = {
  number: { article: 'a', words: 'numbers', fits: Number.isFinite },
  integer: { article: 'an', words: 'whole numbers', fits: Number.isInteger },
};

function enumProblem(row: ParameterRow): string | undefined {
  const values = enumValues(row);
  if (values.length > 0 && row.type !== 'string' && row.type !== 'number' && row.type !== 'integer') {
    return `A ${row.type} parameter cannot have allowed values: clear them, or make it text or a number`;
  }
  const numeric = NUMERIC[row.type];
  // Number('') is 0 and Number(' ') too: only text that reads as a number counts.
  const misfit = numeric && values.find((value) => !/^-?\d/.test(value) || !numeric.fits(Number(value)));
  if (numeric && misfit !== undefined) {
    return `Allowed values of ${numeric.article} ${row.type} parameter must be ${numeric.words}: "${misfit}" is not`;
  }
  const seen = new Set<string>();
  for (const value of values) {
    const key = numeric ? String(Number(value)) : value;
    if (seen.has(key)) return `"${value}" is listed twice`;
    seen.add(key);
  }
  return undefined;
}

/**
 * Problems the form catches before saving: two rows with one name would
 * collapse into one property, and numbers that are not numbers would be saved
 * as `null`. Keyed by row key; a duplicate is reported on the later row.
 */
export function rowProblems(rows: ParameterRow[]): Map<number, RowProblems> {
  const problems = new Map<number, RowProblems>();
  const names = new Set<string>();
  for (const row of rows) {
    const found: RowProblems = {};
    const name = row.name.trim();
    if (name && names.has(name)) found.name = `Another parameter is already named "${name}"`;
    names.add(name);
    const enumIssue = enumProblem(row);
    if (enumIssue) found.enum = enumIssue;
    if (found.name || found.enum) problems.set(row.key, found);
  }
  return problems;
}

export function toSchema(rows: ParameterRow[]): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) continue;
    const property: JsonObject = { ...row.extra, type: row.type };
    if (row.description.trim()) property.description = row.description.trim();
    const values = enumValues(row);
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

/**
 * The first key that appears twice in one object of `text` (already valid
 * JSON), with the keys leading to that object; null when there is none.
 * JSON.parse keeps the last of two equal keys, which silently drops a parameter.
 */
export function repeatedKey(text: string): { path: string[]; key: string } | null {
  type Frame = { keys: Set<string>; path: string[]; isObject: boolean };
  const stack: Frame[] = [];
  let lastKey: string | null = null;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      let end = index + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const value = JSON.parse(text.slice(index, end + 1)) as string;
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next += 1;
      const frame = stack.at(-1);
      if (text[next] === ':' && frame?.isObject) {
        if (frame.keys.has(value)) return { path: frame.path, key: value };
        frame.keys.add(value);
        lastKey = value;
      }
      index = end;
    } else if (char === '{' || char === '[') {
      const parent = stack.at(-1);
      const path = parent ? [...parent.path, ...(parent.isObject && lastKey !== null ? [lastKey] : [])] : [];
      stack.push({ keys: new Set(), path, isObject: char === '{' });
      lastKey = null;
    } else if (char === '}' || char === ']') {
      stack.pop();
    }
  }
  return null;
}
