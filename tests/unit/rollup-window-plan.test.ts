/** Which parts of a window the rollups answer and which the raw rows do. */
import { describe, expect, it } from 'vitest';
import { histogramPercentile, HISTOGRAM_BINS } from '../../server/metrics/duration-histogram.ts';
import { planWindow } from '../../server/metrics/rollup-stats.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const query = (from: number, to: number, granularity: 'minute' | 'hour' | 'day') => ({
  organizationId: 'org',
  from: new Date(from),
  to: new Date(to),
  granularity,
});

describe('planWindow', () => {
  it('keeps a day or less, and minute series, on the exact raw path', () => {
    expect(planWindow(query(T0, T0 + DAY, 'hour'))).toBeNull();
    expect(planWindow(query(T0, T0 + 2 * DAY, 'minute'))).toBeNull();
  });

  it('reads whole days from day rollups, the hours around them from hour rollups, partial hours raw', () => {
    const from = T0 + 5 * HOUR + 1_000;
    const to = T0 + 3 * DAY + 2 * HOUR + 30 * 60_000;
    expect(planWindow(query(from, to, 'day'))).toEqual({
      days: [T0 + DAY, T0 + 3 * DAY],
      hours: [
        [T0 + 6 * HOUR, T0 + DAY],
        [T0 + 3 * DAY, T0 + 3 * DAY + 2 * HOUR],
      ],
      raw: [
        [from, T0 + 6 * HOUR],
        [T0 + 3 * DAY + 2 * HOUR, to],
      ],
    });
    expect(planWindow(query(from, to, 'hour'))).toEqual({
      days: [from, from],
      hours: [
        [T0 + 6 * HOUR, T0 + 3 * DAY + 2 * HOUR],
        [T0 + 3 * DAY + 2 * HOUR, T0 + 3 * DAY + 2 * HOUR],
      ],
      raw: [
        [from, T0 + 6 * HOUR],
        [T0 + 3 * DAY + 2 * HOUR, to],
      ],
    });
  });
});

describe('histogramPercentile', () => {
  it('is exact for 0 ms and single values and stays inside the observed range', () => {
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    counts[0] = 10;
    expect(histogramPercentile(counts, 0.5, { min: 0, max: 0 })).toBe(0);
    counts[0] = 0;
    counts[HISTOGRAM_BINS - 1] = 3;
    expect(histogramPercentile(counts, 0.99, { min: 20_000_000, max: 30_000_000 })).toBeLessThanOrEqual(30_000_000);
    expect(histogramPercentile(new Array<number>(HISTOGRAM_BINS).fill(0), 0.5, { min: 0, max: 0 })).toBeNull();
  });
});
