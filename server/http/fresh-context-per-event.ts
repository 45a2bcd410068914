/**
 * graphql-js runs every event of a subscription with the context it was
 * subscribed with, so DataLoader and Pothos caches (keyed by the context
 * object) would serve the first event's rows forever. This runs each event
 * with a shallow copy of the context: same viewer and services, empty caches.
 */
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Like graphql's own mapping: return() reaches the source at once, even while it waits for an event. */
function mapEvents(
  source: AsyncIterable<unknown>,
  run: (payload: unknown) => Promise<ExecutionResult> | ExecutionResult,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const result = await iterator.next();
      if (result.done) return done();
      try {
        return { done: false, value: await run(result.value) };
      } catch (error) {
        await iterator.return?.();
        throw error;
      }
    },
    async return() {
      await iterator.return?.();
      return done();
    },
    async throw(error?: unknown) {
      if (iterator.throw) await iterator.throw(error);
      else await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return mapped;
    },
  };
  return mapped;
}

export function freshContextPerEvent(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const context = args.contextValue as object;
        return mapEvents(source, (payload) => execute({ ...args, rootValue: payload, contextValue: { ...context } }));
      });
    },
  };
}
