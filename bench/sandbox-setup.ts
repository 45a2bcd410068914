/**
 * What the two sandbox benchmarks share: a real app over embedded PGlite with
 * the abuse limits lifted, timing helpers, the machine header, and the RSS of
 * sandbox processes read from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp, type App } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase, type Database } from '../server/db/database.ts';
import type { ToolExecution } from '../server/db/generated/prisma/client.ts';
import type { JsonObject } from '../server/executors/types.ts';
import type { RunHooks, RunJob, SandboxPool } from '../server/sandbox/pool.ts';
import { loadAverage, machineLine, percentile } from './report.ts';

export { percentile };

const UNLIMITED = { capacity: 1e9, refillPerSecond: 1e9 };

export interface BenchApp {
  app: App;
  organizationId: string;
  databaseLabel: string;
  /** Saves a CODE tool and returns its id. */
  createCodeTool(name: string, configuration: JsonObject): Promise<string>;
  /** One execution through the engine, in process (no HTTP, no GraphQL). */
  run(toolId: string, parameters?: JsonObject): Promise<ToolExecution>;
  close(): Promise<void>;
}

export async function startBenchApp(pools: { javascript: number; python: number }): Promise<BenchApp> {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? null;
  const database: Database = await openDatabase({ databaseUrl, dataDir: 'memory://', poolSize: 10 });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-bench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_SEED_DEMO: 'false',
    SWITCHBOARD_JS_POOL_SIZE: String(pools.javascript),
    SWITCHBOARD_PYTHON_POOL_SIZE: String(pools.python),
  });
  // The benchmark measures the sandbox path, not the abuse limits, so they are lifted.
  const app = await buildApp(config, {
    database,
    engine: { rateLimits: { tool: UNLIMITED, assistant: UNLIMITED, perCall: 1e9, test: UNLIMITED } },
  });
  const prisma = app.services.prisma;
  const organization = await prisma.organization.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
  return {
    app,
    organizationId: organization.id,
    databaseLabel: databaseUrl ? 'PostgreSQL' : 'PGlite (embedded, in memory)',
    async createCodeTool(name, configuration) {
      const tool = await prisma.tool.create({
        data: {
          organizationId: organization.id,
          name,
          displayName: name,
          type: 'CODE',
          configuration,
          timeoutSeconds: 30,
          functionDefinition: { name, parameters: { type: 'object', properties: {} } },
        },
      });
      return tool.id;
    },
    run(toolId, parameters = {}) {
      return app.services.engine.run({
        organizationId: organization.id,
        toolId,
        parameters,
        context: { triggerContext: 'test' },
        actor: { userId: null, apiKeyId: null },
      });
    },
    async close() {
      await app.stop();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Timings {
  p50: number;
  p99: number;
  mean: number;
  count: number;
  failures: number;
}

/**
 * Runs `once` sequentially up to `count` times or until `capMs` has passed,
 * idling `pauseMs` (not timed) before each run: calls that arrive apart, as a
 * voice call's tool calls do, rather than back to back.
 */
export async function time(
  count: number,
  capMs: number,
  once: () => Promise<boolean> | boolean,
  pauseMs = 0,
): Promise<Timings> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  while (latencies.length < count && performance.now() - started < capMs) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const t0 = performance.now();
    const ok = await once();
    latencies.push(performance.now() - t0);
    if (!ok) failures += 1;
  }
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean, count: latencies.length, failures };
}

export function ms(value: number): string {
  return value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 1
      ? `${value.toFixed(2)} ms`
      : `${(value * 1000).toFixed(2)} µs`;
}

export function signed(value: number): string {
  return `${value < 0 ? '−' : '+'}${ms(Math.abs(value))}`;
}

export function ratio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(value / baseline >= 100 ? 0 : 1)}×`;
}

export function printHeader(title: string, databaseLabel: string): void {
  console.log(`## ${title}`);
  console.log(machineLine());
  console.log(`node:     ${process.version}; load average at start ${loadAverage()}`);
  console.log(`database: ${databaseLabel}`);
  console.log('');
}

