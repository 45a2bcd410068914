import type { Context } from '../context.ts';
import type { Topic, TopicEvent } from '../realtime/pubsub.ts';

/**
 * A bounded pub/sub subscription for a live field: overflow ends the stream
 * and asks the transport to drop the consumer; the open-subscription gauge follows it.
 */
export function liveStream<K extends Topic>(
  context: Context,
  field: string,
  topic: K,
  filter?: (event: TopicEvent<K>) => boolean,
  onQueued?: (event: TopicEvent<K>) => void,
): AsyncIterable<TopicEvent<K>> {
  const { services } = context;
  const { liveSubscriptions, slowConsumerDisconnects } = services.metrics.prometheus;
  liveSubscriptions.inc({ field });
  return services.pubsub.stream(topic, {
    limit: services.config.live.subscriptionQueueLimit,
    filter,
    onQueued,
    onOverflow: () => {
      slowConsumerDisconnects.inc({ transport: context.viewer ? 'live' : 'unknown' });
      services.logger.warn(
        { field, organizationId: context.viewer?.actor.organizationId },
        'live subscriber too slow; disconnecting',
      );
      context.onSlowConsumer?.();
    },
    onEnd: () => liveSubscriptions.dec({ field }),
  });
}
