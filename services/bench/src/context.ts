/** What every benchmark gets: how often to warm up and repeat, and where to put files. */
export interface BenchContext {
  readonly repeats: { readonly warmup: number; readonly repeats: number };
  readonly tmpDir: string;
  readonly log: (line: string) => void;
  /** Kafka bootstrap addresses; the broker is found or started on first call, released when the run ends. */
  readonly kafkaBrokers: () => string[];
  /** When set (--cpu-prof <dir>), spawned services write V8 CPU profiles there. */
  readonly cpuProfDir?: string;
  /** Extra variables for the registrars the pipeline benchmarks start (--registrar-env), for A/B runs of a setting. */
  readonly registrarEnv?: Readonly<Record<string, string>>;
  /** The stores the pipeline benchmarks run on (--stores); all of them when unset. */
  readonly stores?: readonly string[];
}

/**
 * The run's repetitions, capped for a benchmark whose one repetition takes many seconds
 * (the whole of `npm run bench` stays within ~12 minutes on a 2-core machine).
 */
export function capped(ctx: BenchContext, maxRepeats: number, maxWarmup = ctx.repeats.warmup): { warmup: number; repeats: number } {
  return { warmup: Math.min(ctx.repeats.warmup, maxWarmup), repeats: Math.max(1, Math.min(ctx.repeats.repeats, maxRepeats)) };
}
