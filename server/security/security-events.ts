/**
 * The security event log's recorder. `record()` only appends to a bounded
 * in-memory queue and returns at once; a timer writes the queue in batches.
 * Recording therefore never slows or fails the request that saw the event:
 * when the queue is full or the database refuses a batch, the events are
 * dropped and counted (delivery is best effort, not at-least-once). Listeners
 * (`onEvent`) see every event synchronously, before it is written, which is
 * what a future alerting module subscribes to.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor } from '../actor.ts';
import { Counter, type Registry } from 'prom-client';
import type { Prisma } from '../db/database.ts';
import type { SecurityEventKind, SecurityEventSeverity } from '../db/generated/prisma/client.ts';

export type { SecurityEventKind, SecurityEventSeverity };

export type SecurityActorType = 'user' | 'apiKey' | 'address' | 'system';
export type SecurityDetailValue = string | number | boolean | null;

export interface SecurityEventInput {
  kind: SecurityEventKind;
  /** Null only when no organization can be named; such events are visible to no organization. */
  organizationId: string | null;
  actor: { type: SecurityActorType; id: string | null };
  subject?: { type: string; id: string } | null;
  /** Names, codes and counts only: never secret values, tokens or request bodies. */
  details?: Record<string, SecurityDetailValue>;
}

export interface SecurityEvent extends Required<SecurityEventInput> {
  id: string;
  severity: SecurityEventSeverity;
  createdAt: Date;
}

export interface SecurityEventSink {
  record(input: SecurityEventInput): void;
}

export interface SecurityEventRecorder extends SecurityEventSink {
  /** Called synchronously for every recorded event; returns the unsubscribe function. */
  onEvent(listener: (event: SecurityEvent) => void): () => void;
  /** Writes what is queued now (done by the timer; tests and shutdown call it). */
  flush(): Promise<void>;
  /** Deletes events older than the retention; returns how many. */
  prune(now?: Date): Promise<number>;
  /** Events lost because the queue was full or the database refused them. */
  dropped(): number;
  close(): Promise<void>;
}

export const SEVERITY: Record<SecurityEventKind, SecurityEventSeverity> = {
  SSRF_REFUSED: 'HIGH',
  SANDBOX_PERMISSION_DENIED: 'HIGH',
  SANDBOX_MEMORY_KILL: 'WARNING',
  SANDBOX_TIME_KILL: 'WARNING',
  LOGIN_FAILED: 'WARNING',
  LOGIN_THROTTLED: 'HIGH',
  CSRF_REFUSED: 'HIGH',
  API_KEY_CREATED: 'INFO',
  API_KEY_REVOKED: 'INFO',
  API_KEY_REVOKED_USE: 'HIGH',
  APPROVAL_APPROVED: 'INFO',
  APPROVAL_REJECTED: 'INFO',
  SECRET_GRANTED: 'INFO',
  SECRET_GRANT_REVOKED: 'INFO',
  SECRET_USED: 'INFO',
  SECRET_USE_DENIED: 'WARNING',
  PASSWORD_CHANGED: 'INFO',
  // Whoever holds the link can take the account over: worth a look unless the admin was asked.
  PASSWORD_RESET_LINK_CREATED: 'WARNING',
  PASSWORD_RESET: 'WARNING',
  SESSION_REVOKED: 'INFO',
};

const QUEUE_LIMIT = 10_000;
const BATCH_SIZE = 500;
const FLUSH_INTERVAL_MS = 1_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const MAX_DETAIL_KEYS = 16;
const MAX_TEXT_CHARS = 200;
const DAY_MS = 24 * 60 * 60 * 1000;

function clip(text: string | null): string | null {
  return text === null ? null : text.slice(0, MAX_TEXT_CHARS);
}

function boundedDetails(details: Record<string, SecurityDetailValue> | undefined): Record<string, SecurityDetailValue> {
  const bounded: Record<string, SecurityDetailValue> = {};
  for (const [key, value] of Object.entries(details ?? {}).slice(0, MAX_DETAIL_KEYS)) {
    bounded[key.slice(0, 64)] = typeof value === 'string' ? clip(value) : value;
  }
  return bounded;
}

/** The person or key behind an action, as an event's actor. */
export function securityActor(actor: Pick<Actor, 'userId' | 'apiKeyId'>): SecurityEventInput['actor'] {
  if (actor.apiKeyId) return { type: 'apiKey', id: actor.apiKeyId };
  return actor.userId ? { type: 'user', id: actor.userId } : { type: 'system', id: null };
}

