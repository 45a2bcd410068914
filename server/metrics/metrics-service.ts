/**
 * Everything about execution metrics one process holds: the cached SQL
 * statistics, tool health (batched for DataLoaders), the health monitor and
 * the Prometheus registry.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import type { Granularity, StatsReport } from './execution-stats.ts';
import { createHealthMonitor, type HealthMonitor } from './health-monitor.ts';
import { createPrometheusMetrics, type PrometheusMetrics } from './prometheus.ts';
import { queryWindowStats } from './rollup-stats.ts';
import { healthReadingOf, queryHealthSamples, type ToolHealthReading } from './tool-health.ts';
import { createTtlCache } from './ttl-cache.ts';

export interface MetricsService {
  stats(
    organizationId: string,
    window: { from: Date; to: Date },
    granularity: Granularity,
    toolId?: string | null,
  ): Promise<StatsReport>;
  /** The last `seconds` up to now, for the live push. */
  rolling(organizationId: string, seconds: number, granularity: Granularity): Promise<StatsReport>;
  /** Current health of several tools of one organization (one query); NO_DATA for tools without a recent run. */
  health(organizationId: string, toolIds: readonly string[]): Promise<ToolHealthReading[]>;
  monitor: HealthMonitor;
  prometheus: PrometheusMetrics;
  close(): Promise<void>;
}

export function createMetricsService(deps: {
  sql: SqlDriver;
  pubsub: SwitchboardPubSub;
  config: Config;
  logger: Logger;
}): MetricsService {
  const { sql, config } = deps;
  const cache = createTtlCache<StatsReport>(config.metrics.cacheMs);
  const monitor = createHealthMonitor({
    sql,
    pubsub: deps.pubsub,
    logger: deps.logger,
    intervalMs: config.metrics.healthCheckIntervalMs,
  });
  const prometheus = createPrometheusMetrics({ sql, pubsub: deps.pubsub, logger: deps.logger });

  return {
    stats(organizationId, window, granularity, toolId = null) {
      const key = JSON.stringify([
        'window',
        organizationId,
        window.from.getTime(),
        window.to.getTime(),
        granularity,
        toolId,
      ]);
      return cache.get(key, () =>
        queryWindowStats(sql, { organizationId, from: window.from, to: window.to, granularity, toolId }),
      );
    },
    rolling(organizationId, seconds, granularity) {
      const key = JSON.stringify(['rolling', organizationId, seconds, granularity]);
      return cache.get(key, () => {
        const to = new Date();
        return queryWindowStats(sql, {
          organizationId,
          from: new Date(to.getTime() - seconds * 1000),
          to,
          granularity,
        });
      });
    },
    async health(organizationId, toolIds) {
      const samples = await queryHealthSamples(sql, organizationId, toolIds, new Date());
      return toolIds.map((id) => healthReadingOf(samples.get(id)));
    },
    monitor,
    prometheus,
    async close() {
      await monitor.close();
      await prometheus.close();
      cache.clear();
    },
  };
}
