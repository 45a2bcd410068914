/**
 * OpenAI function definitions: `{ name, description, parameters }` where
 * `parameters` is a JSON Schema for an object. The schema must compile.
 */
import type { FieldIssue } from '../errors.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { createSchemaCompiler } from '../security/schema-compiler.ts';
import { parameterListIssues } from './parameter-checks.ts';

const schemaCompiler = createSchemaCompiler({ validateSchema: true });

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function byteLength(value: JsonValue | undefined): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/** Returns the definition normalised (name filled in) or the issues found. */
export function checkFunctionDefinition(
  definition: unknown,
  toolName: string,
): { definition: JsonObject; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const field = (name: string) => `functionDefinition.${name}`;
  if (!isJsonObject(definition)) {
    return { definition: {}, issues: [{ field: 'functionDefinition', message: 'must be an object' }] };
  }
  const normalised: JsonObject = { ...definition, name: definition.name ?? toolName };
  if (normalised.name !== toolName) {
    issues.push({ field: field('name'), message: `must equal the tool name "${toolName}"` });
  }
  if (normalised.description !== undefined && typeof normalised.description !== 'string') {
    issues.push({ field: field('description'), message: 'must be a string' });
  }
  const parameters = normalised.parameters ?? { type: 'object', properties: {} };
  normalised.parameters = parameters;
  if (!isJsonObject(parameters)) {
    issues.push({ field: field('parameters'), message: 'must be a JSON Schema object' });
  } else if (parameters.type !== 'object') {
    issues.push({ field: field('parameters.type'), message: 'must be "object" (tool arguments are an object)' });
  } else {
    // Checked first: the compiler would refuse a repeated `required` too, in words meant for schema authors.
    const listIssues = parameterListIssues(parameters);
    issues.push(...(listIssues.length > 0 ? listIssues : compileIssues(parameters)));
  }
  return { definition: normalised, issues };
}

function compileIssues(parameters: JsonObject): FieldIssue[] {
  try {
    schemaCompiler.compile(parameters);
    return [];
  } catch (error) {
    return [
      { field: 'functionDefinition.parameters', message: `is not a valid JSON Schema: ${(error as Error).message}` },
    ];
  }
}

export function parameterNames(definition: JsonObject): string[] {
  const parameters = definition.parameters;
  if (!isJsonObject(parameters) || !isJsonObject(parameters.properties)) return [];
  return Object.keys(parameters.properties);
}
