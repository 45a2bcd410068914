import { TaskSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, test } from 'vitest';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import { progressMessage } from '../../server/integrations/mcp-progress.ts';
import { isFinalStatus, taskOf, taskStatusOf } from '../../server/integrations/mcp-tasks.ts';
import type { ExecutionEvent } from '../../server/realtime/pubsub.ts';

const started = new Date('2026-12-05T01:00:00.000Z');

function execution(fields: Partial<ToolExecution>): ToolExecution {
  return {
    id: '0b6f4f8e-5d4f-4a59-9f0c-2f3f6f0e8a11',
    status: 'RUNNING',
    startedAt: started,
    completedAt: null,
    errorMessage: null,
    ...fields,
  } as ToolExecution;
}

describe('MCP task status', () => {
  test.each([
    ['QUEUED', 'working'],
    ['RUNNING', 'working'],
    ['PENDING_APPROVAL', 'working'],
    ['SUCCESS', 'completed'],
    ['ERROR', 'failed'],
    ['TIMEOUT', 'failed'],
    ['REJECTED', 'failed'],
    ['RATE_LIMITED', 'failed'],
    ['CANCELLED', 'cancelled'],
  ])('%s is %s', (status, expected) => {
    expect(taskStatusOf(status)).toBe(expected);
    expect(isFinalStatus(status)).toBe(!['QUEUED', 'RUNNING', 'PENDING_APPROVAL'].includes(status));
  });

  test('a task is the execution: its id, times, unlimited ttl, a poll interval, and why it did not complete', () => {
    const pending = taskOf(execution({ status: 'PENDING_APPROVAL' }));
    expect(TaskSchema.parse(pending)).toEqual(pending);
    expect(pending).toMatchObject({
      taskId: '0b6f4f8e-5d4f-4a59-9f0c-2f3f6f0e8a11',
      status: 'working',
      ttl: null,
      createdAt: started.toISOString(),
      lastUpdatedAt: started.toISOString(),
      statusMessage: 'Waiting for a person to approve it',
    });
    const completedAt = new Date(started.getTime() + 1500);
    const failed = taskOf(execution({ status: 'TIMEOUT', completedAt, errorMessage: 'Timed out after 30 s' }));
    expect(failed).toMatchObject({
      status: 'failed',
      lastUpdatedAt: completedAt.toISOString(),
      statusMessage: 'Timed out after 30 s',
    });
    expect(taskOf(execution({ status: 'SUCCESS', completedAt })).statusMessage).toBeUndefined();
  });
});

describe('MCP progress messages', () => {
  const event = (kind: string, extra: Record<string, unknown> = {}) =>
    ({ kind, executionId: 'e', organizationId: 'o', status: 'RUNNING', ...extra }) as unknown as ExecutionEvent;

  test('running, retrying and progress events are progress; the others are not', () => {
    expect(progressMessage(event('running'))).toBe('Running');
    expect(progressMessage(event('retrying'))).toBe('Retrying');
    expect(progressMessage(event('progress', { message: 'Found two tables' }))).toBe('Found two tables');
    expect(progressMessage(event('progress', { message: 'x'.repeat(600) }))).toHaveLength(500);
    expect(progressMessage(event('created'))).toBeNull();
    expect(progressMessage(event('finished'))).toBeNull();
  });
});
