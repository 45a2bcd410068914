/**
 * One span per execution, active while it runs so executors can pass its
 * trace context on. Created through `@opentelemetry/api`: without a started
 * SDK the span is the API's non-recording one and no attribute is even built.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { ExecutableTool } from '../executors/types.ts';
import { tracer } from '../tracing/tracer.ts';

/** Span attribute names, documented in the README. */
export const EXECUTION_ATTRIBUTES = {
  organization: 'switchboard.organization.id',
  assistant: 'switchboard.assistant.id',
  tool: 'switchboard.tool.id',
  toolName: 'switchboard.tool.name',
  toolType: 'switchboard.tool.type',
  toolVersion: 'switchboard.tool.version',
  execution: 'switchboard.execution.id',
  call: 'switchboard.call.id',
  toolCall: 'switchboard.tool_call.id',
  attempt: 'switchboard.execution.attempt',
  status: 'switchboard.execution.status',
  errorCode: 'switchboard.execution.error_code',
  queued: 'switchboard.execution.queued',
} as const;

function started(span: Span, row: ToolExecution, tool: ExecutableTool, queued: boolean): void {
  const names = EXECUTION_ATTRIBUTES;
  span.setAttributes({
    [names.organization]: row.organizationId,
    [names.tool]: tool.id,
    [names.toolName]: tool.name,
    [names.toolType]: tool.type,
    [names.toolVersion]: tool.version,
    [names.execution]: row.id,
    [names.queued]: queued,
    ...(row.assistantId !== null && { [names.assistant]: row.assistantId }),
    ...(row.callId !== null && { [names.call]: row.callId }),
    ...(row.toolCallId !== null && { [names.toolCall]: row.toolCallId }),
  });
}

function finished(span: Span, row: ToolExecution): void {
  const names = EXECUTION_ATTRIBUTES;
  span.setAttributes({
    [names.status]: row.status,
    [names.attempt]: row.retryCount + 1,
    ...(row.errorCode !== null && { [names.errorCode]: row.errorCode }),
  });
  if (row.status !== 'SUCCESS' && row.status !== 'RUNNING') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: row.errorCode ?? row.status });
  }
}

/** Runs `run` inside the execution's span (a child of the active one, e.g. the GraphQL operation's). */
export function inExecutionSpan(
  row: ToolExecution,
  tool: ExecutableTool,
  queued: boolean,
  run: () => Promise<ToolExecution>,
): Promise<ToolExecution> {
  return tracer().startActiveSpan(`execute ${tool.type.toLowerCase()} tool`, async (span) => {
    const recording = span.isRecording();
    if (recording) started(span, row, tool, queued);
    try {
      const done = await run();
      if (recording) finished(span, done);
      return done;
    } catch (error) {
      if (recording) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}
