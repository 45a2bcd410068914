/**
 * Alerting at run time: tool health changes (published once, by the instance
 * that moved the tool's health) fire and resolve TOOL_HEALTH rules; a timer
 * evaluates error rate, p95 and volume rules over the executions table; the
 * security event log calls `onSecurityEvent`. On PostgreSQL one instance
 * evaluates per round (an advisory lock); incidents dedupe either way.
 */
import type { Logger } from 'pino';
import type { Actor } from '../actor.ts';
import type { Prisma } from '../db/database.ts';
import type { AlertRule } from '../db/generated/prisma/client.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { SwitchboardPubSub, ToolHealthEvent } from '../realtime/pubsub.ts';
import { findAlertChannel } from './alert-channels.ts';
import { fireIncident, openKeys, resolveIncident, type IncidentDeps } from './alert-incidents.ts';
import type { AlertNotifier, NotifyOutcome } from './alert-notifier.ts';
import { createAlertOutbox } from './alert-outbox.ts';
import type { RetryPolicy } from '../deliveries/retry-policy.ts';
import { DEFAULT_WINDOW_SECONDS } from './alert-rules.ts';
import { windowStats, type WindowStats } from './window-stats.ts';

/** An arbitrary constant of Switchboard's: the session lock held by the instance evaluating this round. */
const EVALUATOR_LOCK_KEY = 7_420_118_001;
/** Rules read per page across organizations. */
const RULE_PAGE = 500;

export interface SecurityEvent {
  organizationId: string;
  /** A security event log kind, e.g. `SSRF_REFUSED`, `LOGIN_FAILED`, `API_KEY_REVOKED_USE`. */
  kind: string;
  message?: string;
  at?: Date;
}

export interface Alerting {
  /** Evaluates every windowed rule now (the timer calls this); resolves security incidents past their window. */
  evaluate(now?: Date): Promise<void>;
  /** For the security event log: fires the organization's SECURITY_EVENT rules that list this kind. */
  onSecurityEvent(event: SecurityEvent): Promise<void>;
  sendTestAlert(actor: Actor, channelId: string): Promise<NotifyOutcome>;
  /** Resolves when the work started by health events so far has finished (tests, shutdown). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface AlertingDeps {
  prisma: Prisma;
  sql: SqlDriver;
  pubsub: SwitchboardPubSub;
  notifier: AlertNotifier;
  logger: Logger;
  intervalMs: number;
  /** How notifications to a failing receiver are retried (the result deliveries' schedule). */
  retry: RetryPolicy & { pollIntervalMs: number; leaseMs: number };
}

interface Breach {
  summary: string;
  value: number;
}

function breachOf(rule: AlertRule, stats: WindowStats): Breach | null {
  const threshold = rule.threshold ?? 0;
  const minutes = Math.round((rule.windowSeconds ?? DEFAULT_WINDOW_SECONDS) / 60);
  if (rule.kind === 'VOLUME_ANOMALY') {
    const baseline = stats.baselinePerWindow;
    const spike = stats.executions >= rule.minExecutions && stats.executions > Math.max(baseline, 1) * threshold;
    const drop = baseline >= rule.minExecutions && stats.executions < baseline / threshold;
    if (!spike && !drop) return null;
    return {
      summary: `${stats.executions} executions in ${minutes} min against a baseline of ${baseline.toFixed(1)}`,
      value: stats.executions,
    };
  }
  if (stats.executions < rule.minExecutions) return null;
  if (rule.kind === 'ERROR_RATE') {
    const rate = stats.errors / stats.executions;
    if (rate <= threshold) return null;
    return {
      summary: `error rate ${(rate * 100).toFixed(1)} % over ${minutes} min (${stats.errors} of ${stats.executions}), above ${(threshold * 100).toFixed(1)} %`,
      value: rate,
    };
  }
  if (rule.kind === 'P95_LATENCY') {
    if (stats.p95Ms === null || stats.p95Ms <= threshold) return null;
    return {
      summary: `p95 latency ${Math.round(stats.p95Ms)} ms over ${minutes} min, above ${threshold} ms`,
      value: stats.p95Ms,
    };
  }
  return null;
}

