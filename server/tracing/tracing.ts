/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured: a tracer
 * provider batching spans to the OTLP/HTTP exporter, the AsyncLocalStorage
 * context manager and the W3C propagator, all registered globally so that
 * `@opentelemetry/api`'s tracer (used everywhere else) records. Without an
 * endpoint nothing is started and that tracer stays the API's no-op.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

export interface Tracing {
  /** Exports what is still buffered (waiting at most `SHUTDOWN_FLUSH_MS`), then unregisters the globals. */
  shutdown(): Promise<void>;
}

/** Shutdown waits this long for the last spans to reach the collector, then gives up on them. */
const SHUTDOWN_FLUSH_MS = 3_000;
/** One export request's own timeout; a slow collector never holds spans in memory for long. */
const EXPORT_TIMEOUT_MS = 10_000;

const NOT_STARTED: Tracing = { shutdown: async () => {} };

export function startTracing(config: Config['tracing'], logger: Logger): Tracing {
  if (config.tracesUrl === null) return NOT_STARTED;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: config.tracesUrl, timeoutMillis: EXPORT_TIMEOUT_MS }),
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // The API keeps the first registration: a second app in one process (tests) traces into the first one's provider.
  const registered =
    trace.setGlobalTracerProvider(provider) &&
    context.setGlobalContextManager(contextManager) &&
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (!registered) logger.warn('an OpenTelemetry SDK was already registered in this process; it is kept');
  logger.info({ url: config.tracesUrl, service: config.serviceName }, 'exporting traces over OTLP/HTTP');
  return {
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
      });
      await Promise.race([
        provider.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'flushing traces failed')),
        deadline,
      ]);
      clearTimeout(timer);
      if (registered) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
      contextManager.disable();
    },
  };
}
