/**
 * The execution engine: resolve → refuse → validate → rate-limit → (approve)
 * → run under a deadline with retries and a circuit breaker → normalize →
 * record → publish. Plain TypeScript, shared by GraphQL, Vapi and MCP.
 *
 * Refusals (inactive tool, disabled assignment, context not allowed, invalid
 * parameters, rate limits) are recorded as executions, so operators see in the
 * log exactly what the assistant tried and why it did not run. Only requests
 * naming something that does not exist in the organization are thrown
 * (NotFoundError): there is nothing to attach such a row to.
 *
 * This file composes the parts: execution-resolver (what runs), execution-refusals
 * (why not), attempt-loop (running it), approvals (decisions), execution-sweeps
 * (orphans and overdue approvals).
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { ExecutorRegistry } from '../executors/registry.ts';
import type { ExecutableTool, JsonValue, ReportingLinks, SecretAccess } from '../executors/types.ts';
import { CALLS_ENDED_TOPIC, type SwitchboardPubSub } from '../realtime/pubsub.ts';
import { approvalFields } from './approval-preview.ts';
import { createApprovals } from './approvals.ts';
import { jobAttempts, type AsyncQueue } from './async-queue.ts';
import { createAsyncRuns, type AsyncSettledHook } from './async-runs.ts';
import { createAttemptLoop } from './attempt-loop.ts';
import { createBuiltinExecutor } from './builtins.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';
import { mergeOptions, type EngineOptions, type EngineOptionsInput } from './engine-options.ts';
import { createCallResolver, existingExecution, publishEvent } from './execution-recorder.ts';
import { createProgressTracker, type ProgressHook } from './execution-progress.ts';
import { createExecutionReports } from './execution-reports.ts';
import { createExecutionWriter } from './execution-writer.ts';
import { rateLimitRefusal, refusalOf, type Refusal } from './execution-refusals.ts';
import {
  contextJson,
  idempotencyKeyOf,
  storableRequest,
  type Approver,
  type Decider,
  type ExecutionRequest,
} from './execution-request.ts';
import { resolveRequest, type Resolved } from './execution-resolver.ts';
import { forgetStoppedInstances, markInterrupted } from './execution-sweeps.ts';
import { hotSql } from './hot-sql.ts';
import { createInstanceLease } from './instance-lease.ts';
import { createToolLookups } from './lookup-cache.ts';
import { createParameterValidator } from './parameter-validation.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { executionMode } from './tool-settings.ts';
import { NO_USAGE } from './usage-fields.ts';

export {
  DEFAULT_ENGINE_OPTIONS,
  type BucketDefaults,
  type EngineOptions,
  type EngineOptionsInput,
} from './engine-options.ts';
export type { Approver, Decider, ExecutionRequest, ExecutionRequestContext } from './execution-request.ts';

export interface EngineDeps {
  prisma: Prisma;
  /** The driver under `prisma` (same pool): the per-execution statements skip Prisma's raw-query overhead. */
  sql: Pick<SqlDriver, 'kind' | 'query'>;
  registry: ExecutorRegistry;
  secrets: (organizationId: string) => SecretAccess & { revealed(): string[] };
  pubsub: SwitchboardPubSub;
  rateLimiter: RateLimiter;
  /** Shared (Redis) or per instance; in memory with `options.circuitBreaker` when absent. */
  circuitBreaker?: CircuitBreaker;
  logger: Logger;
  clock?: () => number;
  options?: EngineOptionsInput;
  /** Where running tools report progress and Event invocations their result (execution-tokens.ts). */
  links?: (executionId: string) => ReportingLinks;
  /** Each accepted progress report (e.g. the delivery outbox); failures are logged, never fail the tool. */
  onProgress?: ProgressHook;
  /** An execution that awaited its callback reached its final status (callback, deadline or hangup). */
  onCallbackSettled?: (row: ToolExecution) => Promise<void>;
  /**
   * The durable queue async tools run on (graphile-queue.ts, table-queue.ts); started by
   * recoverInterrupted(), stopped by close(). Without one, async tools run inline like sync ones.
   */
  asyncQueue?: AsyncQueue;
  /** Told, at least once, when an async execution reached its final status (async-runs.ts). */
  onAsyncSettled?: AsyncSettledHook;
}

