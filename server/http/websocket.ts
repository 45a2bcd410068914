/**
 * graphql-ws on the same port and path as HTTP, sharing Yoga's plugin pipeline.
 * Credentials come from connectionParams (apiKey / authorization) or the
 * upgrade request's session cookie; bad credentials close the socket with 4403.
 */
import type { Server } from 'node:http';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import { resolveViewer, stillViewer, type Credentials, type Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import type { Services } from '../services.ts';
import { CloseCode } from 'graphql-ws';
import { isTrustedOrigin } from './cors.ts';
import { recordOriginRefusal } from '../security/csrf-events.ts';
import { serveGraphQLWs, type Extra } from './graphql-ws-transport.ts';
import type { ServerContext } from './yoga.ts';

/** 4429 as in HTTP 429: the client may reconnect once it can keep up. */
export const SLOW_CONSUMER_CLOSE_CODE = 4429;

type OperationResult =
  Promise<AsyncIterable<ExecutionResult> | ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult;
type EnvelopedExecutionArgs = ExecutionArgs & {
  rootValue: { execute: (args: ExecutionArgs) => OperationResult; subscribe: (args: ExecutionArgs) => OperationResult };
};

export function attachWebSocketServer(
  server: Server,
  yoga: YogaServerInstance<ServerContext, Context>,
  services: Services,
): { close(): Promise<void> } {
  const viewers = new WeakMap<Extra, { viewer: Viewer; credentials: Credentials }>();
  return serveGraphQLWs(
    server,
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const credentials: Credentials = {
          apiKey: typeof params.apiKey === 'string' ? params.apiKey : null,
          authorization: typeof params.authorization === 'string' ? params.authorization : null,
          cookie: ctx.extra.request.headers.cookie ?? null,
        };
        try {
          const viewer = await resolveViewer(services.prisma, credentials);
          if (!viewer) return false;
          if (
            viewer.via === 'session' &&
            // Cookie-authenticated sockets must come from our own pages (cross-site WebSocket hijacking).
            !isTrustedOrigin(
              ctx.extra.request.headers.origin,
              ctx.extra.request.headers.host,
              services.config.trustedOrigins,
            )
          ) {
            recordOriginRefusal(services.prisma, viewer, {
              clientAddress: ctx.extra.request.socket.remoteAddress ?? null,
              origin: ctx.extra.request.headers.origin ?? null,
              transport: 'websocket',
            });
            return false;
          }
          viewers.set(ctx.extra, { viewer, credentials });
          return true;
        } catch {
          return false;
        }
      },
      execute: (args) => (args as EnvelopedExecutionArgs).rootValue.execute(args),
      subscribe: (args) => (args as EnvelopedExecutionArgs).rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        const connection = viewers.get(ctx.extra);
        const args: EnvelopedExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory({
            connectionViewer: connection?.viewer ?? null,
            // Memory stays bounded either way (the queue is dropped); the code tells the client why.
            onSlowConsumer: () => ctx.extra.socket.close(SLOW_CONSUMER_CLOSE_CODE, 'subscriber too slow'),
            reauthorize: connection
              ? () => stillViewer(services.prisma, connection.credentials, connection.viewer)
              : undefined,
            onRevoked: () => ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: credentials no longer valid'),
          }),
          rootValue: {
            execute: execute as (args: ExecutionArgs) => OperationResult,
            subscribe: subscribe as (args: ExecutionArgs) => OperationResult,
          },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    { path: '/graphql', maxPayload: services.config.bodyLimitBytes, logger: services.logger },
  );
}
