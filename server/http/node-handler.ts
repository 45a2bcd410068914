/**
 * The HTTP front door: request size limits, health, the placeholder page and
 * GraphQL. Everything else is 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { placeholderPage } from './placeholder-page.ts';
import type { ServerContext } from './yoga.ts';

export interface HandlerOptions {
  yoga: YogaServerInstance<ServerContext, Context>;
  bodyLimitBytes: number;
  graphiql: boolean;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

export function createNodeHandler(options: HandlerOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const length = req.headers['content-length'];
      // Streaming bodies of unknown size would let one request hold unbounded memory.
      if (length === undefined) {
        sendJson(res, 411, { errors: [{ message: 'Content-Length required', extensions: { code: 'LENGTH_REQUIRED' } }] });
        return;
      }
      if (Number(length) > options.bodyLimitBytes) {
        sendJson(res, 413, {
          errors: [{ message: `request body exceeds ${options.bodyLimitBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
        });
        req.resume();
        return;
      }
    }
    if (path === '/graphql') {
      void options.yoga.handle(req, res);
      return;
    }
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(placeholderPage(options.graphiql));
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  };
}
