import type { AllHandler, RecordedEvent, SubscribeOptions, Subscription } from '@ifreg/ports';

/** What a catch-up subscription needs from an adapter. */
export interface CatchUpSource {
  readAll(from: number, limit: number): Promise<RecordedEvent[]> | RecordedEvent[];
  /** Resolves when new events may exist (an in-process signal or a poll timer), or as soon as `stop` aborts. */
  waitForMore(stop: AbortSignal): Promise<void>;
}

/**
 * Reads batches after `from`, awaits the handler for each, one at a time and in order,
 * then waits for more. The position only advances after the handler returned, so a
 * batch is never delivered twice or out of order by one subscription.
 */
export class CatchUpSubscription implements Subscription {
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;

  constructor(source: CatchUpSource, handler: AllHandler, options: SubscribeOptions) {
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(options.from) || options.from < 0) throw new RangeError(`from must be a position >= 0, got ${options.from}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
    this.done = this.run(source, handler, options.from, batchSize).catch((error: unknown) => {
      this.stop.abort();
      // Without onError the failure surfaces as an unhandled rejection: never a silent stop.
      if (options.onError) options.onError(error);
      else void Promise.reject(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /**
   * Stops delivery; resolves once a running handler call has returned.
   * Do not await it from inside the handler: it waits for that very call.
   */
  async close(): Promise<void> {
    this.stop.abort();
    await this.done;
  }

  private async run(source: CatchUpSource, handler: AllHandler, from: number, batchSize: number): Promise<void> {
    const { signal } = this.stop;
    let position = from;
    while (!signal.aborted) {
      const events = await source.readAll(position, batchSize);
      if (signal.aborted) return;
      const last = events.at(-1);
      if (last === undefined) {
        await source.waitForMore(signal);
        continue;
      }
      await handler(events);
      position = last.position;
      // A long catch-up with a synchronous handler would otherwise starve timers and I/O.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** A store's open subscriptions, so that closing the store closes them first. */
export class OpenSubscriptions {
  private readonly open = new Set<Subscription>();

  /** A catch-up subscription; `onClose` runs before it stops (e.g. to abort the source's waits). */
  start(source: CatchUpSource, handler: AllHandler, options: SubscribeOptions, onClose: () => void = () => undefined): Subscription {
    const inner = new CatchUpSubscription(source, handler, options);
    const subscription: Subscription = {
      close: async () => {
        onClose();
        await inner.close();
        this.open.delete(subscription);
      },
    };
    this.open.add(subscription);
    return subscription;
  }

  /** Closes every one; each waits for its running handler call. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.close()));
  }
}
