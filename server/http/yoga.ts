/**
 * The GraphQL server: schema, per-request context, error masking, limits and
 * the session cookie / CSRF handling that keeps transport details out of resolvers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, OperationTypeNode, getOperationAST } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { resolveViewer, stillViewer, type Viewer } from '../auth/viewer.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import type { Context } from '../context.ts';
import { AccessError, NotFoundError, ValidationError } from '../errors.ts';
import { ExecutionNotStoredError } from '../executions/attempt-loop.ts';
import { SlowConsumerError } from '../realtime/bounded-stream.ts';
import { schema } from '../schema/index.ts';
import type { Services } from '../services.ts';
import { clientConnection } from './client-address.ts';
import { requestOrigin } from './request-origin.ts';
import { recordCsrfRefusal } from '../security/csrf-events.ts';
import { corsPolicy } from './cors.ts';
import { freshContextPerEvent } from './fresh-context-per-event.ts';
import { graphqlMetricsPlugin } from './graphql-metrics.ts';
import { noInputEcho } from './input-echo.ts';
import { operationLog } from './operation-log.ts';
import { operationSpans } from './operation-spans.ts';
import { disableIntrospection } from './introspection.ts';
import { queryLimitsPlugin } from './query-limits.ts';
import { storableInputPlugin } from './storable-input.ts';

/** What the transports hand to the context factory. */
export interface ServerContext {
  /** graphql-ws resolves the viewer once, at connection time. */
  connectionViewer?: Viewer | null;
  /** graphql-ws: closes the socket with 4429 when a subscriber falls too far behind. */
  onSlowConsumer?: () => void;
  /** graphql-ws: whether the connection's credentials still give its viewer. */
  reauthorize?: () => Promise<boolean>;
  /** graphql-ws: closes the socket with 4403 once they do not. */
  onRevoked?: () => void;
  /** Set by the Node adapter for HTTP requests (an SSE stream is reset through it). */
  res?: ServerResponse;
  /** Set by the Node adapter for HTTP requests: the client's address and TLS. */
  req?: IncomingMessage;
}

/** A WebSocket carries no per-message headers: its Origin is checked once, at connection. */
export interface YogaContextInput extends ServerContext {
  request?: Request;
}

const pendingCookies = new WeakMap<Request, string[]>();

function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function toGraphQLError(error: unknown, message: string, isDev?: boolean): Error {
  // Read originalError structurally: test runners can load graphql's ESM and CJS builds side by side.
  const original = (error as { originalError?: unknown }).originalError ?? error;
  if (original instanceof AccessError)
    return new GraphQLError(original.message, { extensions: { code: original.code } });
  if (original instanceof ValidationError) {
    return new GraphQLError(original.message, { extensions: { code: 'BAD_USER_INPUT', issues: original.issues } });
  }
  if (original instanceof NotFoundError)
    return new GraphQLError(original.message, { extensions: { code: 'NOT_FOUND' } });
  if (original instanceof SlowConsumerError)
    return new GraphQLError(original.message, { extensions: { code: 'SLOW_CONSUMER' } });
  if (original instanceof ExecutionNotStoredError)
    return new GraphQLError(original.message, { extensions: { code: 'EXECUTION_NOT_STORED' } });
  return maskError(error, message, isDev);
}

/** Cookie-authenticated mutations must echo the session's CSRF token: a cross-site form cannot. */
const csrfPlugin: Plugin<Context> = {
  onExecute({ args }) {
    const context = args.contextValue;
    if (context.viewer?.via !== 'session' || context.csrfVerified) return;
    const operation = getOperationAST(args.document, args.operationName);
    if (operation?.operation === OperationTypeNode.MUTATION) {
      recordCsrfRefusal(context, operation.name?.value);
      throw new GraphQLError('missing or wrong x-csrf-token header', { extensions: { code: 'FORBIDDEN' } });
    }
  },
};

const cookiePlugin: Plugin = {
  onResponse({ request, response }) {
    for (const cookie of pendingCookies.get(request) ?? []) response.headers.append('set-cookie', cookie);
  },
};

export function createGraphQLServer(services: Services): YogaServerInstance<ServerContext, Context> {
  const { logger, config } = services;
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql,
    landingPage: false,
    cors: corsPolicy(config.trustedOrigins),
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    maskedErrors: { maskError: toGraphQLError, isDev: config.errorDetails },
    // The front door (node-handler.ts) already refuses bodies without a Content-Length (411) or above
    // the limit (413), and Node's parser never reads past the declared length. Yoga's own guard would
    // pipe every body through a TransformStream again: a tenth of a small request's cost.
    maxRequestBodySize: false,
    plugins: [
      queryLimitsPlugin({ blockFieldSuggestions: !config.introspection }),
      ...(config.introspection ? [] : [disableIntrospection]),
      noInputEcho(),
      csrfPlugin,
      storableInputPlugin,
      cookiePlugin,
      operationLog(logger),
      graphqlMetricsPlugin(services.metrics.prometheus.registry),
      freshContextPerEvent(),
      ...(config.tracing.tracesUrl === null ? [] : [operationSpans()]),
    ],
    context: async ({
      request,
      connectionViewer,
      onSlowConsumer,
      reauthorize,
      onRevoked,
      res,
      req,
    }: YogaContextInput): Promise<Context> => {
      const cookies: string[] = [];
      if (connectionViewer !== undefined) {
        return {
          viewer: connectionViewer,
          services,
          csrfVerified: true,
          session: { start: () => {}, clear: () => {} },
          onSlowConsumer,
          reauthorize,
          onRevoked,
        };
      }
      if (!request) throw new Error('an HTTP request or a connection viewer is required');
      const connection = req ? clientConnection(req, config.trustProxy) : null;
      const secure = connection?.tls ?? request.url.startsWith('https:');
      const credentials = {
        authorization: request.headers.get('authorization'),
        cookie: request.headers.get('cookie'),
      };
      const viewer = await resolveViewer(services.prisma, credentials);
      pendingCookies.set(request, cookies);
      return {
        viewer,
        services,
        ...(connection ? { clientAddress: connection.address } : {}),
        userAgent: request.headers.get('user-agent'),
        requestOrigin: (req ? requestOrigin(req, config.trustProxy) : null) ?? new URL(request.url).origin,
        csrfVerified: viewer?.via === 'session' && request.headers.get('x-csrf-token') === viewer.csrfToken,
        // SSE has no close codes: the stream is cut, and the client reconnects when it can keep up.
        onSlowConsumer: res ? () => res.destroy() : undefined,
        // Only subscriptions (SSE) ever call it; a revoked stream ends with a FORBIDDEN error event.
        reauthorize: viewer ? () => stillViewer(services.prisma, credentials, viewer) : undefined,
        session: {
          start: (token, maxAge) => cookies.push(sessionCookie(token, maxAge, secure)),
          clear: () => cookies.push(sessionCookie('', 0, secure)),
        },
      };
    },
  });
}