export interface ExecutionEngine {
  run(request: ExecutionRequest): Promise<ToolExecution>;
  approve(decider: Approver, id: string): Promise<ToolExecution>;
  reject(decider: Approver, id: string, reason?: string | null): Promise<ToolExecution>;
  cancel(decider: Decider, id: string): Promise<ToolExecution>;
  /**
   * Registers this instance's lease and starts heartbeating; marks RUNNING rows
   * of stopped or lapsed instances ERROR/INTERRUPTED, expires overdue approvals,
   * starts the periodic sweep.
   */
  recoverInterrupted(): Promise<number>;
  /** This instance's id, recorded on every execution row it writes. */
  readonly instanceId: string;
  /** One sweep now (the periodic one calls this). */
  sweep(): Promise<void>;
  readonly options: EngineOptions;
  /**
   * Settles a call that ended: its pending approvals end CANCELLED (CALL_ENDED),
   * the executions this instance runs for it are aborted unless their tool says
   * `continue_after_hangup`, and its next tool calls are refused. Idempotent.
   */
  settleCall(call: { id: string; organizationId: string; callSid: string }): Promise<void>;
  /**
   * Progress for a RUNNING execution (the caller has checked its token): published, recorded, handed to
   * `onProgress`; `dropped` when over the limits. NotFoundError / ConflictError (not RUNNING).
   */
  reportProgress(executionId: string, message: string): Promise<'accepted' | 'dropped'>;
  /** Finishes an execution awaiting its callback with the function's report (body as POSTed); ConflictError otherwise. */
  completeCallback(executionId: string, body: JsonValue): Promise<ToolExecution>;
  close(): Promise<void>;
}

const CALL_ENDED_MESSAGE = 'The call has ended';
/**
 * Ended call ids kept to catch a tool call racing its hangup; such a race lasts milliseconds, so recent ones
 * suffice. Keys are row UUIDs (fixed size), so the count bounds the bytes.
 */
const ENDED_CALLS_REMEMBERED = 10_000;
const CALL_ENDED_REFUSAL: Refusal & { status: 'CANCELLED' } = {
  status: 'CANCELLED',
  code: 'CALL_ENDED',
  message: CALL_ENDED_MESSAGE,
};

