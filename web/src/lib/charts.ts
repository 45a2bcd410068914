/** Small helpers for the inline SVG charts (no chart library). */

export type Granularity = 'MINUTE' | 'HOUR' | 'DAY';

export interface StatsPoint {
  bucket: string;
  executions: number;
  successes: number;
  failures: number;
  successRate: number | null;
  p50: number | null;
  p95: number | null;
}

/** The smallest 1, 2 or 5 × 10^n at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

export function bucketLabel(iso: string, granularity: Granularity): string {
  const date = new Date(iso);
  if (granularity === 'DAY') return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function msLabel(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}

/** SVG path of a series, broken where a bucket has no value. */
export function linePath(
  values: Array<number | null>,
  x: (index: number) => number,
  y: (value: number) => number,
): string {
  let path = '';
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)},${y(value).toFixed(1)}`;
    drawing = true;
  });
  return path;
}
