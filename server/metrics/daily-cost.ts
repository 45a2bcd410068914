/**
 * Cost per UTC day from a report's series: the buckets (minute, hour or day) are
 * summed into the day they start in, so any granularity gives the same days.
 */
import { BUCKET_MS, type StatsPoint } from './execution-stats.ts';

export interface DailyCost {
  day: Date;
  estimatedCostUsd: number;
  executions: number;
}

export function dailyCost(series: readonly StatsPoint[]): DailyCost[] {
  const days = new Map<number, DailyCost>();
  for (const point of series) {
    const start = Math.floor(point.bucket.getTime() / BUCKET_MS.day) * BUCKET_MS.day;
    let day = days.get(start);
    if (!day) days.set(start, (day = { day: new Date(start), estimatedCostUsd: 0, executions: 0 }));
    day.estimatedCostUsd += point.stats.estimatedCostUsd;
    day.executions += point.stats.executions;
  }
  return [...days.values()].sort((a, b) => a.day.getTime() - b.day.getTime());
}
