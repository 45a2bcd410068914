/**
 * The only way sandboxed code reaches the network: the same SSRF-guarded
 * client the endpoint executor uses, under the job's deadline.
 */
import { guardedFetch, GuardedFetchError } from '../security/guarded-fetch.ts';
import { NO_SECURITY_EVENTS, type SecurityEventSink } from '../security/security-events.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';
import { recordToolSecurityEvent, type ToolSecurityOrigin } from '../security/tool-security-events.ts';
import type { BridgeRequest, BridgeResponse } from './protocol.ts';

/** A sandbox gets text back; larger responses are refused rather than truncated. */
const MAX_BRIDGE_RESPONSE_BYTES = 1024 * 1024;
const MAX_BRIDGE_REDIRECTS = 5;

/** A sandboxed fetch; `origin` names the execution it serves, for the security event of a refusal. */
export type BridgeFetch = (
  request: BridgeRequest,
  signal: AbortSignal,
  origin?: ToolSecurityOrigin,
) => Promise<BridgeResponse>;

export function createBridgeFetch(
  policy: SsrfPolicy,
  securityEvents: SecurityEventSink = NO_SECURITY_EVENTS,
): BridgeFetch {
  // Code may loop over refused addresses: one event per execution says it all.
  const reported = new WeakSet<ToolSecurityOrigin>();
  return async (request, signal, origin) => {
    try {
      const response = await guardedFetch(
        {
          url: request.url,
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        { policy, signal, maxResponseBytes: MAX_BRIDGE_RESPONSE_BYTES, maxRedirects: MAX_BRIDGE_REDIRECTS },
      );
      return { status: response.status, headers: response.headers, body: Buffer.from(response.body).toString('utf8') };
    } catch (error) {
      if (error instanceof GuardedFetchError && error.code === 'SSRF_BLOCKED' && origin && !reported.has(origin)) {
        reported.add(origin);
        recordToolSecurityEvent(securityEvents, origin, 'SSRF_REFUSED', error.code);
      }
      throw error;
    }
  };
}
