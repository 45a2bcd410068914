import { readFile, writeFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { format, resolveConfig } from 'prettier';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REST_OPERATIONS } from '../../server/http/rest/rest-operations.ts';
import { schema } from '../../server/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { generateRestTypes, REST_TYPES_FILE } from '../helpers/rest-types.ts';

const PLAN_PATHS = [
  'GET /api/organization/tools',
  'POST /api/organization/tools',
  'GET /api/organization/tools/{tool_id}',
  'PUT /api/organization/tools/{tool_id}',
  'DELETE /api/organization/tools/{tool_id}',
  'POST /api/organization/tools/{tool_id}/test',
  'POST /api/organization/tools/{tool_id}/archive',
  'POST /api/organization/tools/{tool_id}/unarchive',
  'POST /api/organization/tools/{tool_id}/duplicate',
  'GET /api/assistants/{assistant_id}/tools',
  'POST /api/assistants/{assistant_id}/tools/{tool_id}/assign',
  'PUT /api/assistants/{assistant_id}/tools/{tool_id}/configure',
  'DELETE /api/assistants/{assistant_id}/tools/{tool_id}/unassign',
  'GET /api/tools/public',
  'GET /api/tools/templates',
  'POST /api/organization/tools/from-template/{template_id}',
  'GET /api/tool-templates',
  'GET /api/tool-templates/{template_id}',
  'POST /api/assistants/{assistant_id}/tools/from-template/{template_id}',
  'GET /api/organization/tools/{tool_id}/logs',
  'GET /api/assistants/{assistant_id}/tool-executions',
  'GET /api/calls/{call_id}/tool-executions',
];

type Document = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: unknown[];
};

let t: TestApp;
let document: Document;

beforeAll(async () => {
  t = await startTestApp();
  const response = await fetch(`${t.url}/api/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
});
afterAll(() => t?.close());

describe('the OpenAPI document at /api/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('has every path of the plan, and nothing else', () => {
    const served = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(served.sort()).toEqual([...PLAN_PATHS].sort());
  });

  test('requires a bearer key and documents problem-details errors on every operation', () => {
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security).toEqual([{ apiKey: [] }]);
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        for (const status of ['400', '401', '403', '404']) {
          expect(operation.responses[status]).toEqual({ $ref: `#/components/responses/Problem${status}` });
        }
      }
    }
  });

  test('the committed generated client types are up to date', async () => {
    const generated = await format(await generateRestTypes(document), {
      ...(await resolveConfig(REST_TYPES_FILE)),
      filepath: REST_TYPES_FILE,
    });
    if (process.env.UPDATE_REST_TYPES === '1') await writeFile(REST_TYPES_FILE, generated);
    const committed = await readFile(REST_TYPES_FILE, 'utf8').catch(() => '');
    expect(committed, 'tests/generated/rest-api.ts is not up to date (UPDATE_REST_TYPES=1)').toBe(generated);
  });
});

test('every operation the REST routes run is valid against the GraphQL schema', () => {
  const documents = REST_OPERATIONS.flatMap((operation) => [
    operation.document,
    ...(operation.lookup ? [operation.lookup.document] : []),
    ...(operation.followUp ? [operation.followUp.document, operation.followUp.undo.document] : []),
  ]);
  for (const source of documents) expect(validate(schema, parse(source)).map((error) => error.message)).toEqual([]);
});

describe('the reference page at /api/docs', () => {
  test('is a self-contained page that loads the document from this server', async () => {
    const response = await fetch(`${t.url}/api/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain("fetch('/api/openapi.json')");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="https?:/);
  });
});
