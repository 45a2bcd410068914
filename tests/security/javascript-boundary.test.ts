/**
 * The JavaScript sandbox's boundary (issue: code tools): a process serves one
 * organization; limits cover every allocation, enforced by the host while the
 * job runs; nothing a guest returns, throws or logs can get its process
 * replaced; and one organization can neither fill every process nor the queue,
 * nor keep another from saving tools. Production pools and limits throughout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../server/config.ts';
import { createSandboxPool } from '../../server/sandbox/pool.ts';
import type { RunJob, SandboxPool, SandboxRunResult } from '../../server/sandbox/pool.ts';
import { startSandboxPools, type SandboxPools } from '../../server/sandbox/pools.ts';
import type { RunLimits } from '../../server/sandbox/protocol.ts';

vi.setConfig({ testTimeout: 60_000 });

const LIMITS: Config['sandbox'] = {
  javascriptPoolSize: 2,
  pythonPoolSize: 0,
  javascriptMaxProcesses: 6,
  pythonMaxProcesses: 1,
  organizationSharePercent: 50,
};
const DEFAULT_LIMITS: RunLimits = { timeoutMs: 5_000, memoryMb: 8, maxLogBytes: 16 * 1024, maxResultBytes: 64 * 1024 };
const leftovers: Array<() => Promise<void> | void> = [];
let pools: SandboxPools;
let pool: SandboxPool;

beforeAll(async () => {
  pools = await startSandboxPools(LIMITS, pino({ level: 'silent' }));
  pool = pools.byRuntime.javascript as SandboxPool;
  leftovers.push(() => pools.stop());
});

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
});

function job(organizationId: string, body: string, limits: Partial<RunLimits> = {}): RunJob {
  return {
    code: `export default async function execute(parameters, context) {\n${body}\n}`,
    parameters: {},
    context: { organizationId, toolId: 'tool', toolVersion: 1 },
    secrets: {},
    allowedImports: [],
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
}

function run(organizationId: string, body: string, limits: Partial<RunLimits> = {}): Promise<SandboxRunResult> {
  return pool.run(job(organizationId, body, limits), {
    signal: new AbortController().signal,
    onFetch: () => Promise.reject(new Error('no network in this test')),
  });
}

describe('javascript: memory', () => {
  it('refuses resizable buffers, which commit memory the isolate limit does not count', async () => {
    const result = await run(
      'org-a',
      `const buffer = new ArrayBuffer(8, { maxByteLength: 1024 * 1024 * 1024 });
       buffer.resize(512 * 1024 * 1024);
       return buffer.byteLength;`,
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR' } });
    expect(result.ok ? '' : result.error.message).toMatch(/resizable ArrayBuffers are not available/);
    const viaPrototype = await run(
      'org-a',
      `const Real = Object.getPrototypeOf(new Uint8Array(1).buffer).constructor;
       const buffer = new Real(8, { maxByteLength: 1024 * 1024 * 1024 });
       return [typeof buffer.resize, typeof ArrayBuffer.prototype.transfer];`,
    );
    expect(viaPrototype).toMatchObject({ ok: false });
    const plain = await run('org-a', 'return [new ArrayBuffer(16).byteLength, typeof ArrayBuffer.prototype.resize];');
    expect(plain).toMatchObject({ ok: true, value: [16, 'undefined'] });
  });

  it("stops a job whose process outgrows the job's memory while it runs", async () => {
    // A compromised worker that allocates outside any isolate and never answers: only the
    // host, reading the process's resident memory while the job runs, can stop it.
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-fake-worker-'));
    leftovers.push(() => rmSync(dir, { recursive: true, force: true }));
    const entry = join(dir, 'hog.mjs');
    writeFileSync(
      entry,
      `const held = [];
       process.on('message', (m) => {
         if (m.type !== 'run') return;
         const grow = () => { held.push(Buffer.alloc(16 * 1024 * 1024, 1)); if (held.length < 64) setTimeout(grow, 5); };
         grow();
       });
       process.on('disconnect', () => process.exit(0));
       process.send({ type: 'ready', runtime: 'javascript' });`,
    );
    const fake = createSandboxPool({ runtime: 'javascript', size: 1, launch: { entry, execArgv: [] } });
    leftovers.push(() => fake.stop());
    await fake.start();
    const result = await fake.run(
      { ...job('org-a', 'return 1'), limits: { ...DEFAULT_LIMITS, memoryMb: 32, timeoutMs: 30_000 } },
      { signal: new AbortController().signal, onFetch: () => Promise.reject(new Error('none')) },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'MEMORY_LIMIT' } });
    await vi.waitFor(() => expect(fake.stats()).toMatchObject({ restarts: 1, idle: 1 }), { timeout: 10_000 });
    await fake.stop();
  });
});

describe('javascript: nothing a guest says replaces its process', () => {
  it('keeps the process when an error claims an absurd position', async () => {
    const first = await run('org-a', 'return 1;');
    const thrown = await run(
      'org-a',
      `const error = new Error('x'.repeat(100000));
       error.stack = 'Error: x\\n    at file:///tool.js:100000000000000000000:1e30';
       throw error;`,
    );
    expect(thrown).toMatchObject({ ok: false, error: { code: 'FUNCTION_ERROR' } });
    expect(thrown.pid).toBe(first.pid);
    const after = await run('org-a', 'return 2;');
    expect(after).toMatchObject({ ok: true, value: 2, pid: first.pid });
  });

  it('answers a save whose code names an enormous import without losing the checking process', async () => {
    const before = pool.stats().validatorPids;
    const issues = await pool.validate(
      `import x from '${'a'.repeat(6_004)}';\nexport default function execute() { return x; }`,
      undefined,
      'org-a',
    );
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.message.length).toBeLessThanOrEqual(4096);
    expect(pool.stats().validatorPids).toEqual(before);
  });
});

describe('javascript: organizations', () => {
  it('never runs two organizations in one process', async () => {
    const owners = new Map<number, string>();
    for (let round = 0; round < 3; round += 1) {
      for (const organization of ['org-a', 'org-b', 'org-c']) {
        const result = await run(organization, 'return 1;');
        expect(result.ok).toBe(true);
        expect(owners.get(result.pid as number) ?? organization).toBe(organization);
        owners.set(result.pid as number, organization);
      }
    }
  });

  it('serves another organization, and its saves, while one floods every process and the queue', async () => {
    const flood = Array.from({ length: 20 }, () =>
      run('org-flood', 'while (true) {}', { timeoutMs: 4_000 }).then((result) => ({ result, at: Date.now() })),
    );
    const other = await run('org-calm', 'return "calm";');
    const issues = await pool.validate('export default function execute() { return 1; }', undefined, 'org-calm');
    const answeredAt = Date.now();
    expect(other).toMatchObject({ ok: true, value: 'calm' });
    expect(issues).toEqual([]);
    const flooded = await Promise.all(flood);
    // The flood held its share of processes (3 of 6) until its deadline, after the calm organization
    // was answered; the rest of it waited and timed out or was refused.
    const pinning = flooded.filter(({ result }) => !result.ok && result.error.code === 'TIMEOUT');
    expect(pinning.length).toBeGreaterThanOrEqual(3);
    for (const { at } of pinning) expect(at).toBeGreaterThan(answeredAt);
    const refused = flooded.filter(({ result }) => !result.ok && result.error.code === 'SANDBOX_UNAVAILABLE');
    expect(refused.length + pinning.length).toBe(flooded.length);
  });

  it("checks another organization's save before the rest of a flood of saves", async () => {
    // A checker that takes 30 ms per save: enough for a backlog to form behind it.
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-fake-worker-'));
    leftovers.push(() => rmSync(dir, { recursive: true, force: true }));
    const entry = join(dir, 'slow-checker.mjs');
    writeFileSync(
      entry,
      `process.on('message', (m) => {
         if (m.type === 'validate') setTimeout(() => process.send({ type: 'validated', id: m.id, errors: [] }), 30);
       });
       process.on('disconnect', () => process.exit(0));
       process.send({ type: 'ready', runtime: 'javascript' });`,
    );
    const fake = createSandboxPool({ runtime: 'javascript', size: 1, launch: { entry, execArgv: [] }, maxQueue: 8 });
    leftovers.push(() => fake.stop());
    await fake.start();
    const order: string[] = [];
    const flood = Array.from({ length: 12 }, (_, index) =>
      fake.validate('code', undefined, 'org-flood').then(
        () => order.push(`flood-${index}`),
        (error: Error) => order.push(`refused: ${error.message}`),
      ),
    );
    const calm = fake.validate('code', undefined, 'org-calm').then(() => order.push('calm'));
    await Promise.all([...flood, calm]);
    // The flood beyond its own queue bound was refused; the calm organization's save did not wait behind it.
    expect(order.filter((entry) => entry.startsWith('refused')).length).toBe(3);
    expect(order.indexOf('calm')).toBeLessThan(order.indexOf('flood-3'));
  });
});
