export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Doubling delay after each consecutive failure, capped. */
export const backoffDelay = (failures: number, { minMs, maxMs }: Backoff): number => Math.min(maxMs, minMs * 2 ** Math.max(0, failures));

/** Resolves after `ms`, or at once when `stop` aborts. */
export function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done);
  });
}

/**
 * Runs `attempt` again after a pause while it fails with a transient error, at most
 * `retries` times, then lets the error through (a subscription reports it to onError:
 * watched, never a silent stop). Answers undefined when `stop` aborts meanwhile.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  policy: Backoff & { readonly retries: number },
  stop: AbortSignal,
): Promise<T | undefined> {
  for (let failures = 0; ; failures++) {
    if (stop.aborted) return undefined;
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || failures >= policy.retries) throw error;
      await pause(backoffDelay(failures, policy), stop);
    }
  }
}
