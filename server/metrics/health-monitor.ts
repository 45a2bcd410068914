/**
 * Watches this instance's finished executions and re-evaluates the health of
 * the tools involved every `intervalMs`; a change is published on
 * `tool-health:<organizationId>`. Tools that are not OK stay under watch, so
 * one recovers as its failures age out of the window even with no new calls.
 *
 * The last known health lives in this process: with several instances each
 * judges the executions it ran, and a change may be announced by more than one.
 */
import type { Logger } from 'pino';
import type { SqlDriver } from '../db/sql-driver.ts';
import { toolHealthTopic, type ExecutionEvent, type SwitchboardPubSub, type ToolHealth } from '../realtime/pubsub.ts';
import { healthOf, queryHealthSamples } from './tool-health.ts';

export interface HealthMonitor {
  /** Evaluates every watched tool now (the timer calls this). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Forgetting tools that have been OK for a while keeps the map to the tools in use. */
const MAX_KNOWN_TOOLS = 50_000;

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
  /** toolId → last health announced. */
  const known = new Map<string, ToolHealth>();
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

  async function evaluate(): Promise<void> {
    const batch = [...dirty.entries()];
    dirty.clear();
    const now = new Date(clock());
    for (const [organizationId, tools] of batch) {
      const ids = [...tools];
      const samples = await queryHealthSamples(deps.sql, organizationId, ids, now);
      for (const toolId of ids) {
        const health = healthOf(samples.get(toolId));
        const previous = known.get(toolId) ?? 'OK';
        if (health !== 'OK') watch(organizationId, toolId);
        if (health === 'OK') known.delete(toolId);
        else known.set(toolId, health);
        if (health !== previous) {
          deps.pubsub.publish(toolHealthTopic(organizationId), {
            organizationId,
            toolId,
            health,
            previous,
            at: now.toISOString(),
          });
        }
      }
    }
    while (known.size > MAX_KNOWN_TOOLS) known.delete(known.keys().next().value as string);
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
