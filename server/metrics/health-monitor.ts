/**
 * Watches this instance's finished executions and re-evaluates the health of
 * the tools involved every `intervalMs`; a change is published on
 * `tool-health:<organizationId>`. Tools that are not OK stay under watch, so
 * one recovers as its failures age out of the window even with no new calls.
 *
 * Each instance judges the tools whose executions it ran, and the last health
 * announced is kept on the tool's row: a change is announced by the instance
 * whose compare-and-set moved the row, so several instances judging the same
 * tool announce each change once, with the previous health they all agree on.
 */
import type { Logger } from 'pino';
import type { SqlDriver } from '../db/sql-driver.ts';
import { toolHealthTopic, type ExecutionEvent, type SwitchboardPubSub, type ToolHealth } from '../realtime/pubsub.ts';
import { healthOf, queryHealthSamples, type HealthSample } from './tool-health.ts';

export interface HealthMonitor {
  /** Evaluates every watched tool now (the timer calls this). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Records `health` as the tool's last announced health unless it already is;
 * returns the health it replaced, or null when there is nothing to announce
 * (unchanged, another instance announced it first, or the tool is gone). Raw
 * SQL: Prisma would move `updated_at`, a tool's edit time.
 */
async function announceHealth(sql: SqlDriver, toolId: string, health: ToolHealth): Promise<ToolHealth | null> {
  const rows = await sql.query<{ previous: ToolHealth }>(
    `UPDATE "tools" AS t SET "last_health" = $2::text
     FROM (SELECT "id", "last_health" AS "previous" FROM "tools" WHERE "id" = $1::uuid FOR UPDATE) AS p
     WHERE t."id" = p."id" AND p."previous" <> $2::text
     RETURNING p."previous"`,
    [toolId, health],
  );
  return rows[0]?.previous ?? null;
}

export function createHealthMonitor(deps: {
  sql: SqlDriver;
  pubsub: SwitchboardPubSub;
  logger: Logger;
  intervalMs: number;
  clock?: () => number;
}): HealthMonitor {
  const clock = deps.clock ?? Date.now;
  /** organizationId → tool ids to evaluate at the next check. */
  const dirty = new Map<string, Set<string>>();
  let running: Promise<void> | null = null;

  function watch(organizationId: string, toolId: string): void {
    let tools = dirty.get(organizationId);
    if (!tools) dirty.set(organizationId, (tools = new Set()));
    tools.add(toolId);
  }

  const stopListening = deps.pubsub.onLocalPublish((topic, payload) => {
    if (!topic.startsWith('executions:')) return;
    const event = payload as ExecutionEvent;
    if (event.kind === 'finished' && event.toolId) watch(event.organizationId, event.toolId);
  });

  /**
   * Samples of an organization's tools; when the batch query fails, tool by tool, so a bad tool costs
   * only itself. Tools whose samples could not be read are left out (and watched for the next round).
   */
  async function samplesOf(
    organizationId: string,
    ids: string[],
    now: Date,
  ): Promise<Map<string, HealthSample | null>> {
    try {
      const batch = await queryHealthSamples(deps.sql, organizationId, ids, now);
      return new Map(ids.map((toolId) => [toolId, batch.get(toolId) ?? null]));
    } catch (error) {
      deps.logger.warn({ err: error, organizationId }, 'tool health: batch query failed; checking tools one by one');
    }
    const samples = new Map<string, HealthSample | null>();
    for (const toolId of ids) {
      try {
        const one = await queryHealthSamples(deps.sql, organizationId, [toolId], now);
        samples.set(toolId, one.get(toolId) ?? null);
      } catch (error) {
        deps.logger.warn({ err: error, organizationId, toolId }, 'tool health check failed for a tool');
        watch(organizationId, toolId);
      }
    }
    return samples;
  }

  async function evaluateTool(organizationId: string, toolId: string, sample: HealthSample | null, now: Date) {
    const health = healthOf(sample ?? undefined);
    if (health !== 'OK') watch(organizationId, toolId);
    const previous = await announceHealth(deps.sql, toolId, health);
    if (previous === null) return;
    deps.pubsub.publish(toolHealthTopic(organizationId), {
      organizationId,
      toolId,
      health,
      previous,
      at: now.toISOString(),
    });
  }

  async function evaluate(): Promise<void> {
    const batch = [...dirty.entries()];
    dirty.clear();
    const now = new Date(clock());
    for (const [organizationId, tools] of batch) {
      const samples = await samplesOf(organizationId, [...tools], now);
      for (const [toolId, sample] of samples) {
        try {
          await evaluateTool(organizationId, toolId, sample, now);
        } catch (error) {
          // One tool's failure (a database error) must not cost the others their round.
          deps.logger.warn({ err: error, organizationId, toolId }, 'tool health check failed for a tool');
          watch(organizationId, toolId);
        }
      }
    }
  }

  function check(): Promise<void> {
    running ??= evaluate()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'tool health check failed'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void check(), deps.intervalMs);
  timer.unref();

  return {
    check,
    async close() {
      stopListening();
      clearInterval(timer);
      await running;
    },
  };
}
