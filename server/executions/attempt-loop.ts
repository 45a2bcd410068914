/**
 * Runs a RUNNING execution to its end: the executor under the tool's deadline
 * (an AbortSignal that reaches the socket), retries with backoff on retryable
 * failures, the per-tool circuit breaker, then the final fields written once.
 * Executions in flight are tracked so they can be cancelled or awaited.
 */
import { usageColumns } from './usage-fields.ts';
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { ExecutionStatus, ToolExecution } from '../db/generated/prisma/client.ts';
import { recordingSecretUses } from '../security/secret-use-events.ts';
import { securityEventsOf } from '../security/security-events.ts';
import { recordToolSecurityEvent } from '../security/tool-security-events.ts';
import type {
  ExecutableTool,
  ExecutionContext,
  ExecutionErrorCode,
  ExecutionFailure,
  Executor,
  ExecutorOutcome,
  JsonObject,
  JsonValue,
  ReportingLinks,
  SecretAccess,
  TriggerContext,
} from '../executors/types.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { checkSecretGrants, grantedOnly, type GrantCheck } from '../secrets/secret-grants.ts';
import { breakerKey, type CircuitBreaker, type CircuitPermit } from './circuit-breaker.ts';
import type { EngineOptions } from './engine-options.ts';
import { publishEvent } from './execution-recorder.ts';
import type { ProgressTracker } from './execution-progress.ts';
import type { Resolved } from './execution-resolver.ts';
import type { Count, ExecutionWriter, Outcome } from './execution-writer.ts';
import { inExecutionSpan } from './execution-span.ts';
import { createNormalizer } from './result-normalizer.ts';
import { nextRetryDelay, sleep } from './retry.ts';
import { continuesAfterHangup } from './tool-settings.ts';
import { currentTraceContext } from '../tracing/trace-context.ts';

export interface InFlight {
  /** The row as it started (RUNNING). */
  row: ToolExecution;
  controller: AbortController;
  promise: Promise<ToolExecution>;
  cancelled: boolean;
  /** Why it was cancelled, when not by a plain cancel (e.g. CALL_ENDED at hangup). */
  cancelReason?: ExecutionFailure;
  /** The Call row the execution belongs to, and whether the tool runs on after that call ends. */
  callId: string | null;
  continueAfterHangup: boolean;
  /** An async execution run from the queue (async-runs.ts). */
  queued: boolean;
  /** Stopped at shutdown without a verdict: nothing is written, its job runs it again (queued ones only). */
  abandoned?: boolean;
}

export interface AttemptLoopDeps {
  prisma: Prisma;
  writer: ExecutionWriter;
  pubsub: SwitchboardPubSub;
  logger: Logger;
  clock: () => number;
  options: EngineOptions;
  breaker: CircuitBreaker;
  secrets: (organizationId: string) => SecretAccess & { revealed(): string[] };
  executorFor(tool: ExecutableTool): Executor | undefined;
  progress: ProgressTracker;
  /** Where a running tool reports back; absent when the server has no reporting URL. */
  links?: (executionId: string) => ReportingLinks;
}

export interface AttemptLoop {
  /**
   * Runs the row (already RUNNING) and resolves with it finished; a `queued` one abandoned at shutdown
   * rejects with ExecutionAbandonedError instead.
   */
  execute(
    row: ToolExecution,
    resolved: Resolved,
    parameters: JsonObject,
    runStartMs: number,
    queued?: boolean,
  ): Promise<ToolExecution>;
  /** Executions this process is running now, by id. */
  readonly inFlight: ReadonlyMap<string, InFlight>;
  /** Ids of executions this process ran or is running whose final row is not stored yet. */
  mine(): string[];
  /** Stops retrying finishes the database refused (at shutdown). */
  stop(): void;
}

/** The caller could not be told the outcome: it ran, but its row could not be stored in time. */
export class ExecutionNotStoredError extends Error {
  constructor(id: string, cause: unknown) {
    super(`execution ${id} ran but its result could not be stored yet; it is being retried`, { cause });
    this.name = 'ExecutionNotStoredError';
  }
}

/** A Lambda Event invocation accepted: the row stays RUNNING until its callback (execution-callbacks.ts). */
type Parked = Omit<Outcome, 'completedAt' | 'durationMs'> &
  Pick<ToolExecution, 'awaitingCallbackUntil' | 'callbackAfterHangup'> & { completedAt: null; durationMs: null };
/** A queued execution stopped at shutdown: its row stays RUNNING under a stopped instance, its job runs it again. */
export class ExecutionAbandonedError extends Error {
  constructor(id: string) {
    super(`execution ${id} was stopped at shutdown; its job runs it again`);
    this.name = 'ExecutionAbandonedError';
  }
}

