/**
 * The one HTTP client for tool traffic (endpoint tools and the code sandbox's
 * fetch bridge). Every hop of a request, redirects included, goes through
 * `vetDestination` first, then over a kept-alive connection to exactly the
 * vetted address (guarded-pool.ts: sockets are opened and peer-checked by
 * `openGuardedSocket`, pooled per address, port, servername and policy).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Dispatcher } from 'undici';
import {
  abortError,
  GuardedFetchError,
  systemResolver,
  vetDestination,
  type Destination,
  type Resolver,
} from './guarded-connection.ts';
import { guardedPool } from './guarded-pool.ts';
import type { SsrfPolicy } from './ssrf.ts';

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

/** Lowercase names; repeated headers joined with ", ". */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Drops a response body without reading it: its socket is closed rather than reused. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function requestFailure(error: unknown, destination: Destination, signal: AbortSignal): GuardedFetchError {
  if (error instanceof GuardedFetchError) return error;
  if (signal.aborted) return abortError(signal);
  const message = error instanceof Error ? error.message : String(error);
  return new GuardedFetchError('CONNECT_ERROR', `Request to ${destination.hostname} failed: ${message}`, {
    cause: error,
  });
}

/** One hop over a kept-alive connection to `address`; an unread or oversized body closes its socket. */
async function send(
  destination: Destination,
  address: string,
  request: { method: string; headers: Record<string, string>; body?: Uint8Array },
  options: { policy: SsrfPolicy; signal: AbortSignal; maxResponseBytes: number; ca?: string | Buffer },
): Promise<Hop> {
  const { signal } = options;
  if (signal.aborted) throw abortError(signal);
  const connection = guardedPool(destination, address, options);
  let response: Dispatcher.ResponseData;
  try {
    response = await connection.pool.request({
      method: request.method as Dispatcher.HttpMethod,
      path: `${destination.url.pathname}${destination.url.search}`,
      headers: { ...request.headers, host: destination.url.host, 'accept-encoding': 'identity' },
      ...(request.body === undefined ? {} : { body: Buffer.from(request.body) }),
      signal,
    });
  } catch (error) {
    throw requestFailure(error, destination, signal);
  }
  const { statusCode: status, body } = response;
  const headers = flattenHeaders(response.headers);
  const remoteAddress = connection.peer();
  if (REDIRECT_STATUSES.has(status) && headers.location !== undefined) {
    discard(body);
    return { status, headers, body: new Uint8Array(), remoteAddress };
  }
  const tooLarge = (): GuardedFetchError =>
    new GuardedFetchError('RESPONSE_TOO_LARGE', `Response exceeds ${options.maxResponseBytes} bytes`);
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
    discard(body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      received += chunk.byteLength;
      if (received > options.maxResponseBytes) {
        discard(body);
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof GuardedFetchError) throw error;
    if (signal.aborted) throw abortError(signal);
    throw new GuardedFetchError('CONNECT_ERROR', `Response from ${destination.hostname} was cut off`, { cause: error });
  }
  return { status, headers, body: new Uint8Array(Buffer.concat(chunks)), remoteAddress };
}

/** The first vetted address that accepts a connection, as `openGuardedSocket` did for a single socket. */
async function sendToAny(
  destination: Destination,
  request: { method: string; headers: Record<string, string>; body?: Uint8Array },
  options: { policy: SsrfPolicy; signal: AbortSignal; maxResponseBytes: number; ca?: string | Buffer },
): Promise<Hop> {
  let lastError: GuardedFetchError | undefined;
  for (const address of destination.addresses) {
    try {
      return await send(destination, address, request, options);
    } catch (error) {
      const failure = requestFailure(error, destination, options.signal);
      if (failure.code !== 'CONNECT_ERROR' || !failure.message.startsWith('Could not connect')) throw failure;
      lastError = failure;
    }
  }
  throw lastError ?? new GuardedFetchError('CONNECT_ERROR', `${destination.hostname} has no addresses`);
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
    const hop = await sendToAny(destination, current, {
      policy,
      signal,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
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