const recorders = new WeakMap<Prisma, SecurityEventSink>();
/** Records nothing: for code created without a recorder (tests, scripts). */
export const NO_SECURITY_EVENTS: SecurityEventSink = { record() {} };

/**
 * The recorder buildApp() attached to this database client (a no-op before or
 * without one), so plain domain functions that already take `prisma` can record
 * without every caller threading one more dependency (as api-key-cache.ts memoizes).
 */
export function securityEventsOf(prisma: Prisma): SecurityEventSink {
  return recorders.get(prisma) ?? NO_SECURITY_EVENTS;
}

export function createSecurityEventRecorder(deps: {
  prisma: Prisma;
  logger: Logger;
  registry?: Registry;
  retentionDays: number;
  queueLimit?: number;
  flushIntervalMs?: number;
}): SecurityEventRecorder {
  const queueLimit = deps.queueLimit ?? QUEUE_LIMIT;
  const counter = new Counter({
    name: 'switchboard_security_events_total',
    help: 'Security events recorded by this instance, by kind.',
    labelNames: ['kind'] as const,
    registers: deps.registry ? [deps.registry] : [],
  });
  const droppedCounter = new Counter({
    name: 'switchboard_security_events_dropped_total',
    help: 'Security events not written: the queue was full or the database refused the batch.',
    registers: deps.registry ? [deps.registry] : [],
  });
  const listeners = new Set<(event: SecurityEvent) => void>();
  let queue: SecurityEvent[] = [];
  let droppedCount = 0;
  let writing: Promise<void> = Promise.resolve();

  function drop(count: number): void {
    droppedCount += count;
    droppedCounter.inc(count);
  }

  async function writeQueued(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH_SIZE);
      queue = queue.slice(BATCH_SIZE);
      try {
        await deps.prisma.securityEvent.createMany({
          data: batch.map((event) => ({
            id: event.id,
            organizationId: event.organizationId,
            kind: event.kind,
            severity: event.severity,
            actorType: event.actor.type,
            actorId: event.actor.id,
            subjectType: event.subject?.type ?? null,
            subjectId: event.subject?.id ?? null,
            details: event.details,
            createdAt: event.createdAt,
          })),
        });
      } catch (error) {
        drop(batch.length);
        deps.logger.warn({ err: error, count: batch.length }, 'security events: a batch could not be written');
      }
    }
  }

  function flush(): Promise<void> {
    writing = writing.then(writeQueued);
    return writing;
  }

  async function prune(now = new Date()): Promise<number> {
    const { count } = await deps.prisma.securityEvent.deleteMany({
      where: { createdAt: { lt: new Date(now.getTime() - deps.retentionDays * DAY_MS) } },
    });
    return count;
  }

  const flushTimer = setInterval(() => void flush(), deps.flushIntervalMs ?? FLUSH_INTERVAL_MS);
  flushTimer.unref();
  const pruneTimer = setInterval(
    () => void prune().catch((error: unknown) => deps.logger.warn({ err: error }, 'security events: pruning failed')),
    PRUNE_INTERVAL_MS,
  );
  pruneTimer.unref();

  const recorder: SecurityEventRecorder = {
    record(input) {
      const event: SecurityEvent = {
        id: randomUUID(),
        kind: input.kind,
        severity: SEVERITY[input.kind],
        organizationId: input.organizationId,
        actor: { type: input.actor.type, id: clip(input.actor.id) },
        subject: input.subject ? { type: input.subject.type, id: clip(input.subject.id) ?? '' } : null,
        details: boundedDetails(input.details),
        createdAt: new Date(),
      };
      counter.inc({ kind: event.kind });
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          deps.logger.warn({ err: error }, 'security events: a listener failed');
        }
      }
      if (queue.length >= queueLimit) drop(1);
      else queue.push(event);
      if (queue.length >= BATCH_SIZE) void flush();
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush,
    prune,
    dropped: () => droppedCount,
    async close() {
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      await flush();
      if (recorders.get(deps.prisma) === recorder) recorders.delete(deps.prisma);
      listeners.clear();
    },
  };
  recorders.set(deps.prisma, recorder);
  // A first sweep soon after start, so a long-stopped instance does not wait an hour.
  void prune().catch((error: unknown) => deps.logger.warn({ err: error }, 'security events: pruning failed'));
  return recorder;
}
