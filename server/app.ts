/**
 * buildApp(): the whole platform in one process — database, services, GraphQL
 * over HTTP and WebSocket — with start(port) and a graceful stop().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAlertNotifier } from './alerting/alert-notifier.ts';
import { createResetMailer } from './auth/reset-mailer.ts';
import { createAlerting } from './alerting/alerting-service.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { createResultDeliveries } from './deliveries/result-deliveries.ts';
import { createCodeExecutor } from './executors/code.ts';
import { createRedisCircuitBreaker, DEFAULT_CIRCUIT_BREAKER } from './executions/circuit-breaker.ts';
import { createExecutionEngine, type EngineDeps, type EngineOptionsInput } from './executions/engine.ts';
import { createGraphileQueue } from './executions/graphile-queue.ts';
import { hotSql } from './executions/hot-sql.ts';
import { createTableQueue } from './executions/table-queue.ts';
import { createMemoryRateLimiter, createRedisRateLimiter } from './executions/rate-limiter.ts';
import { createEndpointExecutor } from './executors/endpoint.ts';
import { createLambdaExecutor } from './executors/lambda.ts';
import { ssrfToolEndpointPolicy } from './executors/lambda-policy.ts';
import { createExecutorRegistry, type ExecutorRegistry } from './executors/registry.ts';
import { graphqlRoute, healthRoute, placeholderRoute } from './http/core-routes.ts';
import { metricsRoute } from './http/metrics-route.ts';
import { dashboardRoute } from './http/dashboard-route.ts';
import { docsRoute } from './http/docs-route.ts';
import { answerClientError, createNodeHandler, type Route } from './http/node-handler.ts';
import { attachWebSocketServer } from './http/websocket.ts';
import { createGraphQLServer } from './http/yoga.ts';
import { restApiRoute } from './http/rest/rest-route.ts';
import { schema } from './schema/index.ts';
import { integrationRoutes } from './integrations/http-routes.ts';
import { migrateAllLegacyTools } from './integrations/legacy-tools.ts';
import { createLogger } from './logger.ts';
import { createMetricsService } from './metrics/metrics-service.ts';
import { createPubSubFor } from './realtime/pubsub.ts';
import { createBridgeFetch } from './sandbox/bridge-fetch.ts';
import { startSandboxPools } from './sandbox/pools.ts';
import { secretAccess } from './secrets/secret-store.ts';
import { createSecretCipher, loadOrCreateMasterKey, parseMasterKey } from './security/secret-cipher.ts';
import { createExecutionTokens, executionLinks } from './executions/execution-tokens.ts';
import { createSsrfPolicy } from './security/ssrf.ts';
import { createSecurityEventRecorder } from './security/security-events.ts';
import type { Services } from './services.ts';
import { startTracing } from './tracing/tracing.ts';
import { tracedRoute } from './tracing/traced-route.ts';
import type { AsyncSettledHook } from './executions/async-runs.ts';

export interface App {
  services: Services;
  executors: ExecutorRegistry;
  server: Server;
  /** Listens and resolves with the base URL (port 0 picks a free port). */
  start(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** How long in-flight requests get to finish on shutdown before sockets are cut. */
/** How long past the send timeout a claimed alert notification stays taken before another instance may retry it. */
const ALERT_CLAIM_SLACK_MS = 30_000;
const SHUTDOWN_GRACE_MS = 5_000;

/** Heartbeats per lease: a few lost heartbeats (a slow query, a GC pause) never lapse a live instance. */
const HEARTBEATS_PER_LEASE = 5;

export async function buildApp(
  config: Config,
  options: {
    database?: Database;
    engine?: EngineOptionsInput;
    logger?: Logger;
    /** Where progress reports and settled callbacks go besides the live events (the delivery outbox). */
    hooks?: Pick<EngineDeps, 'onProgress' | 'onCallbackSettled'>;
    /** Told (at least once) when an async execution reached its final status. */
    onAsyncSettled?: AsyncSettledHook;
  } = {},
): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const tracing = startTracing(config.tracing, logger);
  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      onConnectionError: (error) => logger.warn({ err: error }, 'a database connection failed; it is replaced'),
    }));
  const masterKey = config.masterKey ? parseMasterKey(config.masterKey) : await loadOrCreateMasterKey(config.dataDir);
  const policy = createSsrfPolicy({ allowedPrivateHosts: config.allowedPrivateHosts });
  const cipher = createSecretCipher(masterKey);
  const tokens = createExecutionTokens(masterKey);
  // Without SWITCHBOARD_PUBLIC_URL, tools reach the address this server listens on (known once it does).
  let publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  // With Redis, a subscriber on any instance sees executions that ran on any other.
  const pubsub = createPubSubFor(config.redisUrl, logger);
  const metrics = createMetricsService({ sql: database.sql, pubsub, config, logger });
  const securityEvents = createSecurityEventRecorder({
    prisma: database.prisma,
    logger,
    registry: metrics.prometheus.registry,
    retentionDays: config.securityEvents.retentionDays,
  });
  // The executors and the sandbox record SSRF refusals and sandbox kills where they happen.
  const lambda = createLambdaExecutor({
    endpoint: config.lambdaEndpoint ?? undefined,
    serverCredentials: config.lambdaServerCredentials,
    prices: config.lambdaPrices,
    securityEvents,
    ...ssrfToolEndpointPolicy(policy),
  });
  const pools = await startSandboxPools(config.sandbox, logger, securityEvents).catch(async (error: unknown) => {
    // Started above for the pools' sake: a server that cannot start must not leave them running.
    lambda.close();
    await securityEvents.close();
    await metrics.close();
    await pubsub.close();
    throw error;
  });
  const code = createCodeExecutor({ pools: pools.byRuntime, bridgeFetch: createBridgeFetch(policy, securityEvents) });
  const executors = createExecutorRegistry([createEndpointExecutor({ policy, securityEvents }), lambda, code]);
  // Before the engine, so its settle hooks (async results, progress) can enqueue into it.
  const deliveries = createResultDeliveries({
    prisma: database.prisma,
    sql: database.sql,
    cipher,
    policy,
    logger,
    options: config.deliveries,
  });
  const alerting = createAlerting({
    prisma: database.prisma,
    sql: database.sql,
    pubsub,
    logger,
    intervalMs: config.alerting.evaluationIntervalMs,
    // One try per send: a receiver that fails is retried from the outbox, on the result deliveries' schedule.
    notifier: createAlertNotifier({
      policy,
      cipher,
      timeoutMs: config.alerting.timeoutMs,
      smtpUrl: config.alerting.smtpUrl,
      emailFrom: config.alerting.emailFrom,
      attempts: 1,
    }),
    retry: {
      maxAttempts: config.deliveries.maxAttempts,
      baseDelayMs: config.deliveries.baseDelayMs,
      maxDelayMs: config.deliveries.maxDelayMs,
      pollIntervalMs: config.deliveries.pollIntervalMs,
      leaseMs: ALERT_CLAIM_SLACK_MS + config.alerting.timeoutMs,
    },
  });
  // Security events are a source for alert rules (SECURITY_EVENT); a failing lookup never touches the recorder.
  securityEvents.onEvent((event) => {
    if (!event.organizationId) return;
    void alerting
      .onSecurityEvent({ organizationId: event.organizationId, kind: event.kind, at: event.createdAt })
      .catch((error: unknown) => logger.warn({ err: error }, 'alerting on a security event failed'));
  });
  const rateLimiter = config.redisUrl ? createRedisRateLimiter(config.redisUrl, { logger }) : createMemoryRateLimiter();
  const engine = createExecutionEngine({
    prisma: database.prisma,
    sql: database.sql,
    registry: executors,
    secrets: (organizationId) => secretAccess({ prisma: database.prisma, cipher }, organizationId),
    pubsub,
    rateLimiter,
    // With Redis every instance sees one breaker state per configuration; without, each keeps its own.
    ...(config.redisUrl && {
      circuitBreaker: createRedisCircuitBreaker(config.redisUrl, {
        ...(options.engine?.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER),
        logger,
      }),
    }),
    logger,
    links: (executionId) => executionLinks(publicUrl, tokens, executionId),
    // Progress and results that come later (async tools, Lambda callbacks) go into the live call through the
    // delivery outbox, and to a test's hooks.
    onProgress: async (row, message, sequence) => {
      await deliveries.enqueueProgress(row, message, sequence);
      await options.hooks?.onProgress?.(row, message, sequence);
    },
    onCallbackSettled: async (row) => {
      await deliveries.enqueueResult(row);
      await options.hooks?.onCallbackSettled?.(row);
    },
    onAsyncSettled: async (row) => {
      await deliveries.enqueueResult(row);
      await options.onAsyncSettled?.(row);
    },
    // Async tools: graphile-worker on PostgreSQL, the async_jobs table in embedded PGlite (async-queue.ts).
    asyncQueue: database.sql.pool
      ? createGraphileQueue({
          pool: database.sql.pool,
          sql: hotSql(database.sql),
          concurrency: config.asyncConcurrency,
          logger,
        })
      : createTableQueue({ sql: hotSql(database.sql), concurrency: config.asyncConcurrency, logger }),
    // Embedded PGlite is opened by one process at a time: every other instance's RUNNING row is an orphan.
    options: {
      exclusive: database.sql.kind === 'pglite',
      leaseMs: config.instanceLeaseMs,
      heartbeatMs: Math.round(config.instanceLeaseMs / HEARTBEATS_PER_LEASE),
      ...options.engine,
    },
  });
  await engine.recoverInterrupted();

  const services: Services = {
    config,
    prisma: database.prisma,
    sql: database.sql,
    cipher,
    tokens,
    logger,
    pubsub,
    validateConfiguration: executors.validateConfiguration,
    // Every adapter runs tools through this; it checks the organization's tool-type switches in its lookup.
    engine,
    metrics,
    deliveries,
    securityEvents,
    alerting,
    resetMailer: config.alerting.smtpUrl
      ? createResetMailer({
          smtpUrl: config.alerting.smtpUrl,
          from: config.alerting.emailFrom,
          baseUrl: () => publicUrl,
          timeoutMs: config.alerting.timeoutMs,
        })
      : null,
  };
  // The legacy custom_tools data migration; idempotent, so it simply runs at every start.
  await migrateAllLegacyTools(services).catch((error: unknown) =>
    logger.error({ err: error }, 'legacy tool migration failed'),
  );

  const yoga = createGraphQLServer(services);
  // Order matters: the first matching prefix wins, and "/" catches everything left.
  const routes: Route[] = [
    graphqlRoute(yoga),
    restApiRoute(yoga, schema),
    healthRoute(config.redisUrl ? () => pubsub.connected() && rateLimiter.connected() : null),
    metricsRoute(metrics.prometheus, config.metrics.token),
    ...(config.tracing.tracesUrl === null ? integrationRoutes(services) : integrationRoutes(services).map(tracedRoute)),
    await docsRoute(),
    await dashboardRoute(placeholderRoute(config.graphiql)),
  ];
  deliveries.start();
  const server = createServer(
    { requestTimeout: 60_000, headersTimeout: 20_000 },
    createNodeHandler({
      routes,
      bodyLimitBytes: config.bodyLimitBytes,
      onError: (error) => logger.error({ err: error }, 'request failed'),
    }),
  );
  server.on('clientError', answerClientError);
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
          const url = `http://${shownHost}:${address.port}`;
          if (!config.publicUrl) publicUrl = url;
          resolve(url);
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
        await engine.close();
        await deliveries.close();
        await alerting.close();
        await services.resetMailer?.close();
        await metrics.close();
        await securityEvents.close();
        await pubsub.close();
        lambda.close();
        await pools.stop();
        if (ownsDatabase) await database.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}
