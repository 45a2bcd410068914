/**
 * Python code tools on Pyodide: the cold load that makes the interpreter
 * snapshot, a fresh interpreter restored from it (time to ready, memory), warm
 * executions through a sandbox pool and end to end through the engine in
 * process (`engine.run`), a runaway `while True: pass` against its timeout, and
 * another organization's latency while one pins every process it may use.
 * The same trivial function called directly in Node is the baseline.
 * Figures and ratios only, no pass/fail.
 */
import { performance } from 'node:perf_hooks';
import { createSandboxPool } from '../server/sandbox/pool.ts';
import { pythonWorkerLaunch } from '../server/sandbox/python/launch.ts';
import { spawnWorker } from '../server/sandbox/worker-process.ts';
import {
  benchJob,
  childProcessMemory,
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

const FRESH_RUNS = 5;
const FAIR_SHARE_RUNS = 40;
const SPIN = 'def execute_tool(parameters, context):\n    while True:\n        pass';

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;

function memory(processes: ProcessMemory[]): string {
  const rss = processes.reduce((sum, item) => sum + item.rssKb, 0);
  const peak = processes.reduce((sum, item) => sum + item.hwmKb, 0);
  const own = processes.reduce((sum, item) => sum + item.privateKb, 0);
  return `${processes.length} process(es), RSS ${mb(rss)} (private ${mb(own)}), peak ${mb(peak)}`;
}

/** Spawns a serving process from the snapshot and times it until it says ready; returns its memory then. */
async function freshInterpreter(): Promise<{ readyMs: number; memory: ProcessMemory | undefined }> {
  const launch = await pythonWorkerLaunch();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const worker = spawnWorker(launch, {
      message: () => {
        const readyMs = performance.now() - started;
        const found = childProcessMemory(WORKER_ENTRY).find((item) => item.pid === worker.pid);
        worker.kill();
        resolve({ readyMs, memory: found });
      },
      exit: () => reject(new Error('the sandbox process exited before it was ready')),
    });
  });
}

export async function runSandboxPython(): Promise<void> {
  const bench = await startBenchApp({ javascript: 0, python: 0 });
  printHeader('Sandbox: Python code tools (Pyodide)', bench.databaseLabel);

  let sink = 0;
  const batchStarted = performance.now();
  for (let i = 0; i < BASELINE_BATCH; i += 1) sink += trivial({ a: i, b: 1 }).data;
  const baseline = (performance.now() - batchStarted) / BASELINE_BATCH;
  if (sink < 0) console.log(sink);

  // Cold load (Pyodide and the prelude, once per server process): it makes the snapshot.
  const coldStarted = performance.now();
  await pythonWorkerLaunch();
  const coldStart = performance.now() - coldStarted;
  const fresh: Array<{ readyMs: number; memory: ProcessMemory | undefined }> = [];
  for (let i = 0; i < FRESH_RUNS; i += 1) fresh.push(await freshInterpreter());
  const freshReady = fresh.map((item) => item.readyMs).sort((a, b) => a - b);
  const freshMemory = fresh.flatMap((item) => (item.memory ? [item.memory] : []));
  const pool = createSandboxPool({
    runtime: 'python',
    size: 1,
    affinity: 'tool',
    launch: pythonWorkerLaunch,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  await pool.start();
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

  // Production defaults: 1 spare, at most 4 processes, one organization may keep 2 busy.
  const shared = createSandboxPool({
    runtime: 'python',
    size: 1,
    affinity: 'tool',
    maxProcesses: 4,
    maxPerOrganization: 2,
    launch: pythonWorkerLaunch,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  await shared.start();
  const fairShare = await measureFairShare(shared, TRIVIAL, SPIN, 2, FAIR_SHARE_RUNS);
  await shared.stop();

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
  console.log(`cold load (Pyodide + prelude, makes the snapshot; once per server process): ${ms(coldStart)}`);
  console.log(
    `fresh interpreter from the snapshot (spawn until ready), ${FRESH_RUNS} runs: p50 ${ms(median(freshReady))}, max ${ms(Math.max(...freshReady))} — ${ratio(median(freshReady), coldStart)} of the cold load; ` +
      `memory per interpreter: ${memory(freshMemory.slice(0, 1))}; first run on a new pool ${ms(firstRun)}`,
  );
  console.log(fairShareLine(fairShare));
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
