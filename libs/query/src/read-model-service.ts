import { EventEmitter } from 'node:events';
import { emptyReadModel, project, type ReadModel, type RegistryEvent } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@ifreg/event-store';
import type { Logger } from '@ifreg/platform';

export class PositionTimeoutError extends Error {
  constructor(readonly wanted: number, readonly reached: number, readonly timeoutMs: number) {
    super(`read model reached position ${reached}, not ${wanted}, within ${timeoutMs} ms`);
    this.name = 'PositionTimeoutError';
  }
}

/**
 * Keeps the in-memory read model of every scope, fed by a catch-up subscription to the
 * store. The model is rebuilt from position 0 at start-up (its checkpoint is its own
 * position while the process lives).
 */
export class ReadModelService {
  readonly model: ReadModel = emptyReadModel();
  private readonly progress = new EventEmitter().setMaxListeners(0);
  private subscription: Subscription | undefined;
  private caughtUpTo = -1;
  skipped = 0;

  constructor(private readonly store: EventStore, private readonly log: Logger) {}

  /** Starts following the store and resolves once the history known at start is folded in. */
  async start(): Promise<void> {
    const head = await this.store.headPosition();
    this.caughtUpTo = head;
    this.subscription = this.store.subscribeAll((events) => this.apply(events), {
      from: this.model.position,
      onError: (error) => this.log.error({ err: error }, 'read model subscription stopped'),
    });
    await this.waitFor(head, Number.POSITIVE_INFINITY);
  }

  get position(): number {
    return this.model.position;
  }

  /** Ready once the history that existed at start-up has been folded in. */
  get ready(): boolean {
    return this.caughtUpTo >= 0 && this.model.position >= this.caughtUpTo;
  }

  /** Resolves when the model has reached `position`, or rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<void> {
    if (this.model.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onProgress = (): void => {
        if (this.model.position < position) return;
        cleanup();
        resolve();
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            cleanup();
            reject(new PositionTimeoutError(position, this.model.position, timeoutMs));
          }, timeoutMs)
        : undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        this.progress.off('progress', onProgress);
      };
      this.progress.on('progress', onProgress);
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  private apply(events: readonly RecordedEvent[]): void {
    for (const recorded of events) {
      const problem = eventProblem(recorded.data);
      if (problem) {
        this.skipped++;
        this.log.warn({ position: recorded.position, stream: recorded.stream, problem }, 'skipping unreadable event');
        this.model.position = Math.max(this.model.position, recorded.position);
        continue;
      }
      project(this.model, { event: recorded.data as RegistryEvent, position: recorded.position });
    }
    this.progress.emit('progress');
  }
}
