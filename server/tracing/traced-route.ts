import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Route } from '../http/node-handler.ts';
import { incomingContext } from './trace-context.ts';
import { tracer } from './tracer.ts';

/**
 * A server span per request on `route` ("POST /vapi"), a child of the caller's span when the request
 * carries a `traceparent`, active while the route runs so the executions it starts become its children.
 */
export function tracedRoute(route: Route): Route {
  return {
    ...route,
    handle(req, res) {
      const parent = incomingContext(req.headers);
      const span = tracer().startSpan(
        `${req.method ?? 'GET'} ${route.prefix}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': req.method ?? 'GET', 'http.route': route.prefix },
        },
        parent,
      );
      res.once('close', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      return context.with(trace.setSpan(parent, span), () => route.handle(req, res));
    },
  };
}
