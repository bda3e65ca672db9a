/** The part of autocannon 8's programmatic API the bench uses (it ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      readonly url: string;
      readonly connections?: number;
      /** Seconds. */
      readonly duration?: number;
      readonly pipelining?: number;
      /** Seconds before a request counts as a timeout. */
      readonly timeout?: number;
      readonly headers?: Readonly<Record<string, string>>;
    }
    interface Stats {
      readonly average: number;
      readonly mean: number;
      readonly stddev: number;
      readonly min: number;
      readonly max: number;
      readonly total: number;
      readonly p50: number;
      readonly p90: number;
      readonly p99: number;
    }
    interface Result {
      /** Milliseconds. */
      readonly latency: Stats & { readonly totalCount: number };
      /** Per second, sampled each second. */
      readonly requests: Stats & { readonly sent: number };
      /** Bytes per second. */
      readonly throughput: Stats;
      /** Seconds. */
      readonly duration: number;
      readonly errors: number;
      readonly timeouts: number;
      readonly non2xx: number;
    }
    /** What autocannon() answers without a callback: the run's result, and its events while it runs. */
    interface Run extends PromiseLike<Result> {
      /** `responseTime` in milliseconds, with fractions (the result's histograms keep whole milliseconds). */
      on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): this;
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Run;
  export = autocannon;
}
