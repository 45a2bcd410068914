/**
 * An openapi-fetch middleware that checks every response body against the schema the OpenAPI
 * document gives for its path, method and status: the typed client's promises hold at run time.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Middleware } from 'openapi-fetch';

const DOCUMENT_ID = 'urn:switchboard:openapi';

function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

export function responseChecker(document: unknown): { middleware: Middleware; checked: () => number } {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', true).addFormat('uri-reference', true);
  ajv.addSchema({ ...(document as object), $id: DOCUMENT_ID });
  let count = 0;
  const middleware: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const method = request.method.toLowerCase();
      const status = String(response.status);
      const type = response.status < 400 ? 'application/json' : 'application/problem+json';
      const schema =
        response.status < 400
          ? `${DOCUMENT_ID}#/${pointer('paths', schemaPath, method, 'responses', status, 'content', type, 'schema')}`
          : `${DOCUMENT_ID}#/components/schemas/Problem`;
      const validate = ajv.getSchema(schema);
      if (!validate) throw new Error(`${method.toUpperCase()} ${schemaPath}: no ${status} response in the document`);
      expectContentType(response, type);
      const body: unknown = await response.clone().json();
      if (!validate(body)) {
        throw new Error(
          `${method.toUpperCase()} ${schemaPath} ${status}: the body does not match the document: ` +
            ajv.errorsText(validate.errors),
        );
      }
      count += 1;
      return undefined;
    },
  };
  return { middleware, checked: () => count };
}

function expectContentType(response: Response, type: string): void {
  const given = response.headers.get('content-type') ?? '';
  if (!given.startsWith(type)) throw new Error(`expected ${type}, got ${given}`);
}
