/** What every benchmark gets: how often to warm up and repeat, and where to put files. */
export interface BenchContext {
  readonly repeats: { readonly warmup: number; readonly repeats: number };
  readonly tmpDir: string;
  readonly log: (line: string) => void;
}
