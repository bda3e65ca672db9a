export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Doubling delay after each consecutive failure (0 = the first), capped. */
export const backoffDelay = (failures: number, { minMs, maxMs }: Backoff): number => Math.min(maxMs, minMs * 2 ** Math.max(0, failures));

/** Resolves after `ms`, or at once when `stop` aborts. */
export function pause(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done);
  });
}

export interface RetryPolicy {
  /** Attempts after the first; the last error is let through. */
  readonly retries: number;
  /** Whether an error is worth another attempt; any other error is let through at once. */
  readonly retryIf: (error: unknown) => boolean;
  /** The pause before the next attempt, by failures so far (0 = after the first). */
  readonly delayMs: (failures: number) => number;
  /** Told before each pause (a metric, a log line). */
  readonly onRetry?: (error: unknown, failures: number) => void;
  /** Stops pausing and trying: `retry` answers undefined. */
  readonly stop?: AbortSignal;
}

/** Runs `attempt` until it succeeds, retrying the errors the policy names after its pauses. */
export async function retry<T>(attempt: (failures: number) => Promise<T>, policy: RetryPolicy & { readonly stop: AbortSignal }): Promise<T | undefined>;
export async function retry<T>(attempt: (failures: number) => Promise<T>, policy: RetryPolicy): Promise<T>;
export async function retry<T>(attempt: (failures: number) => Promise<T>, policy: RetryPolicy): Promise<T | undefined> {
  for (let failures = 0; ; failures++) {
    if (policy.stop?.aborted) return undefined;
    try {
      return await attempt(failures);
    } catch (error) {
      if (!policy.retryIf(error) || failures >= policy.retries) throw error;
      policy.onRetry?.(error, failures);
      await pause(policy.delayMs(failures), policy.stop);
    }
  }
}