export interface ProcessMemory {
  pid: number;
  rssKb: number;
  hwmKb: number;
  /** Pages only this process holds (Private_Clean + Private_Dirty): what one more process costs. */
  privateKb: number;
}

/** Live child processes of this process whose command line contains `entry`, with their memory. */
export function childProcessMemory(entry: string): ProcessMemory[] {
  const found: ProcessMemory[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(entry)) continue;
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const field = (key: string): number =>
        Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
      const rollup = readFileSync(`/proc/${name}/smaps_rollup`, 'utf8');
      const rolled = (key: string): number =>
        Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? Number.NaN);
      found.push({
        pid: Number(name),
        rssKb: field('VmRSS'),
        hwmKb: field('VmHWM'),
        privateKb: rolled('Private_Clean') + rolled('Private_Dirty'),
      });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Resolves once `condition` holds, or after `timeoutMs`; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

/** The same trivial function both sandboxes run, as a plain call: the in-process baseline. */
export function trivial(parameters: { a: number; b: number }): { success: boolean; message: string; data: number } {
  return { success: true, message: 'ok', data: parameters.a + parameters.b };
}

export function benchJob(
  code: string,
  memoryMb: number,
  timeoutMs = 5_000,
  context: { organizationId?: string; toolId?: string } = {},
): RunJob {
  return {
    code,
    parameters: { a: 2, b: 40 },
    context: { ...context },
    secrets: {},
    allowedImports: [],
    limits: { timeoutMs, memoryMb, maxLogBytes: 32 * 1024, maxResultBytes: 256 * 1024 },
  };
}

/** Benchmarked code never reaches the network. */
export const noNetworkHooks = (): RunHooks => ({
  signal: new AbortController().signal,
  onFetch: () => Promise.reject(new Error('no network in the benchmark')),
});

export interface FairShare {
  alone: Timings;
  pinned: Timings;
  /** Jobs the pinning organization had refused or timed out meanwhile (its own cost). */
  hogJobs: number;
}

/**
 * Another organization's latency while one organization keeps every process it may
 * use busy with CPU-bound jobs, against the same organization's latency alone.
 * The quiet organization's calls arrive apart, as a voice call's do.
 */
export async function measureFairShare(
  pool: SandboxPool,
  quietCode: string,
  spinCode: string,
  hogConcurrency: number,
  runs: number,
): Promise<FairShare> {
  const quiet = async (): Promise<boolean> =>
    (await pool.run(benchJob(quietCode, 64, 5_000, { organizationId: 'quiet', toolId: 'quiet' }), noNetworkHooks())).ok;
  await time(5, 10_000, quiet);
  const alone = await time(runs, 20_000, quiet, 20);
  let hogging = true;
  let hogJobs = 0;
  const hog = async (lane: number): Promise<void> => {
    while (hogging) {
      hogJobs += 1;
      await pool.run(
        benchJob(spinCode, 64, 1_000, { organizationId: 'hog', toolId: `spin-${lane}` }),
        noNetworkHooks(),
      );
    }
  };
  const lanes = Array.from({ length: hogConcurrency }, (_, lane) => hog(lane));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const pinned = await time(runs, 30_000, quiet, 20);
  hogging = false;
  await Promise.all(lanes);
  return { alone, pinned, hogJobs };
}

export function fairShareLine(share: FairShare): string {
  return (
    `another organization while one pins its share with CPU-bound jobs: p50 ${ms(share.pinned.p50)} / p99 ${ms(share.pinned.p99)} ` +
    `(alone: p50 ${ms(share.alone.p50)} / p99 ${ms(share.alone.p99)}; p99 ${ratio(share.pinned.p99, share.alone.p99)} of alone), ` +
    `failures ${share.pinned.failures}/${share.pinned.count}; the pinning organization ran or was refused ${share.hogJobs} jobs`
  );
}
