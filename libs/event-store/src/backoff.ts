import { retry, type Backoff, backoffDelay } from '@ifreg/platform';

export { backoffDelay, pause, type Backoff } from '@ifreg/platform';

/**
 * Runs `attempt` again after a pause while it fails with a transient error, at most
 * `retries` times, then lets the error through (a subscription reports it to onError:
 * watched, never a silent stop). Answers undefined when `stop` aborts meanwhile.
 */
export function retryTransient<T>(
  attempt: () => Promise<T>,
  isTransient: (error: unknown) => boolean,
  policy: Backoff & { readonly retries: number },
  stop: AbortSignal,
): Promise<T | undefined> {
  return retry(attempt, { retries: policy.retries, retryIf: isTransient, delayMs: (failures) => backoffDelay(failures, policy), stop });
}
