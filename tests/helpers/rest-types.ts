/**
 * TypeScript types for the REST API, generated from its OpenAPI document with openapi-typescript.
 * The file is committed; openapi-document.test.ts fails when it is stale and rewrites it with
 * UPDATE_REST_TYPES=1.
 */
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

export const REST_TYPES_FILE = fileURLToPath(new URL('../generated/rest-api.ts', import.meta.url));

const HEADER =
  '// Generated from /api/openapi.json by openapi-typescript — do not edit.\n' +
  '// Regenerate: UPDATE_REST_TYPES=1 npx vitest run tests/integration/openapi-document.test.ts\n\n';

export async function generateRestTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as OpenAPI3);
  return HEADER + astToString(ast);
}
