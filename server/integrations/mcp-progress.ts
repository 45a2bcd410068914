/**
 * Progress notifications for a plain MCP `tools/call` that sent a `progressToken`:
 * the execution's `running`, `retrying` and `progress` events (from whichever
 * instance runs it) become `notifications/progress` on the call's response stream.
 */
import type { ProgressToken, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { executionTopic, type ExecutionEvent } from '../realtime/pubsub.ts';
import { executionByKey, type TaskScope, type TaskStoreDeps } from './mcp-tasks.ts';

/** Events of this assistant seen before the execution's id is known; a call has only a handful. */
const MAX_EARLY_EVENTS = 32;
const MAX_MESSAGE_LENGTH = 500;

/** The words a progress notification carries for an event, or null for events that are not progress. */
export function progressMessage(event: ExecutionEvent): string | null {
  const kind: string = event.kind;
  if (kind === 'running') return 'Running';
  if (kind === 'retrying') return 'Retrying';
  if (kind === 'progress') {
    const message = (event as ExecutionEvent & { message?: unknown }).message;
    return typeof message === 'string' ? message.slice(0, MAX_MESSAGE_LENGTH) : 'Working';
  }
  return null;
}

/**
 * Follows the execution written under `idempotencyKey` and sends a notification per
 * progress event until the returned function is called.
 */
export function followProgress(
  deps: TaskStoreDeps,
  scope: TaskScope,
  idempotencyKey: string,
  progressToken: ProgressToken,
  send: (notification: ServerNotification) => Promise<void>,
): () => void {
  let executionId: string | null = null;
  let looking = false;
  let lookAgain = false;
  let sent = 0;
  let early: ExecutionEvent[] = [];

  const notify = (event: ExecutionEvent): void => {
    const message = progressMessage(event);
    if (message === null) return;
    sent += 1;
    void send({ method: 'notifications/progress', params: { progressToken, progress: sent, message } }).catch(() => {});
  };
  const lookUp = (): void => {
    if (executionId) return;
    if (looking) {
      // A row created meanwhile may be ours: look once more when this lookup ends.
      lookAgain = true;
      return;
    }
    looking = true;
    lookAgain = false;
    void executionByKey(deps.prisma, scope.organizationId, idempotencyKey)
      .then((row) => {
        if (!row) return;
        executionId = row.id;
        for (const event of early) if (event.executionId === row.id) notify(event);
        early = [];
      })
      .catch(() => {})
      .finally(() => {
        looking = false;
        if (lookAgain) lookUp();
      });
  };
  return deps.pubsub.listen(executionTopic(scope.organizationId), (event) => {
    if (event.assistantId !== scope.assistantId) return;
    if (executionId) {
      if (event.executionId === executionId) notify(event);
      return;
    }
    if (early.length < MAX_EARLY_EVENTS) early.push(event);
    if (event.kind === 'created') lookUp();
  });
}
