/**
 * The W3C trace context (`traceparent`, `tracestate`) of the active span, for
 * the services a tool calls, and the caller's context for incoming requests.
 * Without a started SDK the global propagator is a no-op: nothing is read or sent.
 */
import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter } from '@opentelemetry/api';
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

/** Fetch-style headers: Yoga's come from its own Fetch implementation, so `instanceof Headers` would miss them. */
interface HeaderLookup {
  get(name: string): string | null;
}

function isHeaderLookup(headers: HeaderLookup | IncomingHttpHeaders): headers is HeaderLookup {
  return typeof headers.get === 'function';
}

const lookupGetter: TextMapGetter<HeaderLookup> = {
  // The W3C propagator only asks for its own two header names, never for the list.
  keys: () => [],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

/** The caller's trace context from a request's headers (Fetch-style or Node's), over `base` (the active one). */
export function incomingContext(headers: HeaderLookup | IncomingHttpHeaders, base: Context = ROOT_CONTEXT): Context {
  return isHeaderLookup(headers)
    ? propagation.extract(base, headers, lookupGetter)
    : propagation.extract(base, headers);
}
