/**
 * graphql-ws over `ws`: graphql-ws's own `useServer` (which its authors offer as
 * a starter to copy), changed in how messages reach the socket.
 *
 * `useServer` writes each message at once and waits until it is flushed before
 * the subscription may produce the next: one write system call per message per
 * socket, which is most of the cost of fanning an event out to a thousand
 * sockets. Here a message is written to a corked socket and the socket is
 * uncorked once the work in progress is over (the callback and the promise
 * jobs it started, process.nextTick), so everything a socket was sent meanwhile
 * (an execution's CREATED and FINISHED published together, a backlog after a
 * pause) goes out in one write. A send only waits for the flush when
 * the socket already holds SOCKET_HIGH_WATER_BYTES unwritten: memory per socket
 * stays bounded, and a consumer that stops reading still holds its subscription
 * back until the bounded queue behind it overflows (see bounded-stream.ts).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';

export interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** Unwritten bytes a socket may hold before a send waits for them to go out. */
const SOCKET_HIGH_WATER_BYTES = 64 * 1024;
/** As `useServer`'s default: a ping every 12 s, and no pong within another 12 s ends the socket. */
const KEEP_ALIVE_MS = 12_000;

/** Corks a socket until the work in progress is over, then writes what it gathered at once. */
function createTurnCorker(): (socket: Duplex) => void {
  const corked = new Set<Duplex>();
  const flush = (): void => {
    const sockets = [...corked];
    corked.clear();
    for (const socket of sockets) socket.uncork();
  };
  return (socket) => {
    if (corked.has(socket) || socket.destroyed) return;
    socket.cork();
    if (corked.size === 0) process.nextTick(flush);
    corked.add(socket);
  };
}

export interface GraphQLWsServer {
  close(): Promise<void>;
}

export function serveGraphQLWs<P extends Record<string, unknown> | undefined>(
  server: Server,
  options: ServerOptions<P, Extra>,
  { path, maxPayload, logger }: { path: string; maxPayload: number; logger: Logger },
): GraphQLWsServer {
  const graphqlWs = makeServer(options);
  const wss = new WebSocketServer({ noServer: true, path, maxPayload, handleProtocols });
  const cork = createTurnCorker();

  // Upgrades are taken here rather than by `ws` itself to keep hold of the raw socket, the one that can be corked.
  const onUpgrade = (request: IncomingMessage, raw: Duplex, head: Buffer): void => {
    wss.handleUpgrade(request, raw, head, (socket) => {
      serve(socket, raw, request);
    });
  };
  server.on('upgrade', onUpgrade);

  function serve(socket: WebSocket, raw: Duplex, request: IncomingMessage): void {
    const fail = (error: unknown): void => {
      logger.warn({ err: error }, 'graphql-ws: socket failed');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    };
    socket.once('error', fail);
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);

    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send(data) {
          if (socket.readyState !== WebSocket.OPEN) return;
          cork(raw);
          if (socket.bufferedAmount < SOCKET_HIGH_WATER_BYTES) {
            socket.send(data);
            return;
          }
          return new Promise<void>((resolve, reject) => {
            // A socket that closed meanwhile is not a failure: its close ends the subscriptions.
            socket.send(data, (error) => (error && socket.readyState === WebSocket.OPEN ? reject(error) : resolve()));
          });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (callback) =>
          socket.on('message', (data: Buffer) => {
            callback(String(data)).catch(fail);
          }),
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pingInterval);
      void closed(code, String(reason));
    });
  }

  return {
    async close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