export function createAlerting(deps: AlertingDeps): Alerting {
  const outbox = createAlertOutbox({
    prisma: deps.prisma,
    sql: deps.sql,
    notifier: deps.notifier,
    logger: deps.logger,
    retry: deps.retry,
    pollIntervalMs: deps.retry.pollIntervalMs,
    leaseMs: deps.retry.leaseMs,
  });
  const incidents: IncidentDeps = { prisma: deps.prisma, sql: deps.sql, outbox };
  const inFlight = new Set<Promise<void>>();
  let running: Promise<void> | null = null;
  let closed = false;

  function track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'alerting failed'))
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  async function toolNames(organizationId: string, ids: string[]): Promise<Map<string, string>> {
    const tools = await deps.prisma.tool.findMany({
      where: { organizationId, id: { in: ids } },
      select: { id: true, name: true },
    });
    return new Map(tools.map((tool) => [tool.id, tool.name]));
  }

  async function onToolHealth(event: ToolHealthEvent): Promise<void> {
    const rules = await deps.prisma.alertRule.findMany({
      where: {
        organizationId: event.organizationId,
        kind: 'TOOL_HEALTH',
        enabled: true,
        OR: [{ toolId: null }, { toolId: event.toolId }],
      },
    });
    if (rules.length === 0) return;
    const name = (await toolNames(event.organizationId, [event.toolId])).get(event.toolId) ?? event.toolId;
    const now = new Date(event.at);
    for (const rule of rules) {
      if (rule.healthLevels.includes(event.health)) {
        const summary = `tool ${name} is ${event.health} (was ${event.previous})`;
        await fireIncident(incidents, rule, event.toolId, summary, null, now);
      } else {
        await resolveIncident(incidents, rule, event.toolId, now);
      }
    }
  }

  async function evaluateRule(rule: AlertRule, now: Date): Promise<void> {
    if (rule.kind === 'SECURITY_EVENT') {
      // An event is a moment, not a state: the incident resolves once its window passes.
      const window = (rule.windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
      const stale = await deps.prisma.alertIncident.findMany({
        where: { ruleId: rule.id, openKey: { not: null }, firedAt: { lt: new Date(now.getTime() - window) } },
        select: { dedupeKey: true },
        take: 100,
      });
      for (const incident of stale) await resolveIncident(incidents, rule, incident.dedupeKey, now);
      return;
    }
    const window = rule.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    const stats = await windowStats(
      deps.sql,
      rule.organizationId,
      rule.toolId,
      window,
      now,
      rule.kind === 'VOLUME_ANOMALY',
    );
    const breaches = new Map<string, Breach>();
    for (const sample of stats) {
      const breach = breachOf(rule, sample);
      if (breach) breaches.set(sample.toolId, breach);
    }
    const names =
      breaches.size > 0 ? await toolNames(rule.organizationId, [...breaches.keys()]) : new Map<string, string>();
    for (const [toolId, breach] of breaches) {
      const summary = `tool ${names.get(toolId) ?? toolId}: ${breach.summary}`;
      await fireIncident(incidents, rule, toolId, summary, breach.value, now);
    }
    for (const key of await openKeys(deps.sql, rule.id)) {
      if (!breaches.has(key)) await resolveIncident(incidents, rule, key, now);
    }
  }

  async function evaluateAll(now: Date): Promise<void> {
    let cursor: string | undefined;
    for (;;) {
      const rules = await deps.prisma.alertRule.findMany({
        where: { enabled: true, kind: { not: 'TOOL_HEALTH' } },
        orderBy: { id: 'asc' },
        take: RULE_PAGE,
        ...(cursor && { cursor: { id: cursor }, skip: 1 }),
      });
      for (const rule of rules) {
        if (closed) return;
        try {
          await evaluateRule(rule, now);
        } catch (error) {
          // One rule's failure must not cost the others their round.
          deps.logger.warn({ err: error, ruleId: rule.id }, 'alert rule evaluation failed');
        }
      }
      if (rules.length < RULE_PAGE) return;
      cursor = rules.at(-1)?.id;
    }
  }

  /** PostgreSQL: only the instance holding the lock evaluates; the others skip the round. PGlite has one process. */
  async function evaluateExclusively(now: Date): Promise<void> {
    if (deps.sql.kind === 'pglite') return evaluateAll(now);
    await deps.sql.withConnection(async (connection) => {
      const [row] = await connection.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        EVALUATOR_LOCK_KEY,
      ]);
      if (!row?.locked) return;
      try {
        await evaluateAll(now);
      } finally {
        await connection.query('SELECT pg_advisory_unlock($1)', [EVALUATOR_LOCK_KEY]);
      }
    });
  }

  const stopListening = deps.pubsub.onLocalPublish((topic, payload) => {
    if (!closed && topic.startsWith('tool-health:')) track(onToolHealth(payload as ToolHealthEvent));
  });

  function evaluate(now = new Date()): Promise<void> {
    running ??= evaluateExclusively(now)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'alert evaluation failed'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void evaluate(), deps.intervalMs);
  timer.unref();

  return {
    evaluate,
    async onSecurityEvent(event) {
      const rules = await deps.prisma.alertRule.findMany({
        where: {
          organizationId: event.organizationId,
          kind: 'SECURITY_EVENT',
          enabled: true,
          securityEventKinds: { has: event.kind },
        },
      });
      const summary = `security event ${event.kind}${event.message ? `: ${event.message}` : ''}`;
      for (const rule of rules) {
        await fireIncident(incidents, rule, event.kind, summary, null, event.at ?? new Date());
      }
    },
    async sendTestAlert(actor, channelId) {
      const channel = await findAlertChannel(deps.prisma, actor, channelId);
      const now = new Date().toISOString();
      return deps.notifier.send(channel, {
        event: 'test',
        organizationId: actor.organizationId,
        incidentId: null,
        rule: null,
        key: 'test',
        summary: `a test notification for channel ${channel.name}`,
        value: null,
        firedAt: now,
        resolvedAt: null,
      });
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    async close() {
      closed = true;
      stopListening();
      clearInterval(timer);
      await running;
      await Promise.all(inFlight);
      await outbox.close();
      deps.notifier.close();
    },
  };
}
