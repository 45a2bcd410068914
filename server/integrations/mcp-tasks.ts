/**
 * MCP tasks (specification 2025-11-25) over the executions table: a task is an
 * execution started by a task-augmented `tools/call`, its id the execution id.
 * The table is the task store, so every instance answers `tasks/*` for a task
 * any instance started. Task executions carry an explicit idempotency key with
 * TASK_KEY_PREFIX, which is how they are told from other executions.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Task, type TaskStatus } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from './mcp-errors.ts';
import type { Prisma } from '../db/database.ts';
import { uuidOrNil } from '../db/json.ts';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import { executionTopic, type ExecutionEvent, type SwitchboardPubSub } from '../realtime/pubsub.ts';

export const TASK_KEY_PREFIX = 'mcp-task:';
/** idempotencyKeyOf() stores an explicit key as `key:<key>`. */
const STORED_TASK_KEY_PREFIX = `key:${TASK_KEY_PREFIX}`;
/** What clients are told to wait between `tasks/get` polls. */
export const TASK_POLL_INTERVAL_MS = 1_000;
/** `tasks/result` blocks at most this long, then answers "still working" so the client asks again. */
export const TASK_RESULT_WAIT_MS = 60_000;
/** How long a task-augmented `tools/call` waits for its execution row to be written. */
export const TASK_START_WAIT_MS = 10_000;
/** Re-read the row this often while waiting, in case a `finished` event was lost (Redis reconnecting). */
const RECHECK_MS = 5_000;
export const TASKS_PAGE_SIZE = 50;

export interface TaskScope {
  organizationId: string;
  assistantId: string;
}

export interface TaskStoreDeps {
  prisma: Prisma;
  pubsub: SwitchboardPubSub;
}

const FINAL_STATUSES = new Set(['SUCCESS', 'ERROR', 'TIMEOUT', 'CANCELLED', 'RATE_LIMITED', 'REJECTED']);

export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/**
 * A pending approval is `working`, not `input_required`: the input comes from an
 * approver in the dashboard, not from this MCP client, and `input_required` would
 * send the client to `tasks/result` for requests that never come.
 */
export function taskStatusOf(status: string): TaskStatus {
  switch (status) {
    case 'SUCCESS':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'ERROR':
    case 'TIMEOUT':
    case 'REJECTED':
    case 'RATE_LIMITED':
      return 'failed';
    default:
      return 'working';
  }
}

function statusMessageOf(row: ToolExecution): string | undefined {
  if (row.status === 'PENDING_APPROVAL') return 'Waiting for a person to approve it';
  // QUEUED arrives with the durable queue; compared as text until then.
  if ((row.status as string) === 'QUEUED') return 'Queued';
  if (isFinalStatus(row.status) && row.status !== 'SUCCESS') return row.errorMessage ?? row.status;
  return undefined;
}

/** Executions are kept until deleted, so a task's ttl is unlimited (null). */
export function taskOf(row: ToolExecution): Task {
  const message = statusMessageOf(row);
  return {
    taskId: row.id,
    status: taskStatusOf(row.status),
    ttl: null,
    createdAt: row.startedAt.toISOString(),
    lastUpdatedAt: (row.completedAt ?? row.startedAt).toISOString(),
    pollInterval: TASK_POLL_INTERVAL_MS,
    ...(message !== undefined && { statusMessage: message.slice(0, 500) }),
  };
}

function unknownTask(): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidParams, 'Task not found');
}

/** The task's execution; another organization's or assistant's id is exactly as unknown as a made-up one. */
export async function findTask(prisma: Prisma, scope: TaskScope, taskId: string): Promise<ToolExecution> {
  const row = await prisma.toolExecution.findFirst({
    where: {
      id: uuidOrNil(taskId),
      organizationId: scope.organizationId,
      assistantId: scope.assistantId,
      idempotencyKey: { startsWith: STORED_TASK_KEY_PREFIX },
    },
  });
  if (!row) throw unknownTask();
  return row;
}

