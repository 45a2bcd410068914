/**
 * The only way sandboxed code reaches the network: the same SSRF-guarded
 * client the endpoint executor uses, under the job's deadline.
 */
import { guardedFetch } from '../security/guarded-fetch.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';
import type { BridgeRequest, BridgeResponse } from './protocol.ts';

/** A sandbox gets text back; larger responses are refused rather than truncated. */
const MAX_BRIDGE_RESPONSE_BYTES = 1024 * 1024;
const MAX_BRIDGE_REDIRECTS = 5;

export function createBridgeFetch(policy: SsrfPolicy) {
  return async (request: BridgeRequest, signal: AbortSignal): Promise<BridgeResponse> => {
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
  };
}
