import { describe, expect, it } from 'vitest';
import { MAX_REPORTED_CPU_MS, MAX_REPORTED_MEMORY_BYTES } from '../../server/sandbox/limits.ts';
import { parseSandboxMessage } from '../../server/sandbox/parse-message.ts';

const CAPS = { maxLogBytes: 1024, maxResultBytes: 1024 };

function result(usage: unknown): unknown {
  return { type: 'result', id: 'job-1', ok: true, value: 1, logs: [], usage };
}

describe('usage reported by a sandbox', () => {
  it('is passed on rounded', () => {
    expect(parseSandboxMessage(result({ cpuTimeMs: 12.6, peakMemoryBytes: 2048 }), CAPS)).toMatchObject({
      usage: { cpuTimeMs: 13, peakMemoryBytes: 2048 },
    });
    expect(parseSandboxMessage(result(undefined), CAPS)).not.toHaveProperty('usage');
  });

  it('is clamped to sane bounds, never trusted as sent', () => {
    expect(parseSandboxMessage(result({ cpuTimeMs: 1e15, peakMemoryBytes: 1e30 }), CAPS)).toMatchObject({
      usage: { cpuTimeMs: MAX_REPORTED_CPU_MS, peakMemoryBytes: MAX_REPORTED_MEMORY_BYTES },
    });
    expect(parseSandboxMessage(result({ cpuTimeMs: -5, peakMemoryBytes: -1 }), CAPS)).toMatchObject({
      usage: { cpuTimeMs: 0, peakMemoryBytes: 0 },
    });
  });

  it('makes the message malformed when it is not two numbers', () => {
    for (const usage of [
      null,
      'fast',
      { cpuTimeMs: '12', peakMemoryBytes: 1 },
      { cpuTimeMs: 1 },
      { cpuTimeMs: 1, peakMemoryBytes: 1, extra: 1 },
      // NaN and Infinity arrive as null through JSON IPC.
      { cpuTimeMs: null, peakMemoryBytes: 1 },
    ]) {
      expect(parseSandboxMessage(result(usage), CAPS), JSON.stringify(usage)).toBeNull();
    }
  });
});