function encodeCursor(row: ToolExecution): string {
  return Buffer.from(JSON.stringify([row.startedAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const startedAt = new Date(String(at));
    if (typeof id === 'string' && !Number.isNaN(startedAt.getTime())) return { startedAt, id: uuidOrNil(id) };
  } catch {
    // Falls through to the error below.
  }
  throw new ProtocolError(ErrorCode.InvalidParams, 'Invalid cursor');
}

/** Newest first, TASKS_PAGE_SIZE at a time. */
export async function listTasks(
  prisma: Prisma,
  scope: TaskScope,
  cursor: string | undefined,
): Promise<{ tasks: Task[]; nextCursor?: string }> {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const rows = await prisma.toolExecution.findMany({
    where: {
      organizationId: scope.organizationId,
      assistantId: scope.assistantId,
      idempotencyKey: { startsWith: STORED_TASK_KEY_PREFIX },
      ...(after && {
        OR: [{ startedAt: { lt: after.startedAt } }, { startedAt: after.startedAt, id: { lt: after.id } }],
      }),
    },
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    take: TASKS_PAGE_SIZE + 1,
  });
  const page = rows.slice(0, TASKS_PAGE_SIZE);
  const last = page.at(-1);
  return {
    tasks: page.map(taskOf),
    ...(rows.length > TASKS_PAGE_SIZE && last && { nextCursor: encodeCursor(last) }),
  };
}

/**
 * The execution once it is final, or as it is at `deadlineMs` (or when `signal` aborts).
 * Woken by its `finished` event on the organization's topic, which reaches every instance.
 */
export async function waitForFinal(
  deps: TaskStoreDeps,
  row: ToolExecution,
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<ToolExecution> {
  if (isFinalStatus(row.status)) return row;
  // `signalled` catches an event that arrives while the row is being read, before there is a wait to end.
  const finished = { signalled: false };
  let wake: () => void = () => {};
  const stop = deps.pubsub.listen(executionTopic(row.organizationId), (event) => {
    if (event.executionId !== row.id || event.kind !== 'finished') return;
    finished.signalled = true;
    wake();
  });
  const onAbort = (): void => wake();
  signal?.addEventListener('abort', onAbort);
  try {
    let current = row;
    // Subscribed first, then read: a finish between the caller's read and the subscription is not missed.
    for (;;) {
      finished.signalled = false;
      current = (await deps.prisma.toolExecution.findUnique({ where: { id: row.id } })) ?? current;
      const left = deadlineMs - Date.now();
      if (isFinalStatus(current.status) || left <= 0 || signal?.aborted) return current;
      if (finished.signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, RECHECK_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A fresh explicit idempotency key marking an execution as an MCP task (and as one request). */
export function newTaskKey(): string {
  return `${TASK_KEY_PREFIX}${randomUUID()}`;
}

/** The execution written under `idempotencyKey` (the engine prefixes explicit keys with `key:`). */
export function executionByKey(prisma: Prisma, organizationId: string, idempotencyKey: string) {
  return prisma.toolExecution.findUnique({
    where: { organizationId_idempotencyKey: { organizationId, idempotencyKey: `key:${idempotencyKey}` } },
  });
}

/**
 * Starts `run` (which executes under `idempotencyKey`) without waiting for it to finish:
 * resolves with the execution as soon as its row exists — found by the key when the
 * organization's `created` events say a row of this assistant appeared — or with what
 * `run` returns if that comes first (a queued execution, a refusal; it rejects when no
 * execution could be written, e.g. arguments that are not JSON). `run` goes on in
 * the background; its failure after the row exists goes to `onError`.
 */
export function startInBackground(
  deps: TaskStoreDeps,
  scope: TaskScope,
  idempotencyKey: string,
  run: () => Promise<ToolExecution>,
  onError: (error: unknown) => void,
): Promise<ToolExecution> {
  return new Promise<ToolExecution>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { row: ToolExecution } | { error: unknown }): void => {
      if (settled) return;
      settled = true;
      stop();
      clearTimeout(timer);
      if ('row' in outcome) resolve(outcome.row);
      else reject(outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error)));
    };
    const lookUp = (): void => {
      void executionByKey(deps.prisma, scope.organizationId, idempotencyKey).then(
        (row) => row && finish({ row }),
        (error: unknown) => finish({ error }),
      );
    };
    const stop = deps.pubsub.listen(executionTopic(scope.organizationId), (event: ExecutionEvent) => {
      if (!settled && event.kind === 'created' && event.assistantId === scope.assistantId) lookUp();
    });
    const timer = setTimeout(() => {
      void executionByKey(deps.prisma, scope.organizationId, idempotencyKey).then(
        (row) => finish(row ? { row } : { error: new Error('the task execution was not written in time') }),
        (error: unknown) => finish({ error }),
      );
    }, TASK_START_WAIT_MS);
    run().then(
      (row) => finish({ row }),
      (error: unknown) => {
        if (settled) onError(error);
        else finish({ error });
      },
    );
  });
}
