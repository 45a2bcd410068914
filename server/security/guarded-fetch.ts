/**
 * The one HTTP client for tool traffic (endpoint tools and the code sandbox's
 * fetch bridge). Every hop of a request, redirects included, goes through
 * `vetDestination` and a fresh socket to the vetted address: no connection
 * pool, so a kept-alive socket can never carry a request past the check.
 */
import { request as httpRequest, validateHeaderName, validateHeaderValue, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { SsrfPolicy } from './ssrf.ts';
import {
  abortError,
  GuardedFetchError,
  openGuardedSocket,
  systemResolver,
  vetDestination,
  type Destination,
  type Resolver,
} from './guarded-connection.ts';

export { GuardedFetchError, type Resolver } from './guarded-connection.ts';

export interface GuardedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface GuardedFetchOptions {
  policy: SsrfPolicy;
  /** Reaches the DNS wait, the socket and the body stream. */
  signal: AbortSignal;
  maxResponseBytes: number;
  maxRedirects: number;
  /** Extra headers (e.g. an API-key header) dropped, like Authorization, on cross-origin redirects. */
  sensitiveHeaders?: string[];
  /** Replaces DNS resolution (tests). */
  resolve?: Resolver;
  /** Extra trusted CA certificates, replacing the default roots (tests, internal PKI). */
  ca?: string | Buffer;
}

export interface GuardedResponse {
  status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The URL of the final hop. */
  url: string;
  remoteAddress: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ALWAYS_SENSITIVE = ['authorization', 'proxy-authorization', 'cookie'];
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the client, never by callers. */
const CLIENT_OWNED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'accept-encoding']);

interface Hop {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  remoteAddress: string;
}

function flattenHeaders(message: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function prepareHeaders(headers: Record<string, string>): Record<string, string> {
  const prepared: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (error) {
      throw new GuardedFetchError('INVALID_CONFIGURATION', `Invalid header "${name}"`, { cause: error });
    }
    if (!CLIENT_OWNED_HEADERS.has(name.toLowerCase())) prepared[name] = value;
  }
  return prepared;
}

function send(
  socket: Socket,
  destination: Destination,
  request: { method: string; headers: Record<string, string>; body?: Uint8Array },
  options: { signal: AbortSignal; maxResponseBytes: number },
): Promise<Hop> {
  const { signal } = options;
  const remoteAddress = socket.remoteAddress ?? '';
  return new Promise<Hop>((resolve, reject) => {
    let settled = false;
    const finish = (error: GuardedFetchError | null, hop?: Hop): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else if (hop) resolve(hop);
    };
    const onAbort = (): void => finish(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {
      ...request.headers,
      Host: destination.url.host,
      Connection: 'close',
      'Accept-Encoding': 'identity',
    };
    if (request.body !== undefined) headers['Content-Length'] = String(request.body.byteLength);

    const req = httpRequest({
      method: request.method,
      path: `${destination.url.pathname}${destination.url.search}`,
      headers,
      setHost: false,
      createConnection: () => socket,
    });
    req.on('error', (error) =>
      finish(
        new GuardedFetchError('CONNECT_ERROR', `Request to ${destination.hostname} failed: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const responseHeaders = flattenHeaders(res);
      if (REDIRECT_STATUSES.has(status) && responseHeaders.location !== undefined) {
        finish(null, { status, headers: responseHeaders, body: new Uint8Array(), remoteAddress });
        return;
      }
      const tooLarge = (): GuardedFetchError =>
        new GuardedFetchError('RESPONSE_TOO_LARGE', `Response exceeds ${options.maxResponseBytes} bytes`);
      const declared = Number(responseHeaders['content-length']);
      if (Number.isFinite(declared) && declared > options.maxResponseBytes) return finish(tooLarge());
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.byteLength;
        if (received > options.maxResponseBytes) return finish(tooLarge());
        chunks.push(chunk);
      });
      res.on('end', () =>
        finish(null, { status, headers: responseHeaders, body: new Uint8Array(Buffer.concat(chunks)), remoteAddress }),
      );
      res.on('error', (error) =>
        finish(
          new GuardedFetchError('CONNECT_ERROR', `Response from ${destination.hostname} was cut off`, { cause: error }),
        ),
      );
    });
    req.end(request.body === undefined ? undefined : Buffer.from(request.body));
  });
}

function nextRequest(
  status: number,
  request: { method: string; headers: Record<string, string>; body?: Uint8Array },
  crossOrigin: boolean,
  sensitive: Set<string>,
): { method: string; headers: Record<string, string>; body?: Uint8Array } {
  const becomesGet =
    (status === 303 && request.method !== 'HEAD') || ((status === 301 || status === 302) && request.method === 'POST');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (crossOrigin && sensitive.has(lower)) continue;
    if (becomesGet && lower === 'content-type') continue;
    headers[name] = value;
  }
  return becomesGet ? { method: 'GET', headers } : { ...request, headers };
}

function parseUrl(text: string, base?: URL): URL | null {
  try {
    return new URL(text, base);
  } catch {
    return null;
  }
}

/**
 * Sends `request` to an address the policy allows, following redirects
 * manually (each hop re-vetted; credentials dropped across origins; 303, and
 * 301/302 after POST, become GET) and reading at most `maxResponseBytes`.
 * Throws `GuardedFetchError` with an execution error code.
 */
export async function guardedFetch(request: GuardedRequest, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const { policy, signal } = options;
  const resolve = options.resolve ?? systemResolver;
  const sensitive = new Set([
    ...ALWAYS_SENSITIVE,
    ...(options.sensitiveHeaders ?? []).map((name) => name.toLowerCase()),
  ]);
  let url = parseUrl(request.url);
  if (url === null) throw new GuardedFetchError('INVALID_CONFIGURATION', 'The URL is not valid');
  if (!METHOD_TOKEN.test(request.method)) throw new GuardedFetchError('INVALID_CONFIGURATION', 'Invalid HTTP method');

  let current: { method: string; headers: Record<string, string>; body?: Uint8Array } = {
    method: request.method.toUpperCase(),
    headers: prepareHeaders(request.headers),
    ...(request.body === undefined
      ? {}
      : { body: typeof request.body === 'string' ? new TextEncoder().encode(request.body) : request.body }),
  };

  for (let redirects = 0; ; redirects += 1) {
    const destination = await vetDestination(url, { policy, signal, resolve, redirect: redirects > 0 });
    const socket = await openGuardedSocket(destination, {
      policy,
      signal,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const hop = await send(socket, destination, current, {
      signal,
      maxResponseBytes: options.maxResponseBytes,
    });
    const location = hop.headers.location;
    if (!REDIRECT_STATUSES.has(hop.status) || location === undefined) {
      return { ...hop, url: url.href };
    }
    if (redirects >= options.maxRedirects) {
      throw new GuardedFetchError('INVALID_RESPONSE', `Too many redirects (more than ${options.maxRedirects})`);
    }
    const next = parseUrl(location, url);
    if (next === null) throw new GuardedFetchError('INVALID_RESPONSE', 'Redirect to an invalid URL');
    current = nextRequest(hop.status, current, next.origin !== url.origin, sensitive);
    url = next;
    if (signal.aborted) throw abortError(signal);
  }
}
