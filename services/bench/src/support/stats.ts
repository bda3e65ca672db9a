/** Nearest-rank percentile (p in 0..100) of samples sorted ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export const sortedCopy = (values: Iterable<number>): Float64Array => Float64Array.from(values).sort();

/**
 * Splits `values` (in arrival order) into `parts` consecutive slices and answers the
 * percentile `p` of each: one latency run gives several samples, so a median and a spread.
 */
export function percentilePerSlice(values: readonly number[], parts: number, p: number): number[] {
  const size = Math.ceil(values.length / parts);
  const out: number[] = [];
  for (let start = 0; start < values.length; start += size) out.push(percentile(sortedCopy(values.slice(start, start + size)), p));
  return out;
}
