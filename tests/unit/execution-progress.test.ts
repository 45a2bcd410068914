/**
 * The progress limits: one storable line of at most 500 characters, at most 20
 * reports per execution, a burst of 5 then one per second; dropped reports are
 * counted in the logs, and a failing hook never reaches the reporter.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ToolExecution } from '../../server/db/generated/prisma/client.ts';
import {
  MAX_PROGRESS_CHARS,
  MAX_PROGRESS_MESSAGES,
  PROGRESS_BURST,
  PROGRESS_REFILL_MS,
  cleanProgressMessage,
  createProgressTracker,
} from '../../server/executions/execution-progress.ts';
import { createInMemoryPubSub, executionTopic, type ExecutionEvent } from '../../server/realtime/pubsub.ts';

const row = {
  id: '00000000-0000-4000-8000-000000000001',
  organizationId: '00000000-0000-4000-8000-000000000002',
  toolId: null,
  assistantId: null,
  callId: null,
  status: 'RUNNING',
} as ToolExecution;

function setup(onProgress?: (row: ToolExecution, message: string, sequence: number) => Promise<void>) {
  let now = 1_000_000;
  const pubsub = createInMemoryPubSub();
  const events: ExecutionEvent[] = [];
  pubsub.listen(executionTopic(row.organizationId), (event) => events.push(event));
  const tracker = createProgressTracker({
    pubsub,
    logger: pino({ level: 'silent' }),
    clock: () => now,
    ...(onProgress && { onProgress }),
  });
  return { tracker, events, advance: (ms: number) => (now += ms) };
}

describe('progress reports', () => {
  it('are one storable line of at most 500 characters', () => {
    expect(cleanProgressMessage('  two\r\nlines\u0000 and\ttabs  ')).toBe('two lines and tabs');
    const long = cleanProgressMessage('é'.repeat(2_000));
    expect(long).toHaveLength(MAX_PROGRESS_CHARS);
    expect(long.endsWith('…')).toBe(true);
    expect(cleanProgressMessage('\ud83d'.repeat(3))).not.toMatch(/[\ud800-\udfff]/);
    expect(cleanProgressMessage(' \n ')).toBe('');
  });

  it('keep a burst, then one per interval, and at most 20 per execution; the rest are counted in the logs', () => {
    const { tracker, events, advance } = setup();
    const verdicts: string[] = [];
    for (let i = 0; i < PROGRESS_BURST + 3; i++) verdicts.push(tracker.report(row, `burst ${i}`));
    expect(verdicts.filter((verdict) => verdict === 'accepted')).toHaveLength(PROGRESS_BURST);
    for (let i = 0; i < 40; i++) {
      advance(PROGRESS_REFILL_MS);
      tracker.report(row, `steady ${i}`);
    }
    const progress = events.filter((event) => event.kind === 'progress');
    expect(progress).toHaveLength(MAX_PROGRESS_MESSAGES);
    expect(progress.map((event) => event.sequence)).toEqual(
      Array.from({ length: MAX_PROGRESS_MESSAGES }, (_, i) => i + 1),
    );
    const lines = tracker.take(row.id);
    expect(lines).toHaveLength(MAX_PROGRESS_MESSAGES + 1);
    expect(lines[0]).toBe('[progress 1] burst 0');
    expect(lines.at(-1)).toMatch(/^\[progress\] 28 report\(s\) dropped/);
    // Taken once; counters stay, so an execution that goes on reporting keeps its numbering and limits.
    expect(tracker.take(row.id)).toEqual([]);
    advance(PROGRESS_REFILL_MS);
    expect(tracker.report(row, 'one more')).toBe('dropped');
  });

  it('an empty report is dropped; a failing hook is logged, never thrown', async () => {
    const seen: number[] = [];
    const { tracker } = setup(async (_row, _message, sequence) => {
      seen.push(sequence);
      throw new Error('outbox down');
    });
    expect(tracker.report(row, '   ')).toBe('dropped');
    expect(tracker.report(row, 'ok')).toBe('accepted');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1]);
  });
});
