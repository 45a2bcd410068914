import type { Viewer } from './auth/viewer.ts';
import type { Services } from './services.ts';

/** Session cookie changes requested by resolvers; the HTTP layer writes the headers. */
export interface SessionControl {
  start(token: string, maxAgeSeconds: number): void;
  clear(): void;
}

export interface Context {
  viewer: Viewer | null;
  services: Services;
  session: SessionControl;
  /** Whether a cookie-authenticated request carried the session's CSRF token. */
  csrfVerified: boolean;
  /** The HTTP client's address (behind a trusted proxy, the forwarded one); per-client login limits. */
  clientAddress?: string;
  /** The HTTP client's User-Agent header, kept with new sessions so people can tell them apart. */
  userAgent?: string | null;
  /** The scheme and host the client reached Switchboard at (server/http/request-origin.ts), for URLs in answers. */
  requestOrigin?: string;
  /** Set by the first `login` of the request: one login per request. */
  loginAttempted?: boolean;
  /**
   * Ends the transport carrying this subscription when its consumer falls too
   * far behind (WebSocket close 4429; an SSE response is reset). Absent outside subscriptions.
   */
  onSlowConsumer?: () => void;
  /**
   * For subscriptions: whether the credentials they were opened with still give
   * the same viewer (see `stillViewer`), re-checked while they last.
   */
  reauthorize?: () => Promise<boolean>;
  /** Ends the transport when those credentials no longer hold (WebSocket close 4403). */
  onRevoked?: () => void;
}
