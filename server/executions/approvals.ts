/**
 * Decisions on executions: approve or reject one waiting for approval, cancel
 * one pending or running, and the timers that refuse an approval nobody gave
 * in time. Every decision is a conditional transition: two deciders never both win.
 */
import type { Logger } from 'pino';
import type { Prisma } from '../db/database.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { recordApprovalDecision } from '../security/approval-events.ts';
import { toJson, uuidOrNil } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError } from '../errors.ts';
import type { ExecutionErrorCode, JsonObject } from '../executors/types.ts';
import type { SwitchboardPubSub } from '../realtime/pubsub.ts';
import { hasRole } from '../security/roles.ts';
import type { AttemptLoop } from './attempt-loop.ts';
import type { EngineOptions } from './engine-options.ts';
import { effectiveDigest } from './approval-preview.ts';
import { applied, publishEvent, transition } from './execution-recorder.ts';
import type { Approver, Decider } from './execution-request.ts';
import { fromToolRow, type Resolved } from './execution-resolver.ts';
import { expireApprovals } from './execution-sweeps.ts';
import type { HotSql } from './hot-sql.ts';
import { findToolById } from './tool-lookup.ts';
import { approverRole, DEFAULT_APPROVER_ROLE, executionMode, ownApprovalTimeoutSeconds } from './tool-settings.ts';

export interface ApprovalDeps {
  prisma: Prisma;
  sql: HotSql;
  pubsub: SwitchboardPubSub;
  logger: Logger;
  clock: () => number;
  options: EngineOptions;
  runner: AttemptLoop;
  /** This instance: an approved execution runs here, so its row must say so (instance-lease.ts). */
  instanceId: string;
  /** Enqueues an approved async execution instead of running it here (async-runs.ts); null: decided meanwhile. */
  enqueue?: (row: ToolExecution, resolved: Resolved, deciderId: string | null) => Promise<ToolExecution | null>;
}

export interface Approvals {
  approve(decider: Approver, id: string): Promise<ToolExecution>;
  reject(decider: Approver, id: string, reason?: string | null): Promise<ToolExecution>;
  cancel(decider: Decider, id: string): Promise<ToolExecution>;
  /** How long a new execution of this tool waits for a decision. */
  timeoutMs(resolved: Resolved): number;
  /** Refuses the execution at its deadline unless someone decides first. */
  scheduleExpiry(id: string, deadline: Date): void;
  /** Expires overdue approvals now (one, or all when no id). */
  expire(id?: string): Promise<number>;
  /** Restores the expiry timers of every pending approval (at start-up). */
  restoreTimers(): Promise<void>;
  /** Ends every approval of the call still pending with the refusal (CANCELLED at hangup). */
  cancelPending(callId: string, refusal: Refusal & { status: 'CANCELLED' }): Promise<void>;
  /** Drops every timer; none is scheduled afterwards. */
  close(): void;
}

interface Refusal {
  code: ExecutionErrorCode;
  message: string;
}

const DELETED_BEFORE_APPROVAL: Refusal = {
  code: 'INVALID_CONFIGURATION',
  message: 'The tool was deleted before it was approved',
};

/** Why an approved execution does not run: the tool was deleted or turned off, or is no longer what the approver was shown. */
function approvalRefusal(row: ToolExecution, resolved: Resolved | null): Refusal | null {
  if (!resolved) return DELETED_BEFORE_APPROVAL;
  if (resolved.isArchived) {
    return { code: 'TOOL_ARCHIVED', message: `The tool "${resolved.tool.name}" was archived before it was approved` };
  }
  if (!resolved.isActive) {
    return { code: 'TOOL_INACTIVE', message: `The tool "${resolved.tool.name}" was turned off before it was approved` };
  }
  if (row.approvalDigest === null || row.approvalDigest !== effectiveDigest(resolved)) {
    return {
      code: 'TOOL_CHANGED_SINCE_REQUEST',
      message: `The tool "${resolved.tool.name}" changed after this execution was requested (version ${row.toolVersion}, now ${resolved.tool.version}); nothing ran. Request it again to approve the tool as it is now.`,
    };
  }
  return null;
}

