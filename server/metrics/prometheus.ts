/**
 * Prometheus series fed from this process's execution events (each instance
 * counts what it ran; Prometheus sums across instances). Finished events carry
 * ids only, so their tool type and duration are read back in batches.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { ExecutionEvent, SwitchboardPubSub } from '../realtime/pubsub.ts';

/** Tool latencies span a 10 ms lookup to a 30 s timeout. */
const DURATION_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const FLUSH_INTERVAL_MS = 1_000;
/** Past this many unread finished ids a flush starts at once, so a burst cannot grow the list. */
const MAX_PENDING = 5_000;

export interface PrometheusMetrics {
  registry: Registry;
  slowConsumerDisconnects: Counter<'transport'>;
  liveSubscriptions: Gauge<'field'>;
  /** Reads back pending finished executions (done before each scrape). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface FinishedRow {
  status: string;
  duration_ms: number | null;
  tool_type: string;
}

export function createPrometheusMetrics(deps: {
  sql: SqlDriver;
  pubsub: SwitchboardPubSub;
  logger: Logger;
}): PrometheusMetrics {
  const registry = new Registry();
  const events = new Counter({
    name: 'switchboard_execution_events_total',
    help: 'Execution state changes published by this instance, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const executions = new Counter({
    name: 'switchboard_executions_total',
    help: 'Finished tool executions run by this instance, by tool type and final status.',
    labelNames: ['tool_type', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'switchboard_execution_duration_seconds',
    help: 'Duration of finished tool executions, by tool type and final status.',
    labelNames: ['tool_type', 'status'] as const,
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const slowConsumerDisconnects = new Counter({
    name: 'switchboard_live_slow_consumer_disconnects_total',
    help: 'Live subscribers disconnected because they fell too far behind.',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const liveSubscriptions = new Gauge({
    name: 'switchboard_live_subscriptions',
    help: 'Open live subscriptions on this instance, by field.',
    labelNames: ['field'] as const,
    registers: [registry],
  });

  let pending: string[] = [];
  let flushing: Promise<void> = Promise.resolve();

  async function readBack(ids: string[]): Promise<void> {
    const rows = await deps.sql.query<FinishedRow>(
      `SELECT e."status"::text AS status, e."duration_ms", COALESCE(t."type"::text, 'BUILTIN') AS tool_type
       FROM "tool_execution_logs" e LEFT JOIN "tools" t ON t."id" = e."tool_id"
       WHERE e."id" = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of rows) {
      const labels = { tool_type: row.tool_type, status: row.status };
      executions.inc(labels);
      if (row.duration_ms !== null) durations.observe(labels, row.duration_ms / 1000);
    }
  }

  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      if (pending.length === 0) return;
      const ids = pending;
      pending = [];
      try {
        await readBack(ids);
      } catch (error) {
        deps.logger.warn({ err: error, count: ids.length }, 'metrics: could not read back finished executions');
      }
    });
    return flushing;
  }

  const stopListening = deps.pubsub.onLocalPublish((topic, event) => {
    if (!topic.startsWith('executions:')) return;
    const { kind, executionId } = event as ExecutionEvent;
    events.inc({ kind });
    if (kind !== 'finished') return;
    pending.push(executionId);
    if (pending.length >= MAX_PENDING) void flush();
  });
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);
  timer.unref();

  return {
    registry,
    slowConsumerDisconnects,
    liveSubscriptions,
    flush,
    async close() {
      stopListening();
      clearInterval(timer);
      await flush();
    },
  };
}
