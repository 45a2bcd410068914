/**
 * buildApp(): the whole platform in one process — database, services, GraphQL
 * over HTTP and WebSocket — with start(port) and a graceful stop().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createCodeExecutor } from './executors/code.ts';
import { createEndpointExecutor } from './executors/endpoint.ts';
import { createLambdaExecutor } from './executors/lambda.ts';
import { createExecutorRegistry, type ExecutorRegistry } from './executors/registry.ts';
import { createNodeHandler } from './http/node-handler.ts';
import { attachWebSocketServer } from './http/websocket.ts';
import { createGraphQLServer } from './http/yoga.ts';
import { createLogger } from './logger.ts';
import { createInMemoryPubSub } from './realtime/pubsub.ts';
import { createBridgeFetch } from './sandbox/bridge-fetch.ts';
import { startSandboxPools } from './sandbox/pools.ts';
import { createSecretCipher, loadOrCreateMasterKey, parseMasterKey } from './security/secret-cipher.ts';
import { createSsrfPolicy } from './security/ssrf.ts';
import type { Services } from './services.ts';

export interface App {
  services: Services;
  executors: ExecutorRegistry;
  server: Server;
  /** Listens and resolves with the base URL (port 0 picks a free port). */
  start(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** How long in-flight requests get to finish on shutdown before sockets are cut. */
const SHUTDOWN_GRACE_MS = 5_000;

export async function buildApp(config: Config, options: { database?: Database } = {}): Promise<App> {
  const logger = createLogger(config.logLevel);
  const ownsDatabase = !options.database;
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const masterKey = config.masterKey ? parseMasterKey(config.masterKey) : await loadOrCreateMasterKey(config.dataDir);
  const policy = createSsrfPolicy({ allowedPrivateHosts: config.allowedPrivateHosts });
  const lambda = createLambdaExecutor({ endpoint: config.lambdaEndpoint ?? undefined });
  const pools = await startSandboxPools(config.sandbox, logger);
  const code = createCodeExecutor({ pools: pools.byRuntime, bridgeFetch: createBridgeFetch(policy) });
  const executors = createExecutorRegistry([createEndpointExecutor({ policy }), lambda, code]);

  const services: Services = {
    config,
    prisma: database.prisma,
    sql: database.sql,
    cipher: createSecretCipher(masterKey),
    logger,
    pubsub: createInMemoryPubSub(),
    validateConfiguration: executors.validateConfiguration,
  };

  const yoga = createGraphQLServer(services);
  const server = createServer(
    { requestTimeout: 60_000, headersTimeout: 20_000 },
    createNodeHandler({ yoga, bodyLimitBytes: config.bodyLimitBytes, graphiql: config.graphiql }),
  );
  const websockets = attachWebSocketServer(server, yoga, services);

  let stopping: Promise<void> | null = null;
  return {
    services,
    executors,
    server,
    start(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    stop() {
      stopping ??= (async () => {
        await websockets.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        if (server.listening) await closed;
        clearTimeout(timer);
        lambda.close();
        await pools.stop();
        if (ownsDatabase) await database.close();
      })();
      return stopping;
    },
  };
}
