/**
 * An executor's ResourceUsage as the execution row's columns: integers, null where
 * the executor could not tell.
 */
import type { ToolExecution } from '../db/generated/prisma/client.ts';
import type { ResourceUsage } from '../executors/types.ts';
import type { UsageField } from './execution-writer.ts';

export type UsageColumns = Pick<ToolExecution, UsageField>;

export const NO_USAGE: UsageColumns = {
  cpuTimeMs: null,
  peakMemoryBytes: null,
  billedDurationMs: null,
  memorySizeMb: null,
  maxMemoryUsedMb: null,
  initDurationMs: null,
  estimatedCostNanoUsd: null,
};

const MAX_INT = 2_147_483_647;

function int(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Math.min(MAX_INT, Math.max(0, Math.round(value)));
}

function big(value: number | undefined): bigint | null {
  return value === undefined || !Number.isFinite(value) ? null : BigInt(Math.max(0, Math.round(value)));
}

export function usageColumns(usage: ResourceUsage | undefined): UsageColumns {
  if (!usage) return NO_USAGE;
  return {
    cpuTimeMs: int(usage.cpuTimeMs),
    peakMemoryBytes: big(usage.peakMemoryBytes),
    billedDurationMs: int(usage.billedDurationMs),
    memorySizeMb: int(usage.memorySizeMb),
    maxMemoryUsedMb: int(usage.maxMemoryUsedMb),
    initDurationMs: int(usage.initDurationMs),
    estimatedCostNanoUsd: big(usage.estimatedCostNanoUsd),
  };
}
