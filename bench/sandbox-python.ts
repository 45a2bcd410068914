/**
 * Python code tools on Pyodide: a cold sandbox process start (Pyodide load),
 * warm executions through a sandbox pool and end to end through the engine in
 * process (`engine.run`), the memory of a pool process (VmRSS / VmHWM from
 * /proc), and a runaway `while True: pass` against its timeout, with the time
 * the pool takes to be whole again after recycling the interrupted process.
 * The same trivial function called directly in Node is the baseline.
 * Figures and ratios only, no pass/fail.
 */
import { performance } from 'node:perf_hooks';
import { createSandboxPool } from '../server/sandbox/pool.ts';
import { pythonWorkerLaunch } from '../server/sandbox/python/launch.ts';
import {
  benchJob,
  childProcessMemory,
  ms,
  noNetworkHooks,
  printHeader,
  ratio,
  signed,
  startBenchApp,
  time,
  trivial,
  waitFor,
  type ProcessMemory,
} from './sandbox-setup.ts';

/**
 * A pool replaces a process after 100 jobs (the pool default); it keeps serving while its successor
 * loads Pyodide, which competes for the CPU. Warm figures stay below that so they measure warm runs only.
 */
const WARMUP_RUNS = 10;
const WARM_RUNS = 80;
const PHASE_CAP_MS = 6_000;
const BASELINE_BATCH = 200_000;
const RUNAWAY_TIMEOUT_MS = 200;
/** Each runaway recycles the process (a Pyodide load before the next one). */
const RUNAWAY_RUNS = 3;
/** Pyodide takes 2-9 s to load on a busy 2-core machine. */
const START_TIMEOUT_MS = 60_000;
const WORKER_ENTRY = 'sandbox/python/worker.ts';

const TRIVIAL =
  "def execute_tool(parameters, context):\n    return {'success': True, 'message': 'ok', 'data': parameters['a'] + parameters['b']}";
const RUNAWAY = 'def execute_tool(parameters, context):\n    while True:\n        pass';

function memory(processes: ProcessMemory[]): string {
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  const rss = processes.reduce((sum, item) => sum + item.rssKb, 0);
  const peak = processes.reduce((sum, item) => sum + item.hwmKb, 0);
  return `${processes.length} process(es), RSS ${mb(rss)}, peak ${mb(peak)}`;
}

export async function runSandboxPython(): Promise<void> {
  const bench = await startBenchApp({ javascript: 0, python: 0 });
  printHeader('Sandbox: Python code tools (Pyodide)', bench.databaseLabel);

  let sink = 0;
  const batchStarted = performance.now();
  for (let i = 0; i < BASELINE_BATCH; i += 1) sink += trivial({ a: i, b: 1 }).data;
  const baseline = (performance.now() - batchStarted) / BASELINE_BATCH;
  if (sink < 0) console.log(sink);

  // Cold process: spawn, load Pyodide and the prelude, say ready.
  const pool = createSandboxPool({
    runtime: 'python',
    size: 1,
    launch: pythonWorkerLaunch,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  const coldStarted = performance.now();
  await pool.start();
  const coldStart = performance.now() - coldStarted;
  const firstStarted = performance.now();
  await pool.run(benchJob(TRIVIAL, 128), noNetworkHooks());
  const firstRun = performance.now() - firstStarted;
  const idleMemory = childProcessMemory(WORKER_ENTRY);

  const poolRun = async (): Promise<boolean> => (await pool.run(benchJob(TRIVIAL, 128), noNetworkHooks())).ok;
  await time(WARMUP_RUNS, PHASE_CAP_MS, poolRun);
  const warm = await time(WARM_RUNS, PHASE_CAP_MS, poolRun);
  const warmMemory = childProcessMemory(WORKER_ENTRY);

  const overshoot: number[] = [];
  const recovery: number[] = [];
  const codes = new Set<string>();
  for (let i = 0; i < RUNAWAY_RUNS; i += 1) {
    await waitFor(() => pool.stats().idle === 1, START_TIMEOUT_MS);
    const t0 = performance.now();
    const result = await pool.run(benchJob(RUNAWAY, 128, RUNAWAY_TIMEOUT_MS), noNetworkHooks());
    const t1 = performance.now();
    overshoot.push(t1 - t0 - RUNAWAY_TIMEOUT_MS);
    codes.add(result.ok ? 'ok' : result.error.code);
    // An interrupted interpreter is recycled: how long until the pool has a ready process again.
    await waitFor(() => pool.stats().idle === 1, START_TIMEOUT_MS);
    recovery.push(performance.now() - t1);
  }
  const recycledMemory = childProcessMemory(WORKER_ENTRY);
  await pool.stop();

  // End to end through the engine, with the app's own Python pool (started fresh here).
  const app = await startBenchApp({ javascript: 0, python: 1 });
  const toolId = await app.createCodeTool('trivial_py', { runtime: 'python', code: TRIVIAL });
  const engineRun = async (): Promise<boolean> => (await app.run(toolId, { a: 2, b: 40 })).status === 'SUCCESS';
  await time(WARMUP_RUNS, PHASE_CAP_MS, engineRun);
  const engine = await time(WARM_RUNS, PHASE_CAP_MS, engineRun);
  await app.close();
  await bench.close();

  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log('| path | runs | p50 | p99 | p50 / direct call |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| direct call in Node (baseline, mean of ${BASELINE_BATCH}) | ${BASELINE_BATCH} | ${ms(baseline)} | — | 1× |`,
  );
  console.log(
    `| sandbox pool, warm Pyodide process (IPC + fresh namespace) | ${warm.count} | ${ms(warm.p50)} | ${ms(warm.p99)} | ${ratio(warm.p50, baseline)} |`,
  );
  console.log(
    `| engine.run in process, end to end (logged execution) | ${engine.count} | ${ms(engine.p50)} | ${ms(engine.p99)} | ${ratio(engine.p50, baseline)} |`,
  );
  console.log('');
  console.log(
    `engine overhead over the sandbox pool: p50 ${signed(engine.p50 - warm.p50)}; failures: pool ${warm.failures}, engine ${engine.failures}`,
  );
  console.log(
    `cold sandbox process (spawn + Pyodide load until ready): ${ms(coldStart)}; its first run ${ms(firstRun)} — ${ratio(coldStart, warm.p50)} a warm execution`,
  );
  console.log(
    `pool memory: after start ${memory(idleMemory)}; after ${warm.count + WARMUP_RUNS + 1} runs ${memory(warmMemory)}; after recycling ${memory(recycledMemory)}`,
  );
  console.log(
    `runaway (while True: pass) with a ${RUNAWAY_TIMEOUT_MS} ms timeout: overshoot median ${ms(median(overshoot))} (max ${ms(Math.max(...overshoot))}), ` +
      `outcome ${[...codes].join(', ')}; the interrupted process is recycled, pool whole again after ${ms(median(recovery))} (max ${ms(Math.max(...recovery))})`,
  );
  console.log('');
}

if (import.meta.url === `file://${process.argv[1]}`) await runSandboxPython();
