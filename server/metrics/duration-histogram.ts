/**
 * The rollups' fixed duration histogram (migration 20261205120000_execution_rollups):
 * bin 0 holds 0 ms, bin k holds [2^((k-1)/8), 2^(k/8)) ms, the last bin everything
 * above. Percentiles interpolate inside the bin holding the rank, so an estimate is
 * within one bin (a factor 2^(1/8), 9.05 %) of the order statistic at that rank.
 */

export const HISTOGRAM_BINS = 193;
const BINS_PER_DOUBLING = 8;
/** Worst relative distance between an estimate and the order statistic it stands for. */
export const PERCENTILE_RELATIVE_ERROR = 2 ** (1 / BINS_PER_DOUBLING) - 1;

function lowerBound(bin: number): number {
  return bin === 0 ? 0 : 2 ** ((bin - 1) / BINS_PER_DOUBLING);
}

function upperBound(bin: number): number {
  return bin === 0 ? 0 : 2 ** (bin / BINS_PER_DOUBLING);
}

/**
 * percentile_cont's fraction `p` estimated from bin counts: the value at rank
 * p·(n−1), interpolated linearly inside its bin and clamped to the observed range.
 */
export function histogramPercentile(
  counts: readonly number[],
  p: number,
  range: { min: number; max: number },
): number | null {
  let total = 0;
  for (const count of counts) total += count;
  if (total <= 0) return null;
  const rank = p * (total - 1);
  let before = 0;
  for (let bin = 0; bin < counts.length; bin += 1) {
    const count = counts[bin]!;
    if (count <= 0) continue;
    if (rank < before + count) {
      const low = Math.max(lowerBound(bin), range.min);
      const high = bin === counts.length - 1 ? range.max : Math.min(upperBound(bin), range.max);
      const within = Math.min(1, Math.max(0, (rank - before + 0.5) / count));
      return Math.min(range.max, Math.max(range.min, low + (high - low) * within));
    }
    before += count;
  }
  return range.max;
}
