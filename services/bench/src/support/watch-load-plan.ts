import type { LoopDelay } from './loop-delay';

/** What the watch benchmark asks its load client to do (BENCH_WATCH_PLAN). */
export interface WatchLoadPlan {
  /** Where the watch streams are opened, and where registrations are posted. */
  readonly watchUrl: string;
  readonly postUrl: string;
  /** The process holding the streams, whose RSS is read. */
  readonly serverPid: number;
  readonly scopes: number;
  /** Watchers of each scope, and of every scope. */
  readonly perScope: number;
  readonly everyScope: number;
  /** Scopes nobody but the all-scope watchers watches: the posts measured with those alone. */
  readonly quietScopes: number;
  /** Seconds measured with only the all-scope watchers open. */
  readonly fewSeconds: number;
  /** Registrations per second, unmeasured then measured. */
  readonly rate: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Then this many as fast as `burstConcurrency` requests in flight allow. */
  readonly burst: number;
  readonly burstConcurrency: number;
  /** Watches being opened at once. */
  readonly openConcurrency: number;
  /** Latency samples: percentiles of this many consecutive slices. */
  readonly slices: number;
  /** Wait for the server to restart, resume every stream, post once more per scope. */
  readonly restart: boolean;
  readonly retryMs: number;
}

export interface Percentiles {
  readonly p50: number[];
  readonly p99: number[];
}

/** POST latency; delivery latency from the POST's answer; first to last arrival of one change. */
export interface Timings {
  readonly post: Percentiles;
  readonly delivery: Percentiles;
  readonly spread: Percentiles;
  readonly deliveries: number;
  /** Frames that came before their POST's answer (counted as 0 ms). */
  readonly beforeAnswer: number;
  /** Event-loop delay (ms) of the service holding the watchers, and of the writer when it is another one; none for the bare server. */
  readonly loopDelay?: { readonly watch: LoopDelay | undefined; readonly post: LoopDelay | undefined };
}

/** The 'watch load measured' log line. */
export interface WatchLoadResult {
  readonly watchers: number;
  readonly openSeconds: number;
  readonly rssBefore: number;
  readonly rssOpen: number;
  /** With only the all-scope watchers open, then with all of them. */
  readonly few: Timings;
  readonly many: Timings;
  readonly burstDeliveriesPerSecond: number;
  readonly postFailures: number;
}
