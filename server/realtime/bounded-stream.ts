/**
 * A push-to-pull queue with a hard cap. A consumer that lets `limit` values
 * pile up is cut off (queue dropped, producer detached) instead of growing
 * memory, and the transport is told so it can close with a clear code.
 */

export class SlowConsumerError extends Error {
  override name = 'SlowConsumerError';
  constructor() {
    super('subscriber too slow: it fell too far behind and was disconnected');
  }
}

export interface BoundedStreamOptions {
  /** Values waiting unread beyond this many end the stream. */
  limit: number;
  /** Called once, synchronously, when the cap is exceeded. */
  onOverflow?: () => void;
  /** Called once when the stream ends for any reason (detach the producer here). */
  onEnd?: () => void;
}

export interface BoundedStream<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the stream with `error`: unread values are dropped and the consumer's next read rejects with it. */
  fail(error: Error): void;
  /** Values waiting unread. */
  readonly size: number;
}

export function createBoundedStream<T>(options: BoundedStreamOptions): BoundedStream<T> {
  let queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let failing: ((error: Error) => void) | null = null;
  let ended = false;
  /** Why the stream ended, reported once to the consumer (overflow, or `fail`). */
  let failure: Error | null = null;

  function end(): void {
    if (ended) return;
    ended = true;
    options.onEnd?.();
  }

  function settleWaiter(): void {
    const resolve = waiting;
    const reject = failing;
    waiting = null;
    failing = null;
    if (failure && reject) {
      reject(failure);
      failure = null;
    } else resolve?.({ done: true, value: undefined });
  }

  const stream: BoundedStream<T> = {
    get size() {
      return queue.length;
    },
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        failing = null;
        resolve({ done: false, value });
        return;
      }
      queue.push(value);
      if (queue.length > options.limit) {
        failure = new SlowConsumerError();
        queue = [];
        end();
        options.onOverflow?.();
      }
    },
    fail(error) {
      if (ended) return;
      failure = error;
      queue = [];
      end();
      settleWaiter();
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift() as T });
      if (failure) {
        // Reported once; afterwards the stream is simply finished.
        const error = failure;
        failure = null;
        return Promise.reject(error);
      }
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = resolve;
        failing = reject;
      });
    },
    return() {
      queue = [];
      failure = null;
      end();
      settleWaiter();
      return Promise.resolve({ done: true, value: undefined });
    },
    throw(error?: unknown) {
      queue = [];
      failure = null;
      end();
      settleWaiter();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