/** How long close() waits for running tools before cancelling them, and for the cancellations to be written. */
const SHUTDOWN_DRAIN_MS = 3_000;
const SHUTDOWN_ABORT_MS = 1_000;
/** Fresh lookups tried after a stale one before giving up (each needs a configuration change racing it). */
const MAX_STALE_ATTEMPTS = 3;
/** Stopped instances are forgotten after a day, once no execution row refers to them as RUNNING. */
const STOPPED_INSTANCE_RETENTION_S = 24 * 3600;

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function createExecutionEngine(deps: EngineDeps): ExecutionEngine {
  const { prisma, pubsub, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const options = mergeOptions(deps.options);
  const validator = createParameterValidator();
  const builtins = createBuiltinExecutor();
  const resolveCall = createCallResolver(prisma);
  const sql = hotSql(deps.sql);
  const writer = createExecutionWriter(sql, deps.asyncQueue?.jobCte);
  const lookups = createToolLookups(sql);
  const executorFor = (tool: ExecutableTool) => (tool.type === 'BUILTIN' ? builtins : deps.registry.get(tool.type));
  const breaker = deps.circuitBreaker ?? createCircuitBreaker({ ...options.circuitBreaker, clock });
  const lease = createInstanceLease({ prisma, logger, heartbeatMs: options.heartbeatMs });
  const progress = createProgressTracker({
    pubsub,
    logger,
    clock,
    ...(deps.onProgress && { onProgress: deps.onProgress }),
  });
  const runner = createAttemptLoop({
    progress,
    ...(deps.links && { links: deps.links }),
    prisma,
    writer,
    pubsub,
    logger,
    clock,
    options,
    breaker,
    secrets: deps.secrets,
    executorFor,
  });
  const reports = createExecutionReports({
    prisma,
    pubsub,
    logger,
    clock,
    output: options.output,
    progress,
    inFlight: runner.inFlight,
    ...(deps.onCallbackSettled && { onCallbackSettled: deps.onCallbackSettled }),
  });
  const queue = deps.asyncQueue;
  const asyncRuns = queue
    ? createAsyncRuns({
        prisma,
        sql,
        queue,
        runner,
        lookups,
        pubsub,
        logger,
        clock,
        instanceId: lease.id,
        exclusive: options.exclusive,
        leaseSeconds: options.leaseMs / 1000,
        onAsyncSettled: deps.onAsyncSettled ?? (() => Promise.resolve()),
        afterStart: (callId) => {
          if (endedHere.has(callId)) abortRunning(callId);
        },
      })
    : null;
  const approvals = createApprovals({
    prisma,
    sql,
    pubsub,
    logger,
    clock,
    options,
    runner,
    instanceId: lease.id,
    ...(asyncRuns && { enqueue: asyncRuns.enqueueApproved }),
  });
  let sweepTimer: NodeJS.Timeout | null = null;
  let endedCalls: AsyncIterator<unknown> | null = null;
  // Calls ended while a tool call of theirs was between resolving the call and writing its row.
  const endedHere = new LRUCache<string, true>({ max: ENDED_CALLS_REMEMBERED });
  let closed = false;

  const now = (): Date => new Date(clock());

  function run(request: ExecutionRequest): Promise<ToolExecution> {
    return attempt(storableRequest(request), 0);
  }

  /**
   * Writes the execution's first row. Null means it was written; otherwise the
   * answer to give instead: the execution that took the idempotency key first
   * (awaited if it is still running here), or, when the organization's
   * configuration changed since it was resolved, a new attempt from a fresh lookup.
   */
  async function firstWrite(
    row: ToolExecution,
    resolved: Resolved,
    request: ExecutionRequest,
    stale: number,
    write: (row: ToolExecution, configVersion: number) => Promise<boolean> = writer.insert,
  ): Promise<ToolExecution | null> {
    if (await write(row, resolved.configVersion)) return null;
    const existing = await existingExecution(prisma, row);
    // A repeat of an async execution is answered at once, as the first one was.
    if (existing) return (existing.queuedAt ? null : runner.inFlight.get(existing.id)?.promise) ?? existing;
    if (resolved.cached) lookups.forget(row.organizationId);
    if (stale >= MAX_STALE_ATTEMPTS) throw new Error(`the configuration kept changing while ${row.id} was written`);
    return attempt(request, stale + 1);
  }

  /** `stale` counts the earlier attempts whose resolution went stale before it was written; any makes this one fresh. */
  async function attempt(request: ExecutionRequest, stale: number): Promise<ToolExecution> {
    const startedMs = clock();
    const resolved = await resolveRequest(lookups, prisma, request, stale > 0);
    const { context } = request;
    const call = context.callSid
      ? await resolveCall({
          organizationId: request.organizationId,
          callSid: context.callSid,
          assistantId: resolved.assistantId,
          from: context.from ?? null,
          to: context.to ?? null,
          platform: context.platform ?? null,
        })
      : null;
    const callId = call?.id ?? null;
    const base: ToolExecution = {
      id: randomUUID(),
      organizationId: request.organizationId,
      toolId: resolved.toolRowId,
      toolName: resolved.tool.name,
      toolVersion: resolved.tool.version,
      assistantId: resolved.assistantId,
      callId,
      userId: request.actor.userId,
      apiKeyId: request.actor.apiKeyId,
      toolCallId: context.toolCallId ?? null,
      idempotencyKey: idempotencyKeyOf(request, resolved.toolRowId ?? `builtin:${resolved.tool.name}`),
      inputParameters: request.parameters,
      outputResult: null,
      status: 'RUNNING',
      startedAt: new Date(startedMs),
      completedAt: null,
      durationMs: null,
      errorMessage: null,
      errorCode: null,
      retryCount: 0,
      triggerContext: context.triggerContext,
      context: contextJson(context),
      request: null,
      logs: null,
      approvalDeadline: null,
      decidedById: null,
      approvalPreview: null,
      approvalDigest: null,
      instanceId: lease.id,
      awaitingCallbackUntil: null,
      callbackAfterHangup: false,
      queuedAt: null,
      ...NO_USAGE,
    };

    const refusal =
      (call?.ended ? CALL_ENDED_REFUSAL : null) ??
      refusalOf(validator, resolved, request) ??
      (await rateLimitRefusal(deps.rateLimiter, options.rateLimits, resolved, request));
    if (refusal) {
      const completedAt = now();
      const row: ToolExecution = {
        ...base,
        status: refusal.status,
        errorCode: refusal.code,
        errorMessage: refusal.message,
        outputResult: { success: false, message: refusal.message, data: null },
        completedAt,
        durationMs: Math.max(0, completedAt.getTime() - startedMs),
      };
      const instead = await firstWrite(row, resolved, request, stale);
      if (instead) return instead;
      publishEvent(pubsub, 'created', row, row.startedAt);
      publishEvent(pubsub, 'finished', row, completedAt);
      await writer.durable();
      return row;
    }

    if (resolved.requireConfirmation) {
      const approvalDeadline = new Date(startedMs + approvals.timeoutMs(resolved));
      const row: ToolExecution = {
        ...base,
        status: 'PENDING_APPROVAL',
        approvalDeadline,
        ...approvalFields(executorFor(resolved.tool), resolved, base),
      };
      const instead = await firstWrite(row, resolved, request, stale);
      if (instead) return instead;
      publishEvent(pubsub, 'created', row, row.startedAt);
      publishEvent(pubsub, 'pending_approval', row, row.startedAt);
      await writer.durable();
      approvals.scheduleExpiry(row.id, approvalDeadline);
      // The call ended after it was resolved above and before this row was written: the hangup missed it.
      if (callId && endedHere.has(callId)) {
        await approvals.cancelPending(callId, CALL_ENDED_REFUSAL);
        return (await prisma.toolExecution.findUnique({ where: { id: row.id } })) ?? row;
      }
      return row;
    }

    if (queue && executionMode(resolved.tool.configuration) === 'async') {
      // Row and job in one statement; a worker (maybe on another instance) takes it from there.
      const row: ToolExecution = { ...base, status: 'QUEUED', queuedAt: base.startedAt, instanceId: null };
      const attempts = jobAttempts(resolved.retryAttempts);
      const instead = await firstWrite(row, resolved, request, stale, (queued, version) =>
        writer.insertQueued(queued, version, attempts),
      );
      if (instead) return instead;
      queue.enqueued();
      publishEvent(pubsub, 'created', row, row.startedAt);
      await writer.durable();
      if (callId && endedHere.has(callId)) {
        await asyncRuns?.cancelQueued(callId, CALL_ENDED_REFUSAL);
        return (await prisma.toolExecution.findUnique({ where: { id: row.id } })) ?? row;
      }
      return row;
    }

    const instead = await firstWrite(base, resolved, request, stale);
    if (instead) return instead;
    publishEvent(pubsub, 'created', base, base.startedAt);
    const finished = runner.execute(base, resolved, request.parameters, startedMs);
    if (callId && endedHere.has(callId)) abortRunning(callId);
    return finished;
  }

  /** RUNNING rows nobody will finish: see markInterrupted(). */
  function interrupted(all: boolean): Promise<number> {
    return markInterrupted(prisma, pubsub, now(), {
      instanceId: lease.id,
      mine: runner.mine(),
      all,
      leaseSeconds: options.leaseMs / 1000,
      graceSeconds: options.staleGraceMs / 1000,
    });
  }

  async function sweep(): Promise<void> {
    await approvals.expire();
    await reports.expireOverdue();
    const count = await interrupted(false);
    if (count > 0) logger.warn({ count }, 'took over interrupted executions');
  }

  function startSweeping(): void {
    if (sweepTimer || closed) return;
    sweepTimer = setInterval(() => {
      void sweep().catch((error: unknown) => logger.warn({ err: error }, 'execution sweep failed'));
    }, options.sweepIntervalMs);
    sweepTimer.unref();
  }

  async function recoverInterrupted(): Promise<number> {
    // Lapsed leases are looked for on every heartbeat: rows of a dead instance wait at most leaseMs + heartbeatMs.
    await lease.start(async () => {
      const count = await interrupted(false);
      if (count > 0) logger.warn({ count }, 'took over executions of a stopped or lapsed instance');
      const released = (await queue?.releaseLapsed(lease.id, options.leaseMs / 1000)) ?? 0;
      if (released > 0) logger.warn({ released }, 'released the async jobs of a stopped or lapsed instance');
    });
    const count = await interrupted(options.exclusive);
    await forgetStoppedInstances(prisma, STOPPED_INSTANCE_RETENTION_S);
    await approvals.expire();
    await approvals.restoreTimers();
    if (queue && asyncRuns) await queue.start(asyncRuns.runQueued, lease.id);
    followEndedCalls();
    startSweeping();
    if (count > 0) logger.warn({ count }, 'marked interrupted executions');
    return count;
  }

  async function settleCall(call: { id: string; organizationId: string; callSid: string }): Promise<void> {
    await settleHere(call);
    pubsub.publish(CALLS_ENDED_TOPIC, { ...call, instanceId: lease.id });
  }

  /** Ends of calls on other instances: what this one runs for them is settled here. */
  function followEndedCalls(): void {
    if (endedCalls) return;
    const stream = pubsub.subscribe(CALLS_ENDED_TOPIC);
    endedCalls = stream;
    void (async () => {
      for await (const event of stream) {
        if (event.instanceId === lease.id) continue;
        await settleHere(event).catch((error: unknown) =>
          logger.error({ err: error, callId: event.id }, 'settling an ended call failed'),
        );
      }
    })();
  }

  async function settleHere(call: { id: string; organizationId: string; callSid: string }): Promise<void> {
    resolveCall.forget(call.organizationId, call.callSid);
    endedHere.set(call.id, true);
    // Queued ones first: one taken meanwhile is then running here or elsewhere, and aborted like the others.
    await asyncRuns?.cancelQueued(call.id, CALL_ENDED_REFUSAL);
    const aborted = abortRunning(call.id);
    await approvals.cancelPending(call.id, CALL_ENDED_REFUSAL);
    await Promise.allSettled(aborted);
    // After the aborts: an invocation accepted just before the hangup has parked its row by now.
    await reports.cancelForCall(call.id);
  }

  function abortRunning(callId: string): Promise<ToolExecution>[] {
    const aborted: Promise<ToolExecution>[] = [];
    for (const entry of runner.inFlight.values()) {
      if (entry.callId !== callId || entry.continueAfterHangup || entry.cancelled) continue;
      entry.cancelled = true;
      entry.cancelReason = { code: 'CALL_ENDED', message: CALL_ENDED_MESSAGE, retryable: false };
      entry.controller.abort(new DOMException(CALL_ENDED_MESSAGE, 'AbortError'));
      aborted.push(entry.promise);
    }
    return aborted;
  }

  async function close(): Promise<void> {
    closed = true;
    if (sweepTimer) clearInterval(sweepTimer);
    sweepTimer = null;
    approvals.close();
    await endedCalls?.return?.();
    // No new jobs from here; the running ones drain below with the rest.
    const queueStopped = queue?.stop();
    // Running tools get to finish and be recorded; whatever is still running after that is cancelled.
    const running = [...runner.inFlight.values()];
    const settle = Promise.allSettled(running.map((entry) => entry.promise));
    const drained = await Promise.race([settle.then(() => true), sleepMs(SHUTDOWN_DRAIN_MS).then(() => false)]);
    if (!drained) {
      // Read again: a job a worker took while the queue was stopping is running now too.
      for (const entry of runner.inFlight.values()) {
        // A queued one is not cancelled: its job runs it again, here after a restart or on another instance.
        if (entry.queued) entry.abandoned = true;
        else entry.cancelled = true;
        entry.controller.abort(new DOMException('The server is shutting down', 'AbortError'));
      }
      await Promise.race([settle, sleepMs(options.abortGraceMs + SHUTDOWN_ABORT_MS)]);
    }
    await queueStopped?.catch((error: unknown) => logger.warn({ err: error }, 'stopping the async queue failed'));
    runner.stop();
    // Recorded as stopped: other instances take over at once whatever is still RUNNING here.
    await lease.stop().catch((error: unknown) => logger.warn({ err: error }, 'recording the instance stop failed'));
    await deps.rateLimiter.close();
    await breaker.close();
  }

  return {
    run,
    approve: approvals.approve,
    reject: approvals.reject,
    cancel: approvals.cancel,
    recoverInterrupted,
    instanceId: lease.id,
    sweep,
    options,
    settleCall,
    reportProgress: reports.reportProgress,
    completeCallback: reports.completeCallback,
    close,
  };
}
