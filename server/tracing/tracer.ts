import { trace, type Tracer } from '@opentelemetry/api';

/**
 * Switchboard's tracer, looked up at each use rather than kept: a tracer obtained
 * before a stop (which unregisters the SDK) would keep pointing at the stopped
 * provider when another app starts in the same process. Without an SDK the
 * lookup returns the API's no-op tracer.
 */
export function tracer(): Tracer {
  return trace.getTracer('switchboard');
}
