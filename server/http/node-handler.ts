/**
 * The HTTP front door: request size limits, then the first route whose path
 * prefix matches (GraphQL, health, REST adapters, the dashboard). Else 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Route {
  /** `/graphql` matches `/graphql` and `/graphql/...`; `/` matches everything (put it last). */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface HandlerOptions {
  routes: Route[];
  bodyLimitBytes: number;
  onError(error: unknown): void;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function matches(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

export function createNodeHandler(options: HandlerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const length = req.headers['content-length'];
      // Streaming bodies of unknown size would let one request hold unbounded memory.
      if (length === undefined) {
        sendJson(res, 411, {
          errors: [{ message: 'Content-Length required', extensions: { code: 'LENGTH_REQUIRED' } }],
        });
        return;
      }
      if (Number(length) > options.bodyLimitBytes) {
        sendJson(res, 413, {
          errors: [
            {
              message: `request body exceeds ${options.bodyLimitBytes} bytes`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
        req.resume();
        return;
      }
    }
    const route = options.routes.find((candidate) => matches(candidate.prefix, path));
    if (!route) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve()
      .then(() => route.handle(req, res))
      .catch((error: unknown) => {
        options.onError(error);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  };
}
