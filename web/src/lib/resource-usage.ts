/** Resource usage as the dashboard shows it: CPU, memory, Lambda billing and cost. */

export interface ResourceUsage {
  cpuTimeMs: number | null;
  peakMemoryBytes: number | null;
  billedDurationMs: number | null;
  memorySizeMb: number | null;
  maxMemoryUsedMb: number | null;
  initDurationMs: number | null;
  estimatedCostUsd: number | null;
}

export const RESOURCE_USAGE_FIELDS = `resourceUsage {
  cpuTimeMs peakMemoryBytes billedDurationMs memorySizeMb maxMemoryUsedMb initDurationMs estimatedCostUsd
}`;

const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

export function bytesLabel(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < UNITS.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size < 10 && unit > 0 ? size.toFixed(1) : Math.round(size)} ${UNITS[unit]}`;
}

/** Lambda invocations cost fractions of a cent: show enough digits to tell them apart. */
export function usdLabel(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '$0';
  if (value >= 0.01) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(3)}`;
}
