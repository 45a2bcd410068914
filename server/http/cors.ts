/**
 * Which browser origins may read cookie-authenticated responses: the server's
 * own and `SWITCHBOARD_TRUSTED_ORIGINS`. Any other origin gets no CORS headers,
 * so a page elsewhere (another port, a subdomain) cannot read a `csrfToken`.
 * API keys need no CORS: integrators call from servers, not browsers.
 */
import type { CORSOptions } from 'graphql-yoga';

/** Whether `origin` is this server (same host as the request was sent to) or listed as trusted. */
export function isTrustedOrigin(origin: string | null | undefined, host: string | null | undefined, trusted: string[]) {
  if (!origin) return false;
  if (trusted.includes(origin)) return true;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function corsPolicy(trustedOrigins: string[]): (request: Request) => CORSOptions | false {
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !isTrustedOrigin(origin, request.headers.get('host'), trustedOrigins)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'accept', 'authorization', 'x-csrf-token'],
    };
  };
}
