/**
 * The W3C trace context (`traceparent`, `tracestate`) of the active span, for
 * the services a tool calls, and the caller's context for incoming requests.
 * Without a started SDK the global propagator is a no-op: nothing is read or sent.
 */
import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { TraceContext } from '../executors/types.ts';

/** The active span's context as W3C fields; undefined when tracing is off or no span is active. */
export function currentTraceContext(): TraceContext | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const { traceparent, tracestate } = carrier;
  if (traceparent === undefined) return undefined;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

/** The W3C headers of a trace context: lowercase names, as the receiving end reads them. */
export function traceHeaders(trace: TraceContext): Record<string, string> {
  return trace.tracestate === undefined
    ? { traceparent: trace.traceparent }
    : { traceparent: trace.traceparent, tracestate: trace.tracestate };
}

/** The caller's trace context from a request's headers (Fetch `Headers` or Node's), over `base` (the active one). */
export function incomingContext(headers: Headers | IncomingHttpHeaders, base: Context = ROOT_CONTEXT): Context {
  if (headers instanceof Headers) {
    return propagation.extract(base, headers, {
      keys: (carrier) => [...carrier.keys()],
      get: (carrier, key) => carrier.get(key) ?? undefined,
    });
  }
  return propagation.extract(base, headers);
}
