/** What every benchmark prints the same way: percentiles and the machine it ran on. */
import { cpus, loadavg, platform, release } from 'node:os';

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function machineLine(): string {
  const cpuList = cpus();
  return `machine:  ${cpuList[0]?.model ?? 'unknown'} × ${cpuList.length} (${platform()} ${release()})`;
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}
