/**
 * graphql-js runs every event of a subscription with the context it was
 * subscribed with, so DataLoader and Pothos caches (keyed by the context
 * object) would serve the first event's rows forever. This runs each event
 * with a shallow copy of the context: same viewer and services, empty caches.
 *
 * Subscribers that would compute the very same result share one execution per
 * event: same event object (the pub/sub hands one object per event to all the
 * listeners of a process), same document text, operation name and variables,
 * and the same viewer (organization, role, user, API key, transport
 * credentials). With 1,000 dashboards on one organization watching through the
 * same key, an event is executed once instead of 1,000 times; the result is
 * still computed with a fresh context for that event. Anything differing in
 * the key — another user, another role, another filter — executes on its own.
 */
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';

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

/**
 * Who would get the same result: computed once per subscription. Null (no sharing)
 * without a viewer or without the document's source text to compare.
 */
export function sharingKey(args: ExecutionArgs): string | null {
  const context = args.contextValue as Partial<Context> | undefined;
  const viewer = context?.viewer;
  const source = args.document.loc?.source.body;
  if (!viewer || source === undefined) return null;
  const { organizationId, role, userId, apiKeyId } = viewer.actor;
  return JSON.stringify([
    organizationId,
    role,
    userId,
    apiKeyId,
    viewer.via,
    viewer.sessionId,
    context.csrfVerified ?? null,
    args.operationName ?? null,
    args.variableValues ?? null,
    source,
  ]);
}

type Execution = Promise<ExecutionResult> | ExecutionResult;

export function freshContextPerEvent(): Plugin {
  // Per event object, per sharing key: kept exactly as long as some subscriber queue still holds the event.
  const executions = new WeakMap<object, Map<string, Execution>>();
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        const context = args.contextValue as object;
        const run = (payload: unknown): Execution =>
          execute({ ...args, rootValue: payload, contextValue: { ...context } });
        const key = sharingKey(args);
        if (key === null) return mapEvents(source, run);
        return mapEvents(source, (payload) => {
          if (typeof payload !== 'object' || payload === null) return run(payload);
          let forEvent = executions.get(payload);
          if (!forEvent) {
            forEvent = new Map();
            executions.set(payload, forEvent);
          }
          let execution = forEvent.get(key);
          if (!execution) {
            execution = run(payload);
            forEvent.set(key, execution);
          }
          return execution;
        });
      });
    },
  };
}
