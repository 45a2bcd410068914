import { describe, expect, it } from 'vitest';
import { createWriteBatcher } from '../../server/executions/write-batcher.ts';

/** A flush whose batches finish only when the test says so. */
function controlledFlush() {
  const batches: { items: number[]; finish: (error?: Error) => void }[] = [];
  const flush = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({ items, finish: (error) => (error ? reject(error) : resolve(items.map((item) => `#${item}`))) });
    });
  return { flush, batches };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('write batcher', () => {
  it('writes what one event-loop turn issued together, and gathers what arrives meanwhile into the next batch', async () => {
    const { flush, batches } = controlledFlush();
    const batcher = createWriteBatcher(flush, 100);
    const first = [1, 2].map((item) => batcher.write(item));
    expect(batches).toHaveLength(0);
    await tick();
    expect(batches.map((batch) => batch.items)).toEqual([[1, 2]]);
    const later = [3, 4, 5].map((item) => batcher.write(item));
    await tick();
    expect(batches).toHaveLength(1);
    batches[0]!.finish();
    await expect(Promise.all(first)).resolves.toEqual(['#1', '#2']);
    await tick();
    expect(batches.map((batch) => batch.items)).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    batches[1]!.finish();
    await expect(Promise.all(later)).resolves.toEqual(['#3', '#4', '#5']);
  });

  it('caps a batch at maxBatch and keeps the rest, in order, for the next', async () => {
    const { flush, batches } = controlledFlush();
    const batcher = createWriteBatcher(flush, 2);
    const all = [1, 2, 3, 4, 5].map((item) => batcher.write(item));
    await tick();
    batches[0]!.finish();
    await tick();
    batches[1]!.finish();
    await tick();
    batches[2]!.finish();
    expect(batches.map((batch) => batch.items)).toEqual([[1, 2], [3, 4], [5]]);
    await expect(Promise.all(all)).resolves.toEqual(['#1', '#2', '#3', '#4', '#5']);
  });

  it('fails only the batch whose write failed, and goes on with the next', async () => {
    const { flush, batches } = controlledFlush();
    const batcher = createWriteBatcher(flush, 100);
    const first = batcher.write(1);
    await tick();
    const second = batcher.write(2);
    batches[0]!.finish(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await tick();
    batches[1]!.finish();
    await expect(second).resolves.toBe('#2');
    const third = batcher.write(3);
    await tick();
    expect(batches).toHaveLength(3);
    batches[2]!.finish();
    await expect(third).resolves.toBe('#3');
  });

  it('refuses a flush that does not answer every item', async () => {
    const batcher = createWriteBatcher(async (items: number[]) => items.slice(1), 100);
    await expect(batcher.write(1)).rejects.toThrow('a batch of 1 writes returned 0 results');
  });

  it('fails only the item a failed batch cannot write: the rest of its batch is written one by one', async () => {
    const flushed: number[][] = [];
    const batcher = createWriteBatcher(async (items: number[]) => {
      flushed.push(items);
      if (items.includes(13)) throw new Error(`cannot store ${items.length === 1 ? 'item' : 'batch'} 13`);
      return items.map((item) => `#${item}`);
    }, 100);
    const results = await Promise.allSettled([1, 13, 2].map((item) => batcher.write(item)));
    expect(results).toEqual([
      { status: 'fulfilled', value: '#1' },
      { status: 'rejected', reason: new Error('cannot store item 13') },
      { status: 'fulfilled', value: '#2' },
    ]);
    expect(flushed).toEqual([[1, 13, 2], [1], [13], [2]]);
  });
});