/** Backoff between attempts to store a finish the database refused. */
const FINISH_RETRY_BASE_MS = 50;
const FINISH_RETRY_MAX_MS = 2_000;
/** After this long a finish is given up (logged); the row is then left to the sweeps. */
const FINISH_GIVE_UP_MS = 10 * 60_000;

/** Failure codes with a status of their own; every other failure is ERROR. */
const STATUS_BY_CODE: Partial<Record<ExecutionErrorCode, ExecutionStatus>> = {
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  CALL_ENDED: 'CANCELLED',
  RATE_LIMITED: 'RATE_LIMITED',
  REJECTED: 'REJECTED',
  APPROVAL_TIMEOUT: 'REJECTED',
};

/** Failures that say something about the upstream's health, as opposed to the request or configuration. */
const BREAKER_CODES = new Set<ExecutionErrorCode>(['TIMEOUT', 'SANDBOX_CRASHED', 'SANDBOX_UNAVAILABLE']);

function countsAgainstBreaker(outcome: ExecutorOutcome): boolean {
  if (outcome.ok) return false;
  const status = outcome.meta?.status;
  return (
    outcome.error.retryable || BREAKER_CODES.has(outcome.error.code) || (typeof status === 'number' && status >= 500)
  );
}

function text(value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function failed(code: ExecutionErrorCode, message: string): ExecutorOutcome {
  return { ok: false, error: { code, message, retryable: false } };
}

function abortFailure(signal: AbortSignal): ExecutionFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return { code: 'TIMEOUT', message: reason.message || 'The execution deadline passed', retryable: false };
  }
  return { code: 'CANCELLED', message: 'The execution was cancelled', retryable: false };
}

/** What the executor is told about the call, from the execution's row. */
export function executionContextOf(row: ToolExecution): ExecutionContext {
  const context = row.context as JsonObject;
  return {
    executionId: row.id,
    organizationId: row.organizationId,
    assistantId: row.assistantId,
    callSid: text(context.call_sid),
    phoneNumber: text(context.phone_number),
    from: text(context.from),
    to: text(context.to),
    userId: row.userId,
    apiKeyId: row.apiKeyId,
    triggerContext: row.triggerContext as TriggerContext,
    toolCallId: row.toolCallId,
  };
}

