import type { Context } from '../context.ts';
import { AccessError } from '../errors.ts';
import type { BoundedStream } from '../realtime/bounded-stream.ts';
import type { Topic, TopicEvent } from '../realtime/pubsub.ts';

/**
 * Ends `stream` with FORBIDDEN once the credentials it was opened with no
 * longer give the same viewer, checked every `reauthorizeIntervalMs` while it
 * lasts: a subscription outlives the request that authorized it, and must not
 * outlive a revoked key, an ended session or a removed member.
 */
export function watchAccess<T>(context: Context, stream: BoundedStream<T>): () => void {
  const { reauthorize } = context;
  if (!reauthorize) return () => {};
  const { logger, config } = context.services;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    reauthorize()
      .then((allowed) => {
        if (allowed) return;
        stream.fail(new AccessError('FORBIDDEN', 'the credentials of this subscription are no longer valid'));
        context.onRevoked?.();
      })
      // The database being unreachable is not a revocation: the next check decides.
      .catch((error: unknown) => logger.warn({ err: error }, 'live subscription: re-checking credentials failed'))
      .finally(() => {
        checking = false;
      });
  }, config.live.reauthorizeIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A bounded pub/sub subscription for a live field: overflow ends the stream
 * and asks the transport to drop the consumer; the open-subscription gauge
 * follows it; its credentials are re-checked while it lasts.
 */
export function liveStream<K extends Topic>(
  context: Context,
  field: string,
  topic: K,
  filter?: (event: TopicEvent<K>) => boolean,
  onQueued?: (event: TopicEvent<K>) => void,
): AsyncIterable<TopicEvent<K>> {
  return liveBoundedStream(context, field, (hooks) =>
    context.services.pubsub.stream(topic, { ...hooks, filter, onQueued }),
  );
}

export interface LiveStreamHooks {
  limit: number;
  onOverflow: () => void;
  onEnd: () => void;
}

/** `liveStream` for a bounded stream `open` composes itself (e.g. from several topics). */
export function liveBoundedStream<T>(
  context: Context,
  field: string,
  open: (hooks: LiveStreamHooks) => BoundedStream<T>,
): BoundedStream<T> {
  const { services } = context;
  const { liveSubscriptions, slowConsumerDisconnects } = services.metrics.prometheus;
  liveSubscriptions.inc({ field });
  let stopWatching = (): void => {};
  const stream = open({
    limit: services.config.live.subscriptionQueueLimit,
    onOverflow: () => {
      slowConsumerDisconnects.inc({ transport: context.viewer ? 'live' : 'unknown' });
      services.logger.warn(
        { field, organizationId: context.viewer?.actor.organizationId },
        'live subscriber too slow; disconnecting',
      );
      context.onSlowConsumer?.();
    },
    onEnd: () => {
      stopWatching();
      liveSubscriptions.dec({ field });
    },
  });
  stopWatching = watchAccess(context, stream);
  return stream;
}
