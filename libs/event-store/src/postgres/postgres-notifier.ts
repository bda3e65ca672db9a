import { Client } from 'pg';

export interface PostgresNotifierOptions {
  readonly connectionString: string;
  /** Quoted channel name (see storeNames). */
  readonly channel: string;
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

/**
 * One LISTEN connection per store, shared by its subscriptions, that wakes them when an
 * append commits. It only shortens the wait: subscriptions also poll, so a lost
 * notification costs latency, never an event. When the connection drops (the server
 * restarted) it reconnects with back-off and then wakes everybody, since anything may
 * have been appended while it was away.
 */
export class PostgresNotifier {
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private client: Client | undefined;
  private started = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly options: PostgresNotifierOptions) {
    this.minRetryMs = options.minRetryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 2000;
    this.retryMs = this.minRetryMs;
  }

  /** Grows on every wake-up: a reader that noted it before reading need not wait if it moved. */
  get seen(): number {
    return this.generation;
  }

  /** Connects on first use, so a store that only appends holds no extra connection. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
  }

  /** New events may exist: a notification, an append by this process, a reconnection. */
  wake(): void {
    this.generation += 1;
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves once something happened after `since`, after `timeoutMs` (the poll), or when `stop` aborts. */
  wait(since: number, timeoutMs: number, stop: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (stop.aborted || this.generation !== since) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        stop.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      stop.addEventListener('abort', done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): void {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.options.connectionString,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: 'ifreg-event-store-listener',
    });
    this.client = client;
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, this.maxRetryMs);
    };
    client.on('error', fail);
    client.on('end', fail);
    client.on('notification', () => this.wake());
    client.connect()
      .then(() => client.query(`LISTEN ${this.options.channel}`))
      .then(() => {
        this.retryMs = this.minRetryMs;
        // Appends made while nobody listened are only found by reading again.
        this.wake();
      }, fail);
  }
}
