import type { ExecutionEvent } from './pubsub.ts';

/** What a live-monitor subscriber narrows its stream to; absent fields match everything. */
export interface ExecutionEventFilter {
  toolId?: string | null;
  assistantId?: string | null;
  callId?: string | null;
  statuses?: readonly string[] | null;
}

export function executionEventMatcher(filter: ExecutionEventFilter): (event: ExecutionEvent) => boolean {
  const statuses = filter.statuses?.length ? new Set(filter.statuses) : null;
  return (event) =>
    (!filter.toolId || event.toolId === filter.toolId) &&
    (!filter.assistantId || event.assistantId === filter.assistantId) &&
    (!filter.callId || event.callId === filter.callId) &&
    (!statuses || statuses.has(event.status));
}
