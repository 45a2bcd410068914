/**
 * Group commit for the engine's writes. One batch is in flight at a time; what
 * arrives meanwhile waits and goes out together in the next one. An idle
 * batcher writes when the current event-loop turn ends (setImmediate): the
 * writes a busy server issues in one turn (it handles many completions per
 * turn) share the first statement, and an idle engine waits microseconds.
 * The database parses, plans, locks and commits once for the whole batch.
 *
 * A batch carries many organizations' rows, so one bad row must not fail the
 * others: a batch that fails is written again item by item, and only the
 * items that fail alone get the error.
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
 * throws, each item of that batch is flushed alone and fails only with its own
 * error, and the next batch still goes out. A batch holds at most `maxBatch` items.
 */
export function createWriteBatcher<I, O>(
  flush: (items: I[]) => Promise<O[]>,
  maxBatch: number,
  /** False where the items are interchangeable (a flush barrier): a failed batch fails them all. */
  isolateFailures = true,
): WriteBatcher<I, O> {
  let queue: Pending<I, O>[] = [];
  let flushing = false;

  async function writeBatch(batch: Pending<I, O>[]): Promise<void> {
    const results = await flush(batch.map((pending) => pending.item));
    if (results.length !== batch.length) {
      throw new Error(`a batch of ${batch.length} writes returned ${results.length} results`);
    }
    batch.forEach((pending, index) => pending.resolve(results[index] as O));
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          await writeBatch(batch);
        } catch (error) {
          if (batch.length === 1 || !isolateFailures) {
            for (const pending of batch) pending.reject(error);
            continue;
          }
          for (const pending of batch) {
            await writeBatch([pending]).catch((alone: unknown) => pending.reject(alone));
          }
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
