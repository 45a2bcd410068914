/**
 * One call's live channel: its executions' state changes and its end, for
 * agents that hold a connection (LiveKit, Pipecat, OpenAI Realtime). Composed
 * from the organization's execution topic and the calls-ended topic into one
 * bounded stream that finishes after the end.
 */
import type { Prisma } from '../db/database.ts';
import { createBoundedStream, type BoundedStream } from './bounded-stream.ts';
import {
  CALLS_ENDED_TOPIC,
  executionTopic,
  type CallEndedEvent,
  type ExecutionEvent,
  type ExecutionEventKind,
  type SwitchboardPubSub,
} from './pubsub.ts';

export type CallEvent =
  | { kind: ExecutionEventKind; callId: string; at: string; execution: ExecutionEvent }
  | { kind: 'call_ended'; callId: string; at: string; endedAt: string; reason: string | null };

export interface CallEventHooks {
  limit: number;
  onOverflow?: () => void;
  onEnd?: () => void;
  /** Called for each execution event as it is queued (e.g. to start reading the execution). */
  onExecutionQueued?: (event: ExecutionEvent) => void;
}

export interface CallEventDeps {
  prisma: Prisma;
  pubsub: SwitchboardPubSub;
  onError?: (error: unknown) => void;
}

/**
 * The events of `call` from now on, ending with one `call_ended` (at once
 * when the call has already ended). Listening starts before the call's state
 * is read, so an end racing the subscription is not missed.
 */
export function openCallEvents(
  deps: CallEventDeps,
  call: { id: string; organizationId: string },
  hooks: CallEventHooks,
): BoundedStream<CallEvent> {
  let endSent = false;
  const stopListening: (() => void)[] = [];
  const stream = createBoundedStream<CallEvent>({
    limit: hooks.limit,
    onOverflow: hooks.onOverflow,
    onEnd: () => {
      for (const stop of stopListening) stop();
      hooks.onEnd?.();
    },
  });
  const sendEnd = async (): Promise<void> => {
    const row = await deps.prisma.call.findUnique({
      where: { id: call.id },
      select: { status: true, endedAt: true, endReason: true },
    });
    if (endSent || row?.status !== 'ENDED') return;
    endSent = true;
    const endedAt = (row.endedAt ?? new Date()).toISOString();
    stream.push({ kind: 'call_ended', callId: call.id, at: endedAt, endedAt, reason: row.endReason });
  };
  const trySendEnd = (): void => {
    sendEnd().catch((error: unknown) => {
      deps.onError?.(error);
      stream.fail(error instanceof Error ? error : new Error(String(error)));
    });
  };
  stopListening.push(
    deps.pubsub.listen(executionTopic(call.organizationId), (event) => {
      if (endSent || event.callId !== call.id) return;
      hooks.onExecutionQueued?.(event);
      stream.push({ kind: event.kind, callId: call.id, at: event.at, execution: event });
    }),
    deps.pubsub.listen(CALLS_ENDED_TOPIC, (event: CallEndedEvent) => {
      if (event.id === call.id && event.organizationId === call.organizationId) trySendEnd();
    }),
  );
  trySendEnd();
  return stream;
}

/** `stream` that finishes, detaching from the pub/sub, once it has delivered the call's end. */
export function untilCallEnded(stream: BoundedStream<CallEvent>): AsyncIterableIterator<CallEvent> {
  let finished = false;
  const done: IteratorReturnResult<undefined> = { done: true, value: undefined };
  const close = (): Promise<IteratorResult<CallEvent>> => stream.return?.() ?? Promise.resolve(done);
  const iterator: AsyncIterableIterator<CallEvent> = {
    async next() {
      if (finished) return done;
      const result = await stream.next();
      if (!result.done && result.value.kind === 'call_ended') {
        finished = true;
        await close();
      }
      return result;
    },
    return: () => {
      finished = true;
      return close();
    },
    throw: (error?: unknown) => {
      finished = true;
      void close();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
