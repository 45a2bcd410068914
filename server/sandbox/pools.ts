import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { SecurityEventSink } from '../security/security-events.ts';
import { javascriptWorkerLaunch } from './javascript/launch.ts';
import { createSandboxPool, type SandboxPool } from './pool.ts';
import type { Runtime } from './protocol.ts';
import { pythonWorkerLaunch } from './python/launch.ts';

/** Making the interpreter snapshot is a cold Pyodide load: 2-9 s on a busy 2-core machine. */
const PYTHON_START_TIMEOUT_MS = 60_000;

export interface SandboxPools {
  byRuntime: Partial<Record<Runtime, SandboxPool>>;
  stop(): Promise<void>;
}

function perOrganization(maxProcesses: number, sharePercent: number): number {
  return Math.max(1, Math.floor((maxProcesses * sharePercent) / 100));
}

/**
 * One pool per runtime (a pool size of 0 leaves that runtime off), ready before the
 * server listens. JavaScript processes serve one organization each (every job gets
 * a fresh isolate); Python processes serve one tool each (the interpreter outlives the job).
 */
export async function startSandboxPools(
  limits: Config['sandbox'],
  logger: Logger,
  securityEvents?: SecurityEventSink,
): Promise<SandboxPools> {
  const byRuntime: Partial<Record<Runtime, SandboxPool>> = {};
  if (limits.javascriptPoolSize > 0) {
    byRuntime.javascript = createSandboxPool({
      runtime: 'javascript',
      size: limits.javascriptPoolSize,
      maxProcesses: limits.javascriptMaxProcesses,
      maxPerOrganization: perOrganization(limits.javascriptMaxProcesses, limits.organizationSharePercent),
      affinity: 'organization',
      launch: javascriptWorkerLaunch,
      logger,
      ...(securityEvents && { securityEvents }),
    });
  }
  if (limits.pythonPoolSize > 0) {
    byRuntime.python = createSandboxPool({
      runtime: 'python',
      size: limits.pythonPoolSize,
      maxProcesses: limits.pythonMaxProcesses,
      maxPerOrganization: perOrganization(limits.pythonMaxProcesses, limits.organizationSharePercent),
      affinity: 'tool',
      launch: pythonWorkerLaunch,
      startTimeoutMs: PYTHON_START_TIMEOUT_MS,
      logger,
      ...(securityEvents && { securityEvents }),
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
