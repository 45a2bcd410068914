/**
 * How the pool starts a Python sandbox process. The permission model is the
 * boundary that holds even if Python reaches JavaScript: the process may read
 * only Pyodide's files and its own sources, and may not write files, open
 * sockets, spawn processes or threads, load addons, or compile code from strings.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerLaunch } from '../worker-process.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sandboxDir = path.dirname(here);
const pyodideDir = path.dirname(realpathSync(createRequire(import.meta.url).resolve('pyodide/package.json')));
/** The worker's own JavaScript heap holds one job's messages; Python lives in wasm memory. */
const WORKER_HEAP_MB = 256;

/** The files the worker imports at runtime (type-only imports are erased and not read). */
const WORKER_SOURCES = [
  path.join(here, 'worker.ts'),
  path.join(here, 'prelude.py.ts'),
  path.join(here, 'dict-watch.ts'),
  path.join(here, 'state-watch.ts'),
  path.join(sandboxDir, 'limits.ts'),
  path.join(sandboxDir, 'parse-message.ts'),
];

export const pythonWorkerLaunch: WorkerLaunch = {
  entry: path.join(here, 'worker.ts'),
  execArgv: [
    '--disallow-code-generation-from-strings',
    '--permission',
    `--allow-fs-read=${pyodideDir}`,
    ...WORKER_SOURCES.map((file) => `--allow-fs-read=${file}`),
    `--max-old-space-size=${WORKER_HEAP_MB}`,
    '--no-warnings',
  ],
};
