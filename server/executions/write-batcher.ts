/**
 * Group commit for the engine's writes. One batch is in flight at a time; what
 * arrives meanwhile waits and goes out together in the next one. An idle
 * batcher writes when the current event-loop turn ends (setImmediate): the
 * writes a busy server issues in one turn (it handles many completions per
 * turn) share the first statement, and an idle engine waits microseconds.
 * The database parses, plans, locks and commits once for the whole batch.
 */

export interface WriteBatcher<I, O> {
  /** Resolves with this item's result once the batch that carried it has been written. */
  write(item: I): Promise<O>;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * `flush` writes a batch and returns one result per item, in order; when it
 * throws, every item of that batch fails with its error and the next batch
 * still goes out. A batch holds at most `maxBatch` items.
 */
export function createWriteBatcher<I, O>(flush: (items: I[]) => Promise<O[]>, maxBatch: number): WriteBatcher<I, O> {
  let queue: Pending<I, O>[] = [];
  let flushing = false;

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const results = await flush(batch.map((pending) => pending.item));
          if (results.length !== batch.length) {
            throw new Error(`a batch of ${batch.length} writes returned ${results.length} results`);
          }
          batch.forEach((pending, index) => pending.resolve(results[index] as O));
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return {
    write(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (flushing) return;
        flushing = true;
        setImmediate(() => void drain());
      });
    },
  };
}
