/**
 * The HTTP front door: request size limits, then the first route whose path
 * prefix matches (GraphQL, health, REST adapters, the dashboard). Else 404.
 * Bodies with a Content-Length above the limit are refused unread; chunked
 * bodies (no Content-Length) are read here, counted while they stream, and
 * handed on as a request with a Content-Length, so every route sees one kind.
 */
import { IncomingMessage, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Route {
  /** `/graphql` matches `/graphql` and `/graphql/...`; `/` matches everything (put it last). */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Answers the front door's own refusals (413) in its error format instead of GraphQL's. */
  tooLarge?(res: ServerResponse, limitBytes: number): void;
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

function tooLarge(res: ServerResponse, limitBytes: number, route: Route | undefined): void {
  if (route?.tooLarge) return route.tooLarge(res, limitBytes);
  sendJson(res, 413, {
    errors: [{ message: `request body exceeds ${limitBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
  });
}

/** Reads a body of unknown length, or answers 413 as soon as it passes the limit (null then, as when the client left). */
function readBounded(
  req: IncomingMessage,
  res: ServerResponse,
  limitBytes: number,
  route: Route | undefined,
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (body: Buffer | null): void => {
      settled = true;
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd);
      // Close after answering: the rest of the body is drained, not kept, until the socket goes.
      res.setHeader('connection', 'close');
      tooLarge(res, limitBytes, route);
      chunks.length = 0;
      settle(null);
    };
    const onEnd = (): void => settle(Buffer.concat(chunks));
    // A client that goes away mid-body is owed nothing. ('close' also follows a complete body.)
    const onGone = (): void => {
      if (settled) return;
      res.destroy();
      settle(null);
    };
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/** The same request with its body already read, as if it had come with a Content-Length. */
function replayed(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  copy.httpVersion = req.httpVersion;
  const headers = { ...req.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  copy.headers = headers;
  copy.rawHeaders = Object.entries(headers).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value ?? '']).flatMap((item) => [name, item]),
  );
  copy.push(body);
  copy.push(null);
  copy.complete = true;
  return copy;
}

export function createNodeHandler(options: HandlerOptions) {
  const routeFor = (path: string): Route | undefined =>
    options.routes.find((candidate) => matches(candidate.prefix, path));

  function dispatch(req: IncomingMessage, res: ServerResponse, route: Route | undefined): void {
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
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const route = routeFor((req.url ?? '/').split('?')[0] ?? '/');
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const length = req.headers['content-length'];
      if (length === undefined) {
        void readBounded(req, res, options.bodyLimitBytes, route).then((body) => {
          if (body) dispatch(replayed(req, body), res, route);
          else req.resume();
        });
        return;
      }
      if (Number(length) > options.bodyLimitBytes) {
        tooLarge(res, options.bodyLimitBytes, route);
        req.resume();
        return;
      }
    }
    dispatch(req, res, route);
  };
}

/**
 * Node answers requests its parser refuses (a Content-Length that is not a number or two that
 * disagree, malformed chunks, oversized headers) with an empty body; this answers with a JSON error.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [
            400,
            'BAD_REQUEST',
            `malformed HTTP request (${error.code ?? 'parse error'}): check Content-Length and Transfer-Encoding`,
          ];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
