/**
 * Typed pub/sub for execution state changes and tool health. In memory by
 * default; with REDIS_URL the events go through Redis pub/sub so a subscriber
 * on one instance sees executions that ran on another.
 */
import { setMaxListeners } from 'node:events';
import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createBoundedStream, type BoundedStream } from './bounded-stream.ts';
import { closeRedisClient, createRedisClient } from './redis-client.ts';
import { createRedisEventTarget } from './redis-event-target.ts';

export type ExecutionEventKind = 'created' | 'pending_approval' | 'running' | 'retrying' | 'progress' | 'finished';

export interface ExecutionEvent {
  kind: ExecutionEventKind;
  organizationId: string;
  executionId: string;
  toolId: string | null;
  assistantId: string | null;
  callId: string | null;
  status: string;
  at: string;
  /** `progress` events: what the tool reported (one line) and its number within the execution (from 1). */
  message?: string;
  sequence?: number;
}

export type ToolHealth = 'OK' | 'DEGRADED' | 'FAILING';

export interface ToolHealthEvent {
  organizationId: string;
  toolId: string;
  health: ToolHealth;
  previous: ToolHealth;
  at: string;
}

/** A call ended: every instance settles what it runs for it (engine.settleCall). */
export interface CallEndedEvent {
  id: string;
  organizationId: string;
  callSid: string;
  /** The instance that ended it and has settled its own share already. */
  instanceId: string;
}

export const CALLS_ENDED_TOPIC = 'calls:ended';

export type Topics = {
  [key: `executions:${string}`]: [ExecutionEvent];
  [key: `tool-health:${string}`]: [ToolHealthEvent];
  [CALLS_ENDED_TOPIC]: [CallEndedEvent];
};

export type Topic = keyof Topics & string;
export type TopicEvent<K extends Topic> = Topics[K][0];

export interface StreamOptions<T> {
  /** Events waiting unread beyond this many end the stream (see bounded-stream.ts). */
  limit: number;
  /** Applied before queueing, so filtered-out events cost a subscriber nothing. */
  filter?: (event: T) => boolean;
  /** Called for each event that passed the filter as it is queued (e.g. to start what resolving it will read). */
  onQueued?: (event: T) => void;
  onOverflow?: () => void;
  /** Called once when the stream ends, whatever the reason. */
  onEnd?: () => void;
}

export interface SwitchboardPubSub extends PubSub<Topics> {
  readonly kind: 'memory' | 'redis';
  /** A bounded subscription: what the live monitor hands to GraphQL. */
  stream<K extends Topic>(topic: K, options: StreamOptions<TopicEvent<K>>): BoundedStream<TopicEvent<K>>;
  /** Calls `listener` with each event of `topic` until the returned function is called (to compose streams). */
  listen<K extends Topic>(topic: K, listener: (event: TopicEvent<K>) => void): () => void;
  /** Events published by this process only (not those relayed from other instances). */
  onLocalPublish(listener: (topic: string, event: unknown) => void): () => void;
  /** False while Redis is configured but unreachable (events then reach this instance's subscribers only). */
  connected(): boolean;
  close(): Promise<void>;
}

interface DetailEvent {
  type: string;
  detail: unknown;
}

/** The part of an EventTarget the pub/sub uses; both the DOM one and Redis' satisfy it. */
interface MinimalEventTarget {
  addEventListener(type: string, listener: (event: DetailEvent) => void): void;
  removeEventListener(type: string, listener: (event: DetailEvent) => void): void;
  dispatchEvent(event: DetailEvent): boolean;
}

function build(
  target: MinimalEventTarget,
  kind: 'memory' | 'redis',
  close: () => Promise<void>,
  logger?: Logger,
  connected: () => boolean = () => true,
): SwitchboardPubSub {
  const taps = new Set<(topic: string, event: unknown) => void>();
  const tapped: MinimalEventTarget = {
    addEventListener: (type, listener) => target.addEventListener(type, listener),
    removeEventListener: (type, listener) => target.removeEventListener(type, listener),
    dispatchEvent(event) {
      for (const tap of taps) {
        try {
          tap(event.type, event.detail);
        } catch (error) {
          logger?.warn({ err: error }, 'pubsub: a local listener failed');
        }
      }
      return target.dispatchEvent(event);
    },
  };
  const base = createPubSub<Topics>({
    eventTarget: tapped as unknown as NonNullable<Parameters<typeof createPubSub<Topics>>[0]>['eventTarget'],
  });
  return {
    ...base,
    kind,
    stream<K extends Topic>(topic: K, options: StreamOptions<TopicEvent<K>>) {
      const listener = (event: DetailEvent): void => {
        const detail = event.detail as TopicEvent<K>;
        if (options.filter && !options.filter(detail)) return;
        options.onQueued?.(detail);
        stream.push(detail);
      };
      const stream = createBoundedStream<TopicEvent<K>>({
        limit: options.limit,
        onOverflow: options.onOverflow,
        onEnd: () => {
          target.removeEventListener(topic, listener);
          options.onEnd?.();
        },
      });
      target.addEventListener(topic, listener);
      return stream;
    },
    listen<K extends Topic>(topic: K, listener: (event: TopicEvent<K>) => void) {
      const onEvent = (event: DetailEvent): void => listener(event.detail as TopicEvent<K>);
      target.addEventListener(topic, onEvent);
      return () => target.removeEventListener(topic, onEvent);
    },
    onLocalPublish(listener) {
      taps.add(listener);
      return () => taps.delete(listener);
    },
    connected,
    close,
  };
}

export function createInMemoryPubSub(): SwitchboardPubSub {
  const target = new EventTarget();
  // Every live subscriber of an organization listens on its topic: thousands are expected, not a leak.
  setMaxListeners(0, target);
  return build(target as unknown as MinimalEventTarget, 'memory', async () => {});
}

/** Two connections: a Redis connection in subscriber mode can do nothing else. */
export function createRedisPubSub(url: string, logger?: Logger): SwitchboardPubSub {
  const publishClient = createRedisClient(url, {
    name: 'pubsub-publish',
    logger,
    redis: { enableAutoPipelining: true },
  });
  // Its own subscriptions are renewed by the event target; ioredis' renewal could reject unhandled.
  const subscribeClient = createRedisClient(url, {
    name: 'pubsub-subscribe',
    logger,
    redis: { autoResubscribe: false },
  });
  const target = createRedisEventTarget({ publishClient, subscribeClient, logger });
  return build(
    target,
    'redis',
    async () => {
      await Promise.all([publishClient, subscribeClient].map(closeRedisClient));
    },
    logger,
    target.connected,
  );
}

export function createPubSubFor(redisUrl: string | null, logger?: Logger): SwitchboardPubSub {
  return redisUrl ? createRedisPubSub(redisUrl, logger) : createInMemoryPubSub();
}

export function executionTopic(organizationId: string): `executions:${string}` {
  return `executions:${organizationId}`;
}

export function toolHealthTopic(organizationId: string): `tool-health:${string}` {
  return `tool-health:${organizationId}`;
}
