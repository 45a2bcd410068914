/**
 * JavaScript code tools: a trivial function run directly in Node (the
 * baseline), in a fresh isolated-vm isolate in this process, through a sandbox
 * pool (IPC + fresh isolate per execution), and end to end through the engine
 * in process (`engine.run`: resolve, validate, log to the database, sandbox).
 * Also a cold sandbox process start and a runaway killed at its timeout.
 *
 * Warm runs are timed twice: with calls arriving apart (a voice call's tool
 * calls are seconds apart; here PACE_MS), where each sandbox process has
 * prepared the next execution's isolate while idle, and back to back, where
 * one process is saturated and making that isolate is on every call's path.
 * Figures and ratios only, no pass/fail.
 */
import ivm from 'isolated-vm';
import { performance } from 'node:perf_hooks';
import { javascriptWorkerLaunch } from '../server/sandbox/javascript/launch.ts';
import { createSandboxPool, type SandboxPool } from '../server/sandbox/pool.ts';
import {
  benchJob,
  fairShareLine,
  measureFairShare,
  ms,
  noNetworkHooks,
  printHeader,
  ratio,
  signed,
  startBenchApp,
  time,
  trivial,
  waitFor,
} from './sandbox-setup.ts';

const WARM_RUNS = 300;
/** Idle time before each paced run; enough for a process to prepare its next isolate. */
const PACE_MS = 10;
const PHASE_CAP_MS = 6_000;
const BASELINE_BATCH = 200_000;
const COLD_PROCESS_STARTS = 3;
const RUNAWAY_TIMEOUT_MS = 200;
/** Below the engine's circuit breaker, which refuses a tool after 5 failures in a row. */
const RUNAWAY_RUNS = 4;
const POOL_READY_MS = 10_000;
const FAIR_SHARE_RUNS = 100;

const TRIVIAL =
  'export default function execute(parameters) {\n  return { success: true, message: "ok", data: parameters.a + parameters.b };\n}';
const RUNAWAY = 'export default function execute() {\n  while (true) {}\n}';

async function freshIsolateRun(): Promise<boolean> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(
      '(function execute(p) { return JSON.stringify({ success: true, message: "ok", data: p.a + p.b }); })({ a: 2, b: 40 })',
    );
    const value: unknown = await script.run(context, { timeout: 1_000 });
    return typeof value === 'string';
  } finally {
    isolate.dispose();
  }
}

