/**
 * How the pool starts a Python sandbox process. The permission model is the
 * boundary that holds even if Python reaches JavaScript: the process may read
 * only Pyodide's files, its own sources and the interpreter snapshot, and may
 * not write files, open sockets, spawn processes or threads, load addons, or
 * compile code from strings.
 *
 * Every process starts from one memory snapshot of a warmed-up interpreter,
 * made once per server process by a process that runs only our own prelude
 * (and may write only its snapshot's directory): a pristine interpreter in
 * about 0.3 s instead of a 2 s cold load.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerLaunch } from '../worker-process.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sandboxDir = path.dirname(here);
const pyodideDir = path.dirname(realpathSync(createRequire(import.meta.url).resolve('pyodide/package.json')));
/** The worker's own JavaScript heap holds one job's messages; Python lives in wasm memory. */
const WORKER_HEAP_MB = 256;
/** A cold Pyodide load takes 2 s, and up to 9 s on a busy 2-core machine. */
const SNAPSHOT_TIMEOUT_MS = 120_000;

/** The files the worker reads at runtime (type-only imports are erased and not read). */
const WORKER_SOURCES = [
  path.join(here, 'worker.ts'),
  path.join(here, 'prelude.py'),
  path.join(sandboxDir, 'limits.ts'),
  path.join(sandboxDir, 'parse-message.ts'),
  path.join(sandboxDir, 'bounded-message.ts'),
];

/** The worker's entry, as it appears on a sandbox process's command line. */
export const PYTHON_WORKER_ENTRY = path.join(here, 'worker.ts');
const entry = PYTHON_WORKER_ENTRY;
const baseArgv = [
  '--disallow-code-generation-from-strings',
  '--permission',
  `--allow-fs-read=${pyodideDir}`,
  ...WORKER_SOURCES.map((file) => `--allow-fs-read=${file}`),
  `--max-old-space-size=${WORKER_HEAP_MB}`,
  '--no-warnings',
  // Freeing a deeply nested structure recurses in C; V8's default ~1 MB of stack ends that at
  // ~10,000 levels, well inside the 8 MB the operating system gives the main thread.
  '--stack-size=4000',
];

function makeSnapshot(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-pyodide-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'interpreter.snapshot');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...baseArgv, `--allow-fs-write=${dir}`, entry, 'snapshot', file], {
      env: {},
      cwd: here,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), SNAPSHOT_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(file);
      else
        reject(new Error(`the Python snapshot could not be made (code ${code}, signal ${signal}): ${stderr.trim()}`));
    });
  });
}

let snapshot: Promise<string> | null = null;

/** The launch of a serving process; makes the snapshot on first use (once per server process). */
export async function pythonWorkerLaunch(): Promise<WorkerLaunch> {
  snapshot ??= makeSnapshot().catch((error: unknown) => {
    snapshot = null;
    throw error;
  });
  const file = await snapshot;
  return { entry, execArgv: [...baseArgv, `--allow-fs-read=${file}`], args: ['serve', file] };
}
