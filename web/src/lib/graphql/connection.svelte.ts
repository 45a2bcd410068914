/**
 * The live connection's real state (graphql-ws), so the dashboard never shows
 * "Live" while new events cannot arrive: `connecting` before the first
 * connection, `live` while connected, `offline` after it failed or dropped
 * (retrying with backoff). `idle` when no subscription needs a socket.
 */
export type LiveState = 'idle' | 'connecting' | 'live' | 'offline';

class LiveConnection {
  state = $state<LiveState>('idle');
  /** Subscriptions that want the socket; the socket closes lazily without them. */
  active = $state(0);
  /** Failed or dropped connections since the last success. */
  failures = $state(0);

  connecting(): void {
    this.state = this.failures > 0 ? 'offline' : 'connecting';
  }
  connected(): void {
    this.failures = 0;
    this.state = 'live';
  }
  closed(): void {
    if (this.active > 0) {
      this.failures += 1;
      this.state = 'offline';
    } else {
      this.state = 'idle';
    }
  }
}

export const liveConnection = new LiveConnection();
