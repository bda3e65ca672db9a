/** One figure of a benchmark: samples of ifreg's code and of its baseline, same units. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly baseline: { readonly label: string; readonly samples: readonly number[] };
  /** true: a higher figure is better (rates); false: lower is better (bytes, latency). */
  readonly higherIsBetter: boolean;
  /** Target of the ratio figure/baseline (≥ for rates, ≤ for costs), when the issue sets one. */
  readonly target?: number;
  /** Absolute bound of the median itself (e.g. ≤ 1024 bytes per interface). */
  readonly limit?: number;
  readonly note?: string;
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Ratio of ifreg to its baseline, oriented so that 1.0 means "as good as the baseline". */
export function ratio(figure: Figure): number {
  const ours = summarize(figure.samples).median;
  const base = summarize(figure.baseline.samples).median;
  if (ours === 0 || base === 0) return 0;
  return figure.higherIsBetter ? ours / base : base / ours;
}

/** Runs `fn` `warmup` times unmeasured, then `repeats` times, returning its results. */
export async function repeat(fn: () => Promise<number> | number, options: { warmup: number; repeats: number }): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < options.repeats; i++) out.push(await fn());
  return out;
}

/** Operations per second of a timed block. */
export function perSecond(count: number, startedNs: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
  return count / seconds;
}
