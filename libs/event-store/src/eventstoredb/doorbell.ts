import { backoffDelay, pause, type Backoff } from '../backoff';

/** The part of the client's live subscription the doorbell uses. */
export interface LiveSubscription {
  on(event: 'data' | 'confirmation' | 'error' | 'end', listener: (...args: unknown[]) => void): unknown;
  unsubscribe(): Promise<void>;
}

export interface DoorbellOptions {
  /** Longest wait without a ring: bounds the delay when the live subscription died silently. */
  readonly pollIntervalMs: number;
  /** Pause before resubscribing after a drop, doubling per consecutive drop. */
  readonly backoff: Backoff;
  readonly onError?: (error: unknown) => void;
}

/**
 * Wakes catch-up subscriptions when new events may exist. It only says "look again":
 * the events themselves are always read from $all after the subscriber's own position,
 * so a drop of the live subscription (EventStoreDB drops them, sometimes silently) loses
 * nothing. On 'error' or 'end' it resubscribes after a bounded back-off and rings, as
 * events may have arrived meanwhile; the poll interval covers a drop nobody noticed.
 */
export class Doorbell {
  private readonly waiters = new Set<() => void>();
  private readonly stop = new AbortController();
  private live: LiveSubscription | undefined;
  private started = false;
  private failures = 0;

  constructor(
    private readonly subscribe: () => LiveSubscription,
    private readonly options: DoorbellOptions,
  ) {}

  ring(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on a ring, after the poll interval, or as soon as `stop` aborts. */
  wait(stop: AbortSignal): Promise<void> {
    this.start();
    return new Promise((resolve) => {
      if (stop.aborted || this.stop.signal.aborted) return resolve();
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        stop.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, this.options.pollIntervalMs);
      this.waiters.add(wake);
      stop.addEventListener('abort', wake);
    });
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.ring();
    const live = this.live;
    this.live = undefined;
    if (live) await live.unsubscribe();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  private connect(): void {
    if (this.stop.signal.aborted) return;
    let subscription: LiveSubscription;
    try {
      subscription = this.subscribe();
    } catch (error) {
      this.reconnectLater(error);
      return;
    }
    this.live = subscription;
    const healthy = (): void => {
      this.failures = 0;
    };
    subscription.on('confirmation', healthy);
    subscription.on('data', () => {
      healthy();
      this.ring();
    });
    subscription.on('error', (error) => this.dropped(subscription, error));
    subscription.on('end', () => this.dropped(subscription, new Error('the live subscription to $all ended')));
  }

  private dropped(subscription: LiveSubscription, error: unknown): void {
    // 'error' and 'end' may both arrive; the first one counts.
    if (this.live !== subscription) return;
    this.live = undefined;
    if (this.stop.signal.aborted) return;
    subscription.unsubscribe().catch(() => undefined);
    this.reconnectLater(error);
  }

  private reconnectLater(error: unknown): void {
    this.options.onError?.(error);
    const delay = backoffDelay(this.failures++, this.options.backoff);
    void pause(delay, this.stop.signal).then(() => {
      if (this.stop.signal.aborted) return;
      this.ring();
      this.connect();
    });
  }
}
