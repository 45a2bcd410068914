/**
 * How the JavaScript sandbox process is started: the worker entry plus the
 * Node permission model, reading only the sandbox's own sources and the
 * isolated-vm addon. No network, child processes, workers or writes.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerLaunch } from '../worker-process.ts';

/** The worker's own heap only holds one job's messages; isolates have their own limits. */
const WORKER_HEAP_MB = 128;

const javascriptDir = dirname(fileURLToPath(import.meta.url));
const sandboxDir = dirname(javascriptDir);
const require = createRequire(import.meta.url);
const isolatedVmDir = dirname(realpathSync(require.resolve('isolated-vm/package.json')));
const nodeGypBuildDir = dirname(
  realpathSync(createRequire(join(isolatedVmDir, 'package.json')).resolve('node-gyp-build/package.json')),
);

/** Files outside `javascript/` that the worker imports at runtime. */
const SHARED_SOURCES = ['limits.ts', 'parse-message.ts', 'bounded-message.ts'].map((file) => join(sandboxDir, file));

function readable(path: string): string {
  return `--allow-fs-read=${path}`;
}

export const javascriptWorkerLaunch: WorkerLaunch = {
  entry: join(javascriptDir, 'worker.ts'),
  execArgv: [
    '--permission',
    '--allow-addons',
    readable(javascriptDir),
    ...SHARED_SOURCES.map(readable),
    readable(isolatedVmDir),
    readable(nodeGypBuildDir),
    // isolated-vm's loader probes for musl.
    readable('/etc/alpine-release'),
    '--disallow-code-generation-from-strings',
    `--max-old-space-size=${WORKER_HEAP_MB}`,
  ],
};