export async function runSandboxJavascript(): Promise<void> {
  const bench = await startBenchApp({ javascript: 1, python: 0 });
  printHeader('Sandbox: JavaScript code tools', bench.databaseLabel);

  // Baseline: the same function called directly, averaged over a batch (one call is below timer resolution).
  let sink = 0;
  const batchStarted = performance.now();
  for (let i = 0; i < BASELINE_BATCH; i += 1) sink += trivial({ a: i, b: 1 }).data;
  const baseline = (performance.now() - batchStarted) / BASELINE_BATCH;
  if (sink < 0) console.log(sink);

  const isolate = await time(WARM_RUNS, PHASE_CAP_MS, freshIsolateRun);

  const pool: SandboxPool = createSandboxPool({ runtime: 'javascript', size: 1, launch: javascriptWorkerLaunch });
  await pool.start();
  const poolRun = async (): Promise<boolean> => (await pool.run(benchJob(TRIVIAL, 64), noNetworkHooks())).ok;
  await time(50, PHASE_CAP_MS, poolRun);
  const sandbox = await time(WARM_RUNS, PHASE_CAP_MS, poolRun, PACE_MS);
  const sandboxBackToBack = await time(WARM_RUNS, PHASE_CAP_MS, poolRun);

  const trivialId = await bench.createCodeTool('trivial_js', { runtime: 'javascript', code: TRIVIAL });
  const engineRun = async (): Promise<boolean> => (await bench.run(trivialId, { a: 2, b: 40 })).status === 'SUCCESS';
  await time(50, PHASE_CAP_MS, engineRun);
  const engine = await time(WARM_RUNS, PHASE_CAP_MS, engineRun, PACE_MS);
  const engineBackToBack = await time(WARM_RUNS, PHASE_CAP_MS, engineRun);

  // Cold process: spawn a sandbox process (permission model, isolated-vm addon) until it says ready, then one run.
  const coldStart: number[] = [];
  const coldFirstRun: number[] = [];
  for (let i = 0; i < COLD_PROCESS_STARTS; i += 1) {
    const fresh = createSandboxPool({ runtime: 'javascript', size: 1, launch: javascriptWorkerLaunch });
    const t0 = performance.now();
    await fresh.start();
    const t1 = performance.now();
    await fresh.run(benchJob(TRIVIAL, 64), noNetworkHooks());
    coldStart.push(t1 - t0);
    coldFirstRun.push(performance.now() - t1);
    await fresh.stop();
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  // Runaways: the wall time of a `while (true) {}` job against its timeout, in the pool and through the engine.
  const poolOvershoot: number[] = [];
  for (let i = 0; i < RUNAWAY_RUNS; i += 1) {
    await waitFor(() => pool.stats().idle === 1, POOL_READY_MS);
    const t0 = performance.now();
    const result = await pool.run(benchJob(RUNAWAY, 64, RUNAWAY_TIMEOUT_MS), noNetworkHooks());
    poolOvershoot.push(performance.now() - t0 - RUNAWAY_TIMEOUT_MS);
    if (result.ok || result.error.code !== 'TIMEOUT')
      console.log(`unexpected runaway outcome: ${JSON.stringify(result)}`);
  }
  const runawayId = await bench.createCodeTool('runaway_js', {
    runtime: 'javascript',
    code: RUNAWAY,
    execution_timeout: RUNAWAY_TIMEOUT_MS / 1000,
  });
  const engineOvershoot: number[] = [];
  const statuses = new Set<string>();
  for (let i = 0; i < RUNAWAY_RUNS; i += 1) {
    const t0 = performance.now();
    const row = await bench.run(runawayId);
    engineOvershoot.push(performance.now() - t0 - RUNAWAY_TIMEOUT_MS);
    statuses.add(row.status);
  }
  const afterRunaway = await bench.run(trivialId, { a: 2, b: 40 });
  await pool.stop();

  // Production defaults: 2 spares, at most 6 processes, one organization may keep 3 busy.
  const shared = createSandboxPool({
    runtime: 'javascript',
    size: 2,
    maxProcesses: 6,
    maxPerOrganization: 3,
    launch: javascriptWorkerLaunch,
  });
  await shared.start();
  const fairShare = await measureFairShare(shared, TRIVIAL, RUNAWAY, 3, FAIR_SHARE_RUNS);
  await shared.stop();

  console.log('| path | runs | p50 | p99 | p50 / direct call |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| direct call in Node (baseline, mean of ${BASELINE_BATCH}) | ${BASELINE_BATCH} | ${ms(baseline)} | — | 1× |`,
  );
  console.log(
    `| fresh isolated-vm isolate in this process (create, compile, run, dispose) | ${isolate.count} | ${ms(isolate.p50)} | ${ms(isolate.p99)} | ${ratio(isolate.p50, baseline)} |`,
  );
  console.log(
    `| sandbox pool: IPC + fresh isolate per execution (warm process, calls ${PACE_MS} ms apart) | ${sandbox.count} | ${ms(sandbox.p50)} | ${ms(sandbox.p99)} | ${ratio(sandbox.p50, baseline)} |`,
  );
  console.log(
    `| sandbox pool, back to back (one saturated process) | ${sandboxBackToBack.count} | ${ms(sandboxBackToBack.p50)} | ${ms(sandboxBackToBack.p99)} | ${ratio(sandboxBackToBack.p50, baseline)} |`,
  );
  console.log(
    `| engine.run in process, end to end (logged execution, calls ${PACE_MS} ms apart) | ${engine.count} | ${ms(engine.p50)} | ${ms(engine.p99)} | ${ratio(engine.p50, baseline)} |`,
  );
  console.log(
    `| engine.run in process, back to back | ${engineBackToBack.count} | ${ms(engineBackToBack.p50)} | ${ms(engineBackToBack.p99)} | ${ratio(engineBackToBack.p50, baseline)} |`,
  );
  console.log('');
  console.log(
    `engine overhead over the sandbox pool: p50 ${signed(engine.p50 - sandbox.p50)}; pool over a bare isolate: p50 ${signed(sandbox.p50 - isolate.p50)}`,
  );
  console.log(
    `failures: isolate ${isolate.failures}, pool ${sandbox.failures + sandboxBackToBack.failures}, engine ${engine.failures + engineBackToBack.failures}`,
  );
  console.log(
    `cold sandbox process (spawn until ready), median of ${COLD_PROCESS_STARTS}: ${ms(median(coldStart))} (min ${ms(Math.min(...coldStart))}, max ${ms(Math.max(...coldStart))}); ` +
      `its first run ${ms(median(coldFirstRun))} — ${ratio(median(coldStart), sandbox.p50)} a warm execution`,
  );
  console.log(
    `runaway (while (true) {}) with a ${RUNAWAY_TIMEOUT_MS} ms timeout, overshoot past the timeout: ` +
      `pool median ${ms(median(poolOvershoot))} (max ${ms(Math.max(...poolOvershoot))}); ` +
      `engine median ${ms(median(engineOvershoot))} (max ${ms(Math.max(...engineOvershoot))}; ` +
      `${signed(median(engineOvershoot) - engine.p50)} beyond a normal engine run's p50), statuses ${[...statuses].join(', ')}; ` +
      `next normal run ${afterRunaway.status}`,
  );
  console.log(fairShareLine(fairShare));
  console.log('');
  await bench.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await runSandboxJavascript();
