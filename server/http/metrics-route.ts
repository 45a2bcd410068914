/**
 * GET /metrics in Prometheus' text format. Open by default, like most
 * exporters (bind it to a private interface or scrape through the proxy);
 * with SWITCHBOARD_METRICS_TOKEN set it needs `Authorization: Bearer <token>`,
 * for deployments where the port is reachable from outside. The series carry
 * tool types and statuses only: no organization, tool or caller data.
 */
import { timingSafeEqual } from 'node:crypto';
import type { PrometheusMetrics } from '../metrics/prometheus.ts';
import { sendJson, type Route } from './node-handler.ts';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsRoute(metrics: PrometheusMetrics, token: string | null): Route {
  return {
    prefix: '/metrics',
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { error: 'method not allowed' });
        return;
      }
      if (token) {
        const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
        if (!sameSecret(given, token)) {
          res.setHeader('www-authenticate', 'Bearer realm="metrics"');
          sendJson(res, 401, { error: 'a valid metrics token is required' });
          return;
        }
      }
      await metrics.flush();
      const body = await metrics.registry.metrics();
      res
        .writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' })
        .end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