export function createAttemptLoop(deps: AttemptLoopDeps): AttemptLoop {
  const { prisma, pubsub, logger, clock, options, breaker } = deps;
  const inFlight = new Map<string, InFlight>();
  // Finished here but not stored yet: nobody may sweep them as interrupted, they are being written.
  const storing = new Set<string>();
  let stopped = false;
  const now = (): Date => new Date(clock());

  function execute(
    row: ToolExecution,
    resolved: Resolved,
    parameters: JsonObject,
    runStartMs: number,
    queued = false,
  ): Promise<ToolExecution> {
    const controller = new AbortController();
    const entry: InFlight = {
      row,
      controller,
      cancelled: false,
      promise: Promise.resolve(row),
      callId: row.callId,
      continueAfterHangup: continuesAfterHangup(resolved.tool.configuration),
      queued,
    };
    entry.promise = inExecutionSpan(row, resolved.tool, queued, () =>
      attempts(row, resolved, parameters, runStartMs, entry),
    ).finally(() => inFlight.delete(row.id));
    inFlight.set(row.id, entry);
    return entry.promise;
  }

  async function attempts(
    row: ToolExecution,
    resolved: Resolved,
    parameters: JsonObject,
    runStartMs: number,
    entry: InFlight,
  ): Promise<ToolExecution> {
    const { controller } = entry;
    const { tool } = resolved;
    const gate = await secretGate(row, resolved);
    const deadline = runStartMs + resolved.timeoutSeconds * 1000;
    const deadlineTimer = setTimeout(
      () =>
        controller.abort(
          new DOMException(`The tool did not finish within ${resolved.timeoutSeconds} s`, 'TimeoutError'),
        ),
      Math.max(0, deadline - clock()),
    );
    const secrets = recordingSecretUses(
      prisma,
      row,
      grantedOnly(deps.secrets(row.organizationId), gate.ok ? gate.names : []),
    );
    const context = executionContextOf(row);
    const links = deps.links?.(row.id);
    const trace = currentTraceContext();
    const progress = (message: string): void => {
      if (typeof message === 'string') deps.progress.report(row, message);
    };
    publishEvent(pubsub, 'running', row, now());

    let outcome: ExecutorOutcome;
    let attempt = 0;
    // Set once the executor is reached: only runs that reached it add to the tool's execution_count.
    let count: Count | null = null;
    // One verdict per execution: the breaker is asked before the first attempt and told after the last.
    const key = breakerKey(tool, row.triggerContext);
    let permit: CircuitPermit | null = null;
    try {
      const executor = deps.executorFor(tool);
      if (executor) permit = await breaker.acquire(key);
      for (;;) {
        attempt += 1;
        // An ungranted or suspended secret: refused before anything runs.
        if (!gate.ok) {
          outcome = failed(gate.code, gate.message);
          break;
        }
        if (!executor) {
          outcome = failed('INVALID_CONFIGURATION', `${tool.type} tools are not available on this server`);
          break;
        }
        if (permit && !permit.allowed) {
          outcome = failed(
            'CIRCUIT_OPEN',
            `The tool "${tool.name}" is failing repeatedly and is paused for ${Math.ceil(permit.retryAfterMs / 1000)} s. Tell the caller it is unavailable right now.`,
          );
          break;
        }
        if (!count && resolved.toolRowId !== null) count = { toolId: resolved.toolRowId, at: now() };
        outcome = await attemptOnce(executor, {
          tool,
          parameters,
          context,
          secrets,
          signal: controller.signal,
          deadline,
          idempotencyKey: row.id,
          attempt,
          progress,
          ...(links && { links }),
          ...(trace && { trace }),
        });
        if (outcome.ok || controller.signal.aborted) break;
        const delay = nextRetryDelay(
          outcome.error,
          attempt,
          resolved.retryAttempts,
          deadline,
          clock(),
          options.backoff,
        );
        if (delay === null) break;
        publishEvent(pubsub, 'retrying', row, now());
        if (!(await sleep(delay, controller.signal))) break;
      }
      if (permit?.allowed) {
        if (entry.cancelled || entry.abandoned) {
          if (permit.probe) await breaker.release(key);
        } else {
          await breaker.record(key, countsAgainstBreaker(outcome), permit.probe);
        }
      }
    } finally {
      clearTimeout(deadlineTimer);
    }
    if (entry.abandoned) throw new ExecutionAbandonedError(row.id);

    // The tokens are per-execution credentials: scrubbed from the record like secrets.
    const scrubbed = [...secrets.revealed(), ...(links ? [links.progressToken, links.callbackToken] : [])];
    const fields = finalFields(outcome, entry, resolved, scrubbed, attempt, runStartMs, deps.progress.take(row.id));
    const finished: ToolExecution = { ...row, ...fields };
    if (!(await stored(finished, count))) {
      // Cancelled or swept by someone else meanwhile: their verdict stands.
      return (await prisma.toolExecution.findUnique({ where: { id: row.id } })) ?? finished;
    }
    // Awaiting its callback: still RUNNING, nothing finished yet.
    if (!fields.completedAt) {
      await deps.writer.durable();
      return finished;
    }
    // Visible now, so the live monitor hears of it now; the caller only once it is durable.
    publishEvent(pubsub, 'finished', finished, fields.completedAt);
    await deps.writer.durable();
    return finished;
  }

  /** Which secrets this run may read (secret-grants.ts); a failed check refuses the run rather than leaving it RUNNING. */
  async function secretGate(
    row: ToolExecution,
    resolved: Resolved,
  ): Promise<{ ok: true; names: string[] } | { ok: false; code: ExecutionErrorCode; message: string }> {
    if (resolved.toolRowId === null) return { ok: true, names: [] };
    try {
      const check: GrantCheck = await checkSecretGrants(prisma, {
        organizationId: row.organizationId,
        toolId: resolved.toolRowId,
        toolName: resolved.tool.name,
        type: resolved.tool.type,
        ownConfiguration: resolved.ownConfiguration,
        configuration: resolved.tool.configuration,
      });
      if (check.ok) return check;
      recordToolSecurityEvent(
        securityEventsOf(prisma),
        {
          organizationId: row.organizationId,
          executionId: row.id,
          userId: row.userId,
          apiKeyId: row.apiKeyId,
          tool: { id: resolved.toolRowId, name: resolved.tool.name, type: resolved.tool.type },
        },
        'SECRET_USE_DENIED',
        'SECRET_NOT_GRANTED',
      );
      return { ok: false, code: 'SECRET_NOT_GRANTED', message: check.message };
    } catch (error) {
      logger.error({ err: error, executionId: row.id }, 'secret grants could not be checked');
      return { ok: false, code: 'INTERNAL_ERROR', message: 'The secret grants could not be checked; try again' };
    }
  }

  /**
   * Writes the finish, retrying while the database refuses it: the tool ran,
   * so its row must end up saying what happened. The caller waits at most
   * `finishAnswerMs`; the retries go on until the write succeeds or the engine stops.
   */
  function stored(finished: ToolExecution, count: Count | null): Promise<boolean> {
    storing.add(finished.id);
    const since = clock();
    const writing = (async (): Promise<boolean> => {
      try {
        for (let failures = 0; ; failures += 1) {
          try {
            return await deps.writer.finish(finished, count);
          } catch (error) {
            if (stopped || clock() - since > FINISH_GIVE_UP_MS) throw error;
            logger.warn({ err: error, execution: finished.id, failures: failures + 1 }, 'storing a finish failed');
            const delay = Math.min(FINISH_RETRY_MAX_MS, FINISH_RETRY_BASE_MS * 2 ** failures);
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      } finally {
        storing.delete(finished.id);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        answered = true;
        reject(new ExecutionNotStoredError(finished.id, null));
      }, options.finishAnswerMs);
      timer.unref();
    });
    // Once the caller has its error, the monitor still hears of a write that succeeds; one that fails is logged.
    writing.then(
      (moved) => {
        if (answered && moved && finished.completedAt) publishEvent(pubsub, 'finished', finished, finished.completedAt);
      },
      (error: unknown) => logger.error({ err: error, execution: finished.id }, 'finish not stored'),
    );
    return Promise.race([writing, late]).finally(() => clearTimeout(timer));
  }

  async function attemptOnce(executor: Executor, input: Parameters<Executor['execute']>[0]): Promise<ExecutorOutcome> {
    const { signal } = input;
    let graceTimer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // An executor that ignores its signal must not hold the caller past the deadline.
    const abandoned = new Promise<ExecutorOutcome>((resolve) => {
      onAbort = () => {
        graceTimer = setTimeout(() => resolve({ ok: false, error: abortFailure(signal) }), options.abortGraceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([
        executor.execute(input).catch((error: unknown): ExecutorOutcome => {
          logger.error({ err: error, tool: input.tool.id }, 'executor threw');
          return failed(
            'INTERNAL_ERROR',
            `The tool failed unexpectedly: ${(error as Error)?.message ?? String(error)}`,
          );
        }),
        abandoned,
      ]);
    } finally {
      if (graceTimer) clearTimeout(graceTimer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  function finalFields(
    outcome: ExecutorOutcome,
    entry: InFlight,
    resolved: Resolved,
    revealed: string[],
    attempts: number,
    runStartMs: number,
    progressLines: string[],
  ): Outcome | Parked {
    const normalizer = createNormalizer(revealed, options.output);
    const completedAt = now();
    const common = {
      completedAt,
      durationMs: Math.max(0, completedAt.getTime() - runStartMs),
      retryCount: Math.max(0, attempts - 1),
      request: normalizer.request(outcome.request) as JsonValue | null,
      logs: normalizer.logs([...(outcome.logs ?? []), ...progressLines]),
      toolVersion: resolved.tool.version,
      ...usageColumns(outcome.usage),
    };
    if (outcome.ok && outcome.awaitCallback && !entry.cancelled) {
      return {
        ...common,
        status: 'RUNNING',
        completedAt: null,
        durationMs: null,
        errorCode: null,
        errorMessage: null,
        outputResult: { ...normalizer.result(outcome.result) },
        awaitingCallbackUntil: new Date(completedAt.getTime() + outcome.awaitCallback.timeoutSeconds * 1000),
        callbackAfterHangup: entry.continueAfterHangup,
      };
    }
    if (outcome.ok && !entry.cancelled) {
      const result = normalizer.result(outcome.result);
      return { ...common, status: 'SUCCESS', errorCode: null, errorMessage: null, outputResult: { ...result } };
    }
    let error: ExecutionFailure = outcome.ok ? abortFailure(entry.controller.signal) : outcome.error;
    if (entry.cancelled)
      error = entry.cancelReason ?? { code: 'CANCELLED', message: 'The execution was cancelled', retryable: false };
    else if (entry.controller.signal.aborted && error.code !== 'TIMEOUT') error = abortFailure(entry.controller.signal);
    const message = normalizer.error(error.message);
    return {
      ...common,
      status: STATUS_BY_CODE[error.code] ?? 'ERROR',
      errorCode: error.code,
      errorMessage: message,
      outputResult: {
        success: false,
        message,
        data: error.line !== undefined ? { line: error.line, column: error.column ?? null } : null,
      },
    };
  }

  return {
    execute,
    inFlight,
    mine: () => [...inFlight.keys(), ...storing],
    stop() {
      stopped = true;
    },
  };
}
