import type { Logger } from 'pino';
import { javascriptWorkerLaunch } from './javascript/launch.ts';
import { createSandboxPool, type SandboxPool } from './pool.ts';
import type { Runtime } from './protocol.ts';
import { pythonWorkerLaunch } from './python/launch.ts';

const PYTHON_START_TIMEOUT_MS = 60_000;

export interface SandboxPools {
  byRuntime: Partial<Record<Runtime, SandboxPool>>;
  stop(): Promise<void>;
}

/** One warm pool per runtime (a size of 0 leaves that runtime off), ready before the server listens. */
export async function startSandboxPools(
  sizes: { javascriptPoolSize: number; pythonPoolSize: number },
  logger: Logger,
): Promise<SandboxPools> {
  const byRuntime: Partial<Record<Runtime, SandboxPool>> = {};
  if (sizes.javascriptPoolSize > 0) {
    byRuntime.javascript = createSandboxPool({
      runtime: 'javascript',
      size: sizes.javascriptPoolSize,
      launch: javascriptWorkerLaunch,
      logger,
    });
  }
  if (sizes.pythonPoolSize > 0) {
    byRuntime.python = createSandboxPool({
      runtime: 'python',
      size: sizes.pythonPoolSize,
      launch: pythonWorkerLaunch,
      // Pyodide takes 1.5-9 s to load on a busy 2-core machine; the warm pool keeps that off callers' paths.
      startTimeoutMs: PYTHON_START_TIMEOUT_MS,
      logger,
    });
  }
  const pools = Object.values(byRuntime);
  try {
    await Promise.all(pools.map((pool) => pool.start()));
  } catch (error) {
    await Promise.allSettled(pools.map((pool) => pool.stop()));
    throw error;
  }
  return {
    byRuntime,
    async stop() {
      await Promise.allSettled(pools.map((pool) => pool.stop()));
    },
  };
}
