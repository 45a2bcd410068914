/**
 * An EventTarget over Redis pub/sub that survives Redis going away. Written
 * here rather than taken from @graphql-yoga/redis-event-target because that one
 * leaves a failed PUBLISH as an unhandled rejection (which ends the process)
 * and has no fallback: while Redis is down, events are delivered to this
 * instance's own subscribers, and subscriptions are renewed when it returns.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isReady } from './redis-client.ts';

export interface DetailEvent {
  type: string;
  detail: unknown;
}

type Listener = (event: DetailEvent) => void;

export interface RedisEventTarget {
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
  dispatchEvent(event: DetailEvent): boolean;
  /** Both connections are up: events cross instances. */
  connected(): boolean;
}

export function createRedisEventTarget(options: {
  publishClient: Redis;
  subscribeClient: Redis;
  logger?: Logger;
}): RedisEventTarget {
  const { publishClient, subscribeClient, logger } = options;
  const listeners = new Map<string, Set<Listener>>();
  let local = false;

  function deliver(type: string, detail: unknown): void {
    for (const listener of listeners.get(type) ?? []) listener({ type, detail });
  }

  function subscribe(channels: string[]): void {
    if (channels.length === 0 || !isReady(subscribeClient)) return;
    // A failure here is an outage starting; the 'ready' handler subscribes again when it ends.
    subscribeClient.subscribe(...channels).catch(() => {});
  }

  function noteMode(remote: boolean): void {
    if (remote === !local) return;
    local = !remote;
    if (local) logger?.warn('redis unavailable: live events reach subscribers of this instance only');
    else logger?.info('redis is back: live events cross instances again');
  }

  subscribeClient.on('message', (channel: string, message: string) => {
    if (!listeners.has(channel)) return;
    let detail: unknown;
    try {
      detail = message === '' ? null : JSON.parse(message);
    } catch {
      logger?.warn({ channel }, 'pubsub: ignored a message that is not JSON');
      return;
    }
    deliver(channel, detail);
  });
  subscribeClient.on('ready', () => subscribe([...listeners.keys()]));

  return {
    addEventListener(type, listener) {
      let set = listeners.get(type);
      if (!set) {
        set = new Set();
        listeners.set(type, set);
        subscribe([type]);
      }
      set.add(listener);
    },
    removeEventListener(type, listener) {
      const set = listeners.get(type);
      if (!set) return;
      set.delete(listener);
      if (set.size > 0) return;
      listeners.delete(type);
      if (isReady(subscribeClient)) subscribeClient.unsubscribe(type).catch(() => {});
    },
    dispatchEvent(event) {
      const { type, detail } = event;
      // Our own subscription brings the message back only when both connections are up.
      const remote = isReady(publishClient) && isReady(subscribeClient);
      noteMode(remote);
      if (!remote) deliver(type, detail);
      if (!isReady(publishClient)) return true;
      publishClient.publish(type, detail === undefined ? '' : JSON.stringify(detail)).catch(() => {
        noteMode(false);
        if (remote) deliver(type, detail);
      });
      return true;
    },
    connected: () => isReady(publishClient) && isReady(subscribeClient),
  };
}
