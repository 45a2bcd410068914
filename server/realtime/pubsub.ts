/**
 * Typed pub/sub for execution state changes. In memory by default; the live
 * monitor swaps in a Redis-backed event target for several instances.
 */
import { createPubSub } from 'graphql-yoga';

export type ExecutionEventKind = 'created' | 'pending_approval' | 'running' | 'retrying' | 'finished';

export interface ExecutionEvent {
  kind: ExecutionEventKind;
  organizationId: string;
  executionId: string;
  toolId: string | null;
  assistantId: string | null;
  callId: string | null;
  status: string;
  at: string;
}

export type Topics = {
  [key: `executions:${string}`]: [ExecutionEvent];
};

export type SwitchboardPubSub = ReturnType<typeof createPubSub<Topics>>;

export function createInMemoryPubSub(): SwitchboardPubSub {
  return createPubSub<Topics>();
}

export function executionTopic(organizationId: string): `executions:${string}` {
  return `executions:${organizationId}`;
}
