/**
 * The one urql client: same-origin /graphql over HTTP with the session cookie
 * (mutations echo the CSRF token) and graphql-ws for subscriptions.
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange, type AnyVariables } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { liveConnection } from './connection.svelte.ts';

let csrfToken: string | null = null;
let wsClient: WsClient | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
  // A new session (or none) must not keep a socket authenticated as the old one.
  wsClient?.dispose();
  wsClient = null;
}

/** Backoff between reconnects: 1 s doubling to 15 s, with jitter so a restarted server is not stampeded. */
function retryWait(retries: number): Promise<void> {
  const delay = Math.min(15_000, 1000 * 2 ** retries) + Math.random() * 500;
  return new Promise((resolve) => setTimeout(resolve, delay));
}

function websocket(): WsClient {
  wsClient ??= createWsClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    lazy: true,
    // A dropped or blocked socket is retried for as long as a page wants live events; the indicator says so.
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait,
    on: {
      connecting: () => liveConnection.connecting(),
      connected: () => liveConnection.connected(),
      closed: () => liveConnection.closed(),
    },
  });
  return wsClient;
}

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  requestPolicy: 'network-only',
  fetchOptions: (): RequestInit => {
    const headers: Record<string, string> = csrfToken ? { 'x-csrf-token': csrfToken } : {};
    return { credentials: 'same-origin', headers };
  },
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? '' };
        return {
          subscribe(sink) {
            liveConnection.active += 1;
            let done = false;
            const release = (): void => {
              if (done) return;
              done = true;
              liveConnection.active -= 1;
            };
            // Same observer type as urql's sink, so graphql-ws accepts it as it accepted the sink itself.
            const observer: typeof sink = {
              next(value) {
                sink.next(value);
              },
              error(error) {
                release();
                sink.error(error);
              },
              complete() {
                release();
                sink.complete();
              },
            };
            const unsubscribe = websocket().subscribe(input, observer);
            return {
              unsubscribe: () => {
                release();
                unsubscribe();
              },
            };
          },
        };
      },
    }),
  ],
});

export interface FieldIssue {
  field: string | null;
  message: string | null;
  line: number | null;
  column: number | null;
}

/** A failed request or an expected failure (NotFound, Conflict, Validation) from a result union. */
export class ApiError extends Error {
  readonly code: string | null;
  readonly issues: FieldIssue[];

  constructor(message: string, code: string | null = null, issues: FieldIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }

  /** The first message for a field (or any field under it). */
  issueFor(field: string): string | null {
    const issue = this.issues.find((item) => item.field === field || item.field?.startsWith(`${field}.`));
    return issue?.message ?? null;
  }
}

/** The code of an ApiError for a request that never got a GraphQL answer (server down, proxy error, offline). */
export const NETWORK_ERROR = 'NETWORK';

function toApiError(error: {
  message: string;
  graphQLErrors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}): ApiError {
  const first = error.graphQLErrors[0];
  if (!first) return new ApiError(error.message.replace(/^\[Network\] /, 'Network error: '), NETWORK_ERROR);
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : null;
  const issues = Array.isArray(first.extensions?.issues) ? (first.extensions.issues as FieldIssue[]) : [];
  return new ApiError(first.message, code, issues);
}

export async function query<T>(document: string, variables: AnyVariables = {}): Promise<T> {
  const result = await client.query<T>(document, variables).toPromise();
  if (result.error) throw toApiError(result.error);
  if (!result.data) throw new ApiError('No data returned');
  return result.data;
}

export async function mutate<T>(document: string, variables: AnyVariables = {}): Promise<T> {
  const result = await client.mutation<T>(document, variables).toPromise();
  if (result.error) throw toApiError(result.error);
  if (!result.data) throw new ApiError('No data returned');
  return result.data;
}

interface UnionResult {
  __typename: string;
  message?: string | null;
  issues?: FieldIssue[] | null;
  /** ConflictError: the input field the conflict is about (e.g. `name`). */
  field?: string | null;
}

/** Unwraps a mutation's result union: the success type, or an ApiError carrying the field issues. */
export function unwrap<T extends UnionResult>(result: T | null | undefined, success: string): T {
  if (!result) throw new ApiError('No result returned');
  if (result.__typename === success) return result;
  const message = result.message ?? 'The request failed';
  const issues = result.issues ?? (result.field ? [{ field: result.field, message, line: null, column: null }] : []);
  throw new ApiError(message, result.__typename, issues);
}

/** The part of every result union that describes a failure. */
export const ERROR_FIELDS = `
  ... on Error { message }
  ... on ValidationError { issues { field message line column } }
  ... on ConflictError { field }
`;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
