/**
 * Security events a tool execution causes, recorded where they happen: by the
 * SSRF guard's callers (endpoint and Lambda executors, the sandbox's fetch
 * bridge), by the sandbox pool (permission denials, memory and time kills) and
 * by the secret gate. Each names the execution, its tool and who asked for it.
 */
import type { ExecutorInput } from '../executors/types.ts';
import { securityActor, type SecurityEventKind, type SecurityEventSink } from './security-events.ts';

export type ToolSecurityKind = Extract<
  SecurityEventKind,
  'SSRF_REFUSED' | 'SANDBOX_PERMISSION_DENIED' | 'SANDBOX_MEMORY_KILL' | 'SANDBOX_TIME_KILL' | 'SECRET_USE_DENIED'
>;

/** The execution an event belongs to: what every tool security event names. */
export interface ToolSecurityOrigin {
  organizationId: string;
  executionId: string;
  userId: string | null;
  apiKeyId: string | null;
  tool: { id: string; name: string; type: string };
}

/** The origin of the run an executor was handed. */
export function toolSecurityOrigin(input: Pick<ExecutorInput, 'context' | 'tool'>): ToolSecurityOrigin {
  const { context, tool } = input;
  return {
    organizationId: context.organizationId,
    executionId: context.executionId,
    userId: context.userId,
    apiKeyId: context.apiKeyId ?? null,
    tool: { id: tool.id, name: tool.name, type: tool.type },
  };
}

export function recordToolSecurityEvent(
  sink: SecurityEventSink,
  origin: ToolSecurityOrigin,
  kind: ToolSecurityKind,
  errorCode: string,
): void {
  const { tool } = origin;
  sink.record({
    kind,
    organizationId: origin.organizationId,
    actor: securityActor(origin),
    // Built-in tools have no row to point at.
    subject: tool.type === 'BUILTIN' ? null : { type: 'tool', id: tool.id },
    details: { executionId: origin.executionId, toolName: tool.name, toolType: tool.type, errorCode },
  });
}
