/**
 * Prometheus metrics for GraphQL requests with bounded label values: an
 * operation name becomes a label only when an authenticated client sent it and
 * fewer than MAX_OPERATION_NAMES names are known; everything else is `other`.
 * The request URL is never a label. Anonymous clients cannot grow /metrics.
 */
import { createCounter, createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Registry } from 'prom-client';

export const MAX_OPERATION_NAMES = 200;
const OTHER = 'other';
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription']);

function isAuthenticated(context: unknown): boolean {
  return typeof context === 'object' && context !== null && (context as { viewer?: unknown }).viewer != null;
}

export function createOperationNameLabel(maxNames = MAX_OPERATION_NAMES) {
  const known = new Set<string>();
  return (name: string | undefined, context: unknown): string => {
    if (!name) return 'Anonymous';
    if (known.has(name)) return name;
    if (!GRAPHQL_NAME.test(name) || known.size >= maxNames || !isAuthenticated(context)) return OTHER;
    known.add(name);
    return name;
  };
}

export function graphqlMetricsPlugin(registry: Registry) {
  const operationName = createOperationNameLabel();
  const operationType = (type: string | undefined) => (type && OPERATION_TYPES.has(type) ? type : 'unknown');
  const operationLabels = ['operationName', 'operationType'] as const;
  return usePrometheus({
    endpoint: false,
    registry,
    // Per-request metrics only. The plugin's other defaults walk every document for deprecated fields,
    // time phases Yoga caches anyway, and keep a quantile summary: together most of the request's cost.
    // Subscriptions are left out: their hooks wrap every subscriber's stream, a cost paid per event
    // and per subscriber in a fan-out; live_subscriptions counts them instead.
    metrics: {
      graphql_envelop_request: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_request',
          help: 'Counts the amount of GraphQL requests executed through Envelop',
          labelNames: operationLabels,
        },
        phases: ['execute'],
        fillLabelsFn: (params, context) => ({
          operationName: operationName(params.operationName, context),
          operationType: operationType(params.operationType),
        }),
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Time spent on running the GraphQL operation from parse to execute',
          labelNames: operationLabels,
        },
        phases: ['execute'],
        fillLabelsFn: (params, context) => ({
          operationName: operationName(params.operationName, context),
          operationType: operationType(params.operationType),
        }),
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Counts the amount of errors reported from all phases',
          labelNames: [...operationLabels, 'phase'],
        },
        phases: ['parse', 'validate', 'context', 'execute'],
        fillLabelsFn: (params, context) => ({
          operationName: operationName(params.operationName, context),
          operationType: operationType(params.operationType),
          phase: params.errorPhase ?? 'unknown',
        }),
      }),
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'Time spent on HTTP connection',
          labelNames: [...operationLabels, 'method', 'statusCode'],
        },
        phases: ['request'],
        fillLabelsFn: (params, context) => ({
          operationName: operationName(params.operationName, context),
          operationType: operationType(params.operationType),
          method: params.request.method === 'GET' || params.request.method === 'POST' ? params.request.method : OTHER,
          statusCode: params.response.status,
        }),
      }),
      graphql_envelop_request_time_summary: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
    },
  });
}
