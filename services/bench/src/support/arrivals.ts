import { percentile, sortedCopy } from './stats';

/** Every frame arrival of a run, by the seq of the registration it shows. */
export class Arrivals {
  private readonly seqs: Int32Array;
  private readonly ats: Float64Array;
  count = 0;
  /** Frames of no registration of this run (no `w<seq>` name), and arrivals past capacity. */
  unexpected = 0;

  constructor(capacity: number) {
    this.seqs = new Int32Array(capacity);
    this.ats = new Float64Array(capacity);
  }

  add(seq: number, at: number): void {
    if (seq < 0 || this.count >= this.seqs.length) {
      this.unexpected++;
      return;
    }
    this.seqs[this.count] = seq;
    this.ats[this.count++] = at;
  }

  /** Arrivals of seqs in [first, end). */
  between(first: number, end: number): { seq: number; at: number }[] {
    const out: { seq: number; at: number }[] = [];
    for (let i = 0; i < this.count; i++) {
      const seq = this.seqs[i] ?? -1;
      if (seq >= first && seq < end) out.push({ seq, at: this.ats[i] ?? 0 });
    }
    return out;
  }
}

/** p50 and p99 of each of `slices` consecutive slices of seqs [first, end): one run gives a spread. */
export function slicedPercentiles(values: readonly { seq: number; value: number }[], first: number, end: number, slices: number): { p50: number[]; p99: number[] } {
  const size = Math.ceil((end - first) / slices);
  const p50: number[] = [];
  const p99: number[] = [];
  for (let s = 0; s < slices; s++) {
    const low = first + s * size;
    const sorted = sortedCopy(values.filter((v) => v.seq >= low && v.seq < low + size).map((v) => v.value));
    if (sorted.length === 0) continue;
    p50.push(percentile(sorted, 50));
    p99.push(percentile(sorted, 99));
  }
  return { p50, p99 };
}
