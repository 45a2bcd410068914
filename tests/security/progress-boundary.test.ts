/**
 * `context.progress()` keeps the sandbox boundary: a guest reporting in a loop,
 * with hostile values, keeps its process and reaches the host only as bounded
 * strings; a worker that sends more reports than the protocol allows, or
 * reports outside its job, is replaced and only its job fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_PROGRESS_CHARS, MAX_PROGRESS_PER_JOB } from '../../server/sandbox/limits.ts';
import { createSandboxPool, type RunJob, type SandboxPool } from '../../server/sandbox/pool.ts';
import { startSandboxPools, type SandboxPools } from '../../server/sandbox/pools.ts';

vi.setConfig({ testTimeout: 60_000 });

const leftovers: Array<() => Promise<void> | void> = [];
let pools: SandboxPools;
let pool: SandboxPool;

beforeAll(async () => {
  pools = await startSandboxPools(
    {
      javascriptPoolSize: 1,
      pythonPoolSize: 0,
      javascriptMaxProcesses: 2,
      pythonMaxProcesses: 1,
      organizationSharePercent: 100,
    },
    pino({ level: 'silent' }),
  );
  pool = pools.byRuntime.javascript as SandboxPool;
  leftovers.push(() => pools.stop());
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

function job(body: string): RunJob {
  return {
    code: `export default async function execute(parameters, context) {\n${body}\n}`,
    parameters: {},
    context: { organizationId: 'org-a' },
    secrets: {},
    allowedImports: [],
    limits: { timeoutMs: 5_000, memoryMb: 16, maxLogBytes: 16 * 1024, maxResultBytes: 64 * 1024 },
  };
}

describe('context.progress across the sandbox boundary', () => {
  it('hostile reports reach the host as bounded strings, the loop is capped and the process kept', async () => {
    const received: string[] = [];
    const hooks = {
      signal: new AbortController().signal,
      onFetch: () => Promise.reject(new Error('no network')),
      onProgress: (message: string) => received.push(message),
    };
    const first = await pool.run(job('return 1;'), hooks);
    const result = await pool.run(
      job(`
        context.progress({ toString() { throw new Error('boom'); } });
        context.progress(Symbol('s'));
        context.progress('x'.repeat(100000));
        let thrown = 0;
        try { context.progress = null; } catch { thrown += 1; }
        for (let i = 0; i < 1000; i++) context.progress('step ' + i);
        return typeof context.progress;`),
      hooks,
    );
    expect(result).toMatchObject({ ok: true, value: 'function', pid: first.pid });
    expect(received).toHaveLength(MAX_PROGRESS_PER_JOB);
    expect(received.every((message) => typeof message === 'string' && message.length <= MAX_PROGRESS_CHARS)).toBe(true);
    expect(received[1]).toBe('Symbol(s)');
  });

  it('a worker that floods reports, or reports outside its job, is replaced; only its job fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-fake-worker-'));
    leftovers.push(() => rmSync(dir, { recursive: true, force: true }));
    const entry = join(dir, 'chatty.mjs');
    writeFileSync(
      entry,
      `process.on('message', (m) => {
         if (m.type !== 'run') return;
         for (let i = 0; i < ${MAX_PROGRESS_PER_JOB + 10}; i++) process.send({ type: 'progress', id: m.id, message: 'x' });
       });
       process.on('disconnect', () => process.exit(0));
       process.send({ type: 'ready', runtime: 'javascript' });`,
    );
    const fake = createSandboxPool({ runtime: 'javascript', size: 1, launch: { entry, execArgv: [] } });
    leftovers.push(() => fake.stop());
    await fake.start();
    let delivered = 0;
    const result = await fake.run(job('return 1;'), {
      signal: new AbortController().signal,
      onFetch: () => Promise.reject(new Error('none')),
      onProgress: () => (delivered += 1),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'SANDBOX_CRASHED' } });
    expect(delivered).toBe(MAX_PROGRESS_PER_JOB);
    await vi.waitFor(() => expect(fake.stats()).toMatchObject({ restarts: 1 }), { timeout: 10_000 });
  });
});
