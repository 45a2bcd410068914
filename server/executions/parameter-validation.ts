/**
 * Tool arguments checked against the function definition's JSON Schema. Each
 * (tool, version) schema is compiled once; versions are immutable, so the
 * cache never needs invalidating, only bounding.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import type { JsonObject, JsonValue } from '../executors/types.ts';
import { createSchemaCompiler } from '../security/schema-compiler.ts';

export const DEFAULT_VALIDATOR_CACHE_SIZE = 2_000;
/** Memory the compiled validators may take: a schema (≤ 64 KB) compiles to a few times its size in code and closures. */
export const VALIDATOR_CACHE_BYTES = 32 * 1024 * 1024;
const COMPILED_SIZE_FACTOR = 4;
/** An LLM fixes its call better from a few precise issues than from a wall of them. */
const MAX_REPORTED_ISSUES = 10;

export type ParameterCheck =
  | { ok: true }
  /** `unusableSchema`: the tool's own schema does not compile (saved before patterns ran on RE2). */
  | { ok: false; message: string; issues: string[]; unusableSchema?: true };

export interface ParameterValidator {
  check(key: string, schema: JsonValue | undefined, parameters: JsonObject): ParameterCheck;
  readonly size: number;
}

function describeIssue(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const where = path === '' ? 'arguments' : `"${path}"`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `missing required parameter "${path === '' ? '' : `${path}.`}${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `unknown parameter "${path === '' ? '' : `${path}.`}${String(params.additionalProperty)}"`;
    case 'type':
      return `${where} must be of type ${String(params.type)}`;
    case 'enum':
      return `${where} must be one of ${JSON.stringify(params.allowedValues)}`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}

export function createParameterValidator(
  maxEntries = DEFAULT_VALIDATOR_CACHE_SIZE,
  maxBytes = VALIDATOR_CACHE_BYTES,
): ParameterValidator {
  const compiler = createSchemaCompiler({ validateSchema: false });
  const cache = new LRUCache<string, ValidateFunction>({ max: maxEntries, maxSize: maxBytes });

  function compiled(key: string, schema: JsonValue | undefined): ValidateFunction {
    const hit = cache.get(key);
    if (hit) return hit;
    const validate = compiler.compile(
      typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? schema : { type: 'object' },
    );
    cache.set(key, validate, { size: COMPILED_SIZE_FACTOR * approximateBytes(schema ?? null, key) });
    return validate;
  }

  return {
    check(key, schema, parameters) {
      let validate: ValidateFunction;
      try {
        validate = compiled(key, schema);
      } catch (error) {
        const issue = `the tool's parameter schema cannot be used: ${(error as Error).message}`;
        return { ok: false, unusableSchema: true, issues: [issue], message: `${issue}. Fix the tool's parameters.` };
      }
      if (validate(parameters)) return { ok: true };
      const issues = [...new Set((validate.errors ?? []).map(describeIssue))];
      const shown = issues.slice(0, MAX_REPORTED_ISSUES);
      const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
      return {
        ok: false,
        issues,
        message: `Invalid parameters: ${shown.join('; ')}${more}. Correct the arguments and call the tool again.`,
      };
    },
    get size() {
      return cache.size;
    },
  };
}
