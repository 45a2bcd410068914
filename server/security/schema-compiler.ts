/**
 * Compiles JSON Schemas that tenants wrote (tool parameters). Patterns run on
 * RE2 (safe-regex.ts). Ajv keeps a registry of schemas by `$id`; each compile
 * leaves it empty again, so one organization's `$id` never collides with, or
 * resolves to, another's schema.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { JsonObject } from '../executors/types.ts';
import { linearRegExpEngine } from './safe-regex.ts';

export interface SchemaCompiler {
  /** Throws with Ajv's (or RE2's) reason when the schema cannot be compiled. */
  compile(schema: JsonObject): ValidateFunction;
}

export function createSchemaCompiler(options: { validateSchema: boolean }): SchemaCompiler {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: options.validateSchema,
    code: { regExp: linearRegExpEngine },
  });
  return {
    compile(schema) {
      try {
        return ajv.compile(schema);
      } finally {
        // Compiling is synchronous: nothing else can register or resolve a schema in between.
        ajv.removeSchema();
      }
    },
  };
}