export function createApprovals(deps: ApprovalDeps): Approvals {
  const { prisma, pubsub, logger, clock, options, runner } = deps;
  const timers = new Map<string, NodeJS.Timeout>();
  let closed = false;
  const now = (): Date => new Date(clock());

  const expire = (id?: string): Promise<number> => expireApprovals(prisma, pubsub, now(), id);

  function clearTimer(id: string): void {
    timers.get(id)?.close();
    timers.delete(id);
  }

  function scheduleExpiry(id: string, deadline: Date): void {
    if (closed) return;
    const timer = setTimeout(
      () => {
        timers.delete(id);
        // Timers run on the event loop's cached clock, which a busy loop leaves behind the wall clock:
        // one can fire before the deadline the database compares against, and would then expire nothing.
        if (deadline.getTime() > clock()) return scheduleExpiry(id, deadline);
        void expire(id).catch((error: unknown) =>
          logger.error({ err: error, executionId: id }, 'approval expiry failed'),
        );
      },
      Math.max(0, deadline.getTime() - clock()),
    );
    timer.unref();
    timers.get(id)?.close();
    timers.set(id, timer);
  }

  async function findOwned(decider: Decider, id: string): Promise<ToolExecution> {
    const row = await prisma.toolExecution.findFirst({
      where: { id: uuidOrNil(id), organizationId: decider.organizationId },
    });
    if (!row) throw new NotFoundError('ToolExecution');
    return row;
  }

  /** The tool as it is now (null when deleted), after checking the decider may decide on its executions. */
  async function authorizeDecision(decider: Approver, row: ToolExecution): Promise<Resolved | null> {
    const found = row.toolId ? await findToolById(deps.sql, row.organizationId, row.toolId, row.assistantId) : null;
    const resolved = found
      ? fromToolRow(found.tool, row.assistantId, found.assignment, {
          configVersion: found.configVersion,
          cached: false,
        })
      : null;
    const required = resolved ? approverRole(resolved.tool.configuration) : DEFAULT_APPROVER_ROLE;
    if (!hasRole(decider.role, required)) {
      throw new AccessError('FORBIDDEN', `deciding on this tool's executions requires the ${required} role`);
    }
    return resolved;
  }

  /** Finishes a claimed (RUNNING) approval without running it. */
  async function refuseClaimed(running: ToolExecution, refusal: Refusal): Promise<ToolExecution> {
    const fields = {
      status: 'ERROR' as const,
      errorCode: refusal.code,
      errorMessage: refusal.message,
      outputResult: toJson({ success: false, message: refusal.message, data: null }),
      completedAt: now(),
      durationMs: 0,
    };
    await transition(prisma, running.id, 'RUNNING', fields);
    const finished = applied(running, fields);
    publishEvent(pubsub, 'finished', finished, fields.completedAt);
    return finished;
  }

  async function approve(decider: Approver, id: string): Promise<ToolExecution> {
    const row = await findOwned(decider, id);
    const resolved = await authorizeDecision(decider, row);
    if (row.status !== 'PENDING_APPROVAL')
      throw new ConflictError(`The execution is ${row.status}, not waiting for approval`, 'id');
    if (row.approvalDeadline && row.approvalDeadline.getTime() <= clock()) {
      await expire(row.id);
      throw new ConflictError('The approval window has passed; the execution was refused', 'id');
    }
    if (
      deps.enqueue &&
      resolved &&
      !approvalRefusal(row, resolved) &&
      executionMode(resolved.tool.configuration) === 'async'
    ) {
      const queued = await deps.enqueue(row, resolved, decider.userId);
      if (!queued) throw new ConflictError('The execution was decided by someone else meanwhile', 'id');
      clearTimer(row.id);
      recordApprovalDecision(prisma, 'APPROVAL_APPROVED', decider, row);
      return queued;
    }
    const runStartMs = clock();
    const claim = { status: 'RUNNING' as const, decidedById: decider.userId, instanceId: deps.instanceId };
    const claimed = await transition(prisma, row.id, 'PENDING_APPROVAL', claim);
    if (!claimed) throw new ConflictError('The execution was decided by someone else meanwhile', 'id');
    clearTimer(row.id);
    recordApprovalDecision(prisma, 'APPROVAL_APPROVED', decider, row);
    const running = applied(row, claim);

    const refusal = approvalRefusal(row, resolved);
    if (refusal || !resolved) return refuseClaimed(running, refusal ?? DELETED_BEFORE_APPROVAL);
    return runner.execute(running, resolved, row.inputParameters as JsonObject, runStartMs);
  }

  async function reject(decider: Approver, id: string, reason?: string | null): Promise<ToolExecution> {
    const row = await findOwned(decider, id);
    await authorizeDecision(decider, row);
    if (row.status !== 'PENDING_APPROVAL')
      throw new ConflictError(`The execution is ${row.status}, not waiting for approval`, 'id');
    const completedAt = now();
    const message = reason?.trim()
      ? `Rejected by an approver: ${reason.trim().slice(0, 500)}`
      : 'Rejected by an approver';
    const fields = {
      status: 'REJECTED' as const,
      errorCode: 'REJECTED',
      errorMessage: message,
      outputResult: toJson({ success: false, message, data: null }),
      completedAt,
      // It never ran: the wait for a decision is not the tool's duration (metrics would count it as latency).
      durationMs: null,
      decidedById: decider.userId,
    };
    if (!(await transition(prisma, row.id, 'PENDING_APPROVAL', fields))) {
      throw new ConflictError('The execution was decided by someone else meanwhile', 'id');
    }
    clearTimer(row.id);
    recordApprovalDecision(prisma, 'APPROVAL_REJECTED', decider, row);
    const finished = applied(row, fields);
    publishEvent(pubsub, 'finished', finished, completedAt);
    return finished;
  }

  async function cancel(decider: Decider, id: string): Promise<ToolExecution> {
    const row = await findOwned(decider, id);
    const running = runner.inFlight.get(row.id);
    if (running) {
      running.cancelled = true;
      running.controller.abort(new DOMException('The execution was cancelled', 'AbortError'));
      return running.promise;
    }
    if (row.status !== 'PENDING_APPROVAL' && row.status !== 'RUNNING' && row.status !== 'QUEUED') {
      throw new ConflictError(`The execution already finished (${row.status})`, 'id');
    }
    // Pending, or running in another instance: the row is marked here; that instance's final write then loses.
    const completedAt = now();
    const message = 'The execution was cancelled';
    const fields = {
      status: 'CANCELLED' as const,
      errorCode: 'CANCELLED',
      errorMessage: message,
      outputResult: toJson({ success: false, message, data: null }),
      completedAt,
      // Pending or queued it never ran; running elsewhere, that instance's final write records its time.
      durationMs: row.status === 'RUNNING' ? Math.max(0, completedAt.getTime() - row.startedAt.getTime()) : null,
      decidedById: decider.userId,
    };
    if (!(await transition(prisma, row.id, row.status, fields))) {
      throw new ConflictError('The execution changed state meanwhile', 'id');
    }
    clearTimer(row.id);
    const finished = applied(row, fields);
    publishEvent(pubsub, 'finished', finished, completedAt);
    return finished;
  }

  function timeoutMs(resolved: Resolved): number {
    const own = ownApprovalTimeoutSeconds(resolved.tool.configuration);
    return (own ?? options.approvalTimeoutSeconds) * 1000;
  }

  async function restoreTimers(): Promise<void> {
    const pending = await prisma.toolExecution.findMany({
      where: { status: 'PENDING_APPROVAL', approvalDeadline: { not: null } },
      select: { id: true, approvalDeadline: true },
    });
    for (const row of pending) if (row.approvalDeadline) scheduleExpiry(row.id, row.approvalDeadline);
  }

  async function cancelPending(callId: string, refusal: Refusal & { status: 'CANCELLED' }): Promise<void> {
    const pending = await prisma.toolExecution.findMany({ where: { callId, status: 'PENDING_APPROVAL' } });
    for (const row of pending) {
      const completedAt = now();
      const fields = {
        status: refusal.status,
        errorCode: refusal.code,
        errorMessage: refusal.message,
        outputResult: toJson({ success: false, message: refusal.message, data: null }),
        completedAt,
        durationMs: null,
      };
      // An approver who decided meanwhile wins: the transition is conditional.
      if (!(await transition(prisma, row.id, 'PENDING_APPROVAL', fields))) continue;
      clearTimer(row.id);
      publishEvent(pubsub, 'finished', applied(row, fields), completedAt);
    }
  }

  function close(): void {
    closed = true;
    for (const timer of timers.values()) timer.close();
    timers.clear();
  }

  return { approve, reject, cancel, timeoutMs, scheduleExpiry, expire, restoreTimers, cancelPending, close };
}
