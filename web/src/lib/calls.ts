/** Call shapes shared by the calls list and the call view. */
import type { ExecutionStatus } from './executions.ts';

export type CallStatus = 'IN_PROGRESS' | 'ENDED';

export interface CallSummary {
  id: string;
  externalId: string | null;
  platform: string | null;
  status: CallStatus | null;
  fromNumber: string | null;
  toNumber: string | null;
  startedAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  assistant: { id: string; name: string } | null;
}

export interface CallDetail extends CallSummary {
  executions: { edges: Array<{ node: TimelineExecution }> } | null;
  deliveries: CallDelivery[] | null;
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED' | 'UNDELIVERED';

/** A result or progress message sent back into the call through one channel (server/deliveries/). */
export interface CallDelivery {
  id: string;
  channel: 'VAPI_CONTROL' | 'WEBHOOK';
  event: 'RESULT' | 'PROGRESS';
  sequence: number;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  callEnded: boolean;
  executionId: string;
  createdAt: string;
  deliveredAt: string | null;
}

export const DELIVERY_FIELDS = `
  id channel event sequence status attempts lastError callEnded executionId createdAt deliveredAt
`;

export const DELIVERY_CHANNEL_LABELS: Record<CallDelivery['channel'], string> = {
  VAPI_CONTROL: 'Spoken into the call (Vapi)',
  WEBHOOK: 'Webhook',
};

export const DELIVERY_STATUS_LABELS: Record<DeliveryStatus, string> = {
  PENDING: 'Pending',
  DELIVERED: 'Delivered',
  FAILED: 'Failed',
  UNDELIVERED: 'Undelivered (call ended)',
};

/** Delivery statuses in the colours of the execution statuses they resemble. */
export const DELIVERY_BADGES: Record<DeliveryStatus, string> = {
  PENDING: 'RUNNING',
  DELIVERED: 'SUCCESS',
  FAILED: 'ERROR',
  UNDELIVERED: 'CANCELLED',
};

export const CALL_FIELDS = `
  id externalId platform status fromNumber toNumber startedAt endedAt endReason assistant { id name }
`;

export const CALL_STATUS_LABELS: Record<CallStatus, string> = { IN_PROGRESS: 'In progress', ENDED: 'Ended' };

/** Wall-clock length of a call; an ongoing call counts up to `now`. */
export function callDuration(call: Pick<CallSummary, 'startedAt' | 'endedAt'>, now = Date.now()): string {
  if (!call.startedAt) return '—';
  const end = call.endedAt ? Date.parse(call.endedAt) : now;
  const seconds = Math.max(0, Math.round((end - Date.parse(call.startedAt)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/** What the call timeline shows of a tool call; the full execution is read when one is opened. */
export interface TimelineExecution {
  id: string;
  status: ExecutionStatus;
  toolName: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  approvalDeadline: string | null;
  tool: { id: string; displayName: string | null } | null;
}

export const TIMELINE_FIELDS = `
  id status toolName startedAt completedAt durationMs errorCode errorMessage approvalDeadline tool { id displayName }
`;
