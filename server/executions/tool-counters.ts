/**
 * A tool's `execution_count` and `last_executed_at`. Every run of a tool
 * updates the same `tools` row, so concurrent runs would queue on its row lock
 * one statement each (under load that queue cost more CPU than the runs'
 * own writes). Instead, per tool, one UPDATE is in flight at a time, and the
 * runs finishing meanwhile are added up into the next one: no increment is
 * lost or applied twice, and an idle tool still gets its UPDATE at once.
 */
import type { HotSql } from './hot-sql.ts';

export interface ToolCounters {
  /** Resolves once this run is counted (asynchronous commit, see finishExecution). */
  bump(toolId: string, at: Date): Promise<void>;
}

interface Batch {
  count: number;
  lastAt: Date;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Counters are raw on purpose: Prisma would also bump `updated_at`, and a
 * tool's edit time must not move when it runs. The asynchronous commit keeps
 * the row lock from being held through a WAL flush.
 */
const BUMP = `UPDATE "tools" SET "execution_count" = "execution_count" + $3::int,
    "last_executed_at" = GREATEST(COALESCE("last_executed_at", $1::timestamptz), $1::timestamptz)
  FROM (SELECT set_config('synchronous_commit', 'off', true)) AS "async_commit"
  WHERE "id" = $2::uuid RETURNING "id"`;

export function createToolCounters(sql: HotSql): ToolCounters {
  const waiting = new Map<string, Batch>();
  const flushing = new Set<string>();

  async function flush(toolId: string): Promise<void> {
    flushing.add(toolId);
    try {
      for (let batch = waiting.get(toolId); batch; batch = waiting.get(toolId)) {
        waiting.delete(toolId);
        try {
          await sql.query(BUMP, [batch.lastAt.toISOString(), toolId, batch.count]);
          for (const waiter of batch.waiters) waiter.resolve();
        } catch (error) {
          for (const waiter of batch.waiters) waiter.reject(error);
        }
      }
    } finally {
      flushing.delete(toolId);
    }
  }

  return {
    bump(toolId, at) {
      return new Promise<void>((resolve, reject) => {
        let batch = waiting.get(toolId);
        if (!batch) {
          batch = { count: 0, lastAt: at, waiters: [] };
          waiting.set(toolId, batch);
        }
        batch.count += 1;
        if (at > batch.lastAt) batch.lastAt = at;
        batch.waiters.push({ resolve, reject });
        if (!flushing.has(toolId)) void flush(toolId);
      });
    },
  };
}
