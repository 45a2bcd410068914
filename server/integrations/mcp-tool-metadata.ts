/**
 * What MCP clients are told about a tool beyond its name and parameters:
 * `title` (its display name), `annotations` (hints derived from what the tool
 * is — an HTTP GET reads, a DELETE destroys, an endpoint or Lambda reaches the
 * outside world — with the tool's `annotations` setting winning), and a typed
 * `outputSchema` when the tool declares the shape of its data
 * (`output_schema`), against which its results are held.
 */
import { LRUCache } from 'lru-cache';
import type { ValidateFunction } from 'ajv';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { ANNOTATION_HINTS } from '../executions/tool-settings.ts';
import { createSchemaCompiler } from '../security/schema-compiler.ts';
import { isJsonObject } from '../tools/function-definition.ts';
import type { ToolDefinition } from './tool-definitions.ts';

export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** Every tool result has this shape; `data` is typed when the tool declares it. */
const RESULT_PROPERTIES = { success: { type: 'boolean' }, message: { type: 'string' } };
const compiler = createSchemaCompiler({ validateSchema: false });
/** Compiled output schemas by their text: definitions are rebuilt per request, the schemas rarely change. */
const validators = new LRUCache<string, ValidateFunction>({ max: 500 });

function derivedHints(definition: ToolDefinition): McpToolAnnotations {
  if (definition.toolType === 'BUILTIN') return { readOnlyHint: false, destructiveHint: false, openWorldHint: false };
  if (definition.toolType === 'ENDPOINT') {
    const method =
      typeof definition.configuration.method === 'string' ? definition.configuration.method.toUpperCase() : 'GET';
    if (method === 'GET' || method === 'HEAD')
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
    if (method === 'DELETE')
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
    if (method === 'PUT') return { readOnlyHint: false, idempotentHint: true, openWorldHint: true };
    return { readOnlyHint: false, openWorldHint: true };
  }
  if (definition.toolType === 'LAMBDA') return { openWorldHint: true };
  return {};
}

export function mcpAnnotations(definition: ToolDefinition): McpToolAnnotations {
  const own: McpToolAnnotations = {};
  const setting = definition.configuration.annotations;
  if (isJsonObject(setting)) {
    for (const hint of ANNOTATION_HINTS) if (typeof setting[hint] === 'boolean') own[hint] = setting[hint];
  }
  return { ...(definition.title ? { title: definition.title } : {}), ...derivedHints(definition), ...own };
}

function declaredDataSchema(definition: ToolDefinition): JsonObject | null {
  const schema = definition.configuration.output_schema;
  return isJsonObject(schema) ? schema : null;
}

export function mcpOutputSchema(definition: ToolDefinition): JsonObject & { type: 'object' } {
  const data = declaredDataSchema(definition);
  return { type: 'object', properties: { ...RESULT_PROPERTIES, data: data ?? {} }, required: ['success'] };
}

/** Null when `data` fits the tool's declared output_schema (or it declares none); else why not, in one line. */
export function outputMismatch(definition: ToolDefinition | undefined, data: JsonValue | undefined): string | null {
  const schema = definition && declaredDataSchema(definition);
  if (!schema) return null;
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = compiler.compile(schema);
    } catch (error) {
      return `its output_schema cannot be compiled (${(error as Error).message})`;
    }
    validators.set(key, validate);
  }
  if (validate(data ?? null)) return null;
  const first = validate.errors?.[0];
  return first ? `${first.instancePath || 'data'} ${first.message ?? 'is invalid'}` : 'data is invalid';
}
