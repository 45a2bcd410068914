import { describe, expect, it } from 'vitest';
import type { HotSql } from '../../server/executions/hot-sql.ts';
import { createToolCounters } from '../../server/executions/tool-counters.ts';

/** A statement log whose statements finish only when the test says so. */
function controlledSql() {
  const calls: { params: unknown[]; finish: (error?: Error) => void }[] = [];
  const sql: HotSql = {
    query<Row extends object>(_text: string, params: unknown[]) {
      return new Promise<Row[]>((resolve, reject) => {
        calls.push({ params, finish: (error) => (error ? reject(error) : resolve([])) });
      });
    },
  };
  return { sql, calls };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('tool counters', () => {
  it('sends the first bump at once and adds up those arriving while it is in flight', async () => {
    const { sql, calls } = controlledSql();
    const counters = createToolCounters(sql);
    const first = counters.bump('tool-a', new Date(1_000));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params).toEqual([new Date(1_000).toISOString(), 'tool-a', 1]);
    const later = [3_000, 2_000, 2_500].map((ms) => counters.bump('tool-a', new Date(ms)));
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await first;
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.params).toEqual([new Date(3_000).toISOString(), 'tool-a', 3]);
    calls[1]!.finish();
    await Promise.all(later);
  });

  it('keeps tools apart and fails only the batch whose statement failed', async () => {
    const { sql, calls } = controlledSql();
    const counters = createToolCounters(sql);
    const a = counters.bump('tool-a', new Date(1_000));
    const b = counters.bump('tool-b', new Date(1_000));
    expect(calls.map((call) => call.params[1])).toEqual(['tool-a', 'tool-b']);
    calls[0]!.finish(new Error('database gone'));
    calls[1]!.finish();
    await expect(a).rejects.toThrow('database gone');
    await expect(b).resolves.toBeUndefined();
    const again = counters.bump('tool-a', new Date(2_000));
    expect(calls).toHaveLength(3);
    calls[2]!.finish();
    await expect(again).resolves.toBeUndefined();
  });
});
