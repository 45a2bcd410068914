/** Execution shapes shared by the test panel, tool detail and the live monitor. */
import { RESOURCE_USAGE_FIELDS, type ResourceUsage } from './resource-usage.ts';
import type { JsonValue } from './tools.ts';

export type ExecutionStatus =
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCESS'
  | 'ERROR'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'PENDING_APPROVAL'
  | 'REJECTED'
  | 'CANCELLED';

export const EXECUTION_STATUSES: ExecutionStatus[] = [
  'QUEUED',
  'RUNNING',
  'SUCCESS',
  'ERROR',
  'TIMEOUT',
  'RATE_LIMITED',
  'PENDING_APPROVAL',
  'REJECTED',
  'CANCELLED',
];

export interface Execution {
  id: string;
  status: ExecutionStatus;
  toolName: string | null;
  toolVersion: number | null;
  triggerContext: string | null;
  durationMs: number | null;
  startedAt: string | null;
  completedAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  inputParameters: JsonValue;
  outputResult: JsonValue;
  request: JsonValue;
  logs: JsonValue;
  context: JsonValue;
  retryCount: number | null;
  approvalDeadline: string | null;
  tool: { id: string; name: string; displayName: string | null } | null;
  assistant: { id: string; name: string } | null;
  call: { id: string; callSid: string | null } | null;
  resourceUsage?: ResourceUsage | null;
}

export const EXECUTION_FIELDS = `
  id status toolName toolVersion triggerContext durationMs startedAt completedAt
  errorCode errorMessage inputParameters outputResult request logs context retryCount approvalDeadline
  tool { id name displayName } assistant { id name } call { id callSid } ${RESOURCE_USAGE_FIELDS}
`;

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Logs arrive as a list of lines or entries; show them one per line. */
export function logLines(logs: JsonValue): string[] {
  if (!Array.isArray(logs)) return logs === null || logs === undefined ? [] : [JSON.stringify(logs)];
  return logs.map((entry) => {
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      const level = typeof entry.level === 'string' ? `[${entry.level}] ` : '';
      const message = typeof entry.message === 'string' ? entry.message : JSON.stringify(entry.args ?? entry);
      return level + message;
    }
    return JSON.stringify(entry);
  });
}
