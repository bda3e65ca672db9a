import { pause } from '../backoff';
import type { CatchUpSource } from '../catch-up-subscription';
import type { RecordedEvent } from '@ifreg/ports';
import { isConnectionError } from './postgres-errors';
import type { PostgresNotifier } from './postgres-notifier';

export interface SubscriptionSourceOptions {
  readonly readAll: (from: number, limit: number) => Promise<RecordedEvent[]>;
  readonly notifier: PostgresNotifier;
  readonly pollIntervalMs: number;
  readonly maxPollIntervalMs: number;
  readonly reconnectTimeoutMs: number;
}

const MIN_RETRY_MS = 50;
const MAX_RETRY_MS = 2000;

/**
 * What one subscription reads from and waits on. A wake-up seen after a read began ends
 * the next wait at once; otherwise the poll delay doubles while nothing comes, up to
 * maxPollIntervalMs. A lost connection (a server restart) is waited out, from the same
 * position, for up to reconnectTimeoutMs; then the error stops the subscription.
 * `closing` aborts that wait when the subscription closes.
 */
export function subscriptionSource(options: SubscriptionSourceOptions, closing: AbortSignal): CatchUpSource {
  const { notifier, pollIntervalMs, maxPollIntervalMs } = options;
  let delay = pollIntervalMs;
  let seen = notifier.seen;
  return {
    readAll: async (from, limit) => {
      seen = notifier.seen;
      const events = await readAllRetrying(options, from, limit, closing);
      if (events.length > 0) delay = pollIntervalMs;
      return events;
    },
    waitForMore: async (stop) => {
      const timeout = delay;
      delay = Math.min(delay * 2, maxPollIntervalMs);
      await notifier.wait(seen, timeout, stop);
    },
  };
}

async function readAllRetrying(options: SubscriptionSourceOptions, from: number, limit: number, closing: AbortSignal): Promise<RecordedEvent[]> {
  const deadline = Date.now() + options.reconnectTimeoutMs;
  let retryMs = MIN_RETRY_MS;
  for (;;) {
    try {
      return await options.readAll(from, limit);
    } catch (error) {
      // Closing: an empty answer lets the subscription loop see the abort and stop.
      if (closing.aborted) return [];
      if (!isConnectionError(error) || Date.now() + retryMs > deadline) throw error;
    }
    await pause(retryMs, closing);
    if (closing.aborted) return [];
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}
