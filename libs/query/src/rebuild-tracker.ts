import type { Logger } from '@ifreg/platform';
import type { ReadModelService, RebuildProgress } from './read-model-service';

export interface RebuildStatus {
  readonly running: boolean;
  readonly position: number;
  readonly target: number;
  /** Events folded so far and to fold: positions are not counts of events. */
  readonly events?: number;
  readonly total?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly eventsPerSecond?: number;
  readonly error?: string;
}

/** Runs one rebuild at a time in the background and tells how far it got. */
export class RebuildTracker {
  private status: RebuildStatus = { running: false, position: 0, target: 0 };

  constructor(private readonly readModel: ReadModelService, private readonly log: Logger, private readonly now: () => Date = () => new Date()) {}

  /** Starts a rebuild unless one runs; answers the status either way. */
  start(): RebuildStatus {
    if (this.status.running) return this.status;
    const startedAt = this.now();
    this.status = { running: true, position: 0, target: this.readModel.position, events: 0, total: this.readModel.eventsFolded, startedAt: startedAt.toISOString() };
    const onProgress = (p: RebuildProgress): void => {
      const seconds = (this.now().getTime() - startedAt.getTime()) / 1000;
      this.status = { ...this.status, position: p.position, target: p.target, events: p.events, total: p.total, eventsPerSecond: seconds > 0 ? Math.round(p.events / seconds) : 0 };
      // Swapped in: the snapshot that ends the rebuild is still being written until it resolves.
      if (p.done) this.status = { ...this.status, finishedAt: this.now().toISOString() };
    };
    this.readModel.rebuild(onProgress).then(
      () => (this.status = { ...this.status, running: false, finishedAt: this.status.finishedAt ?? this.now().toISOString() }),
      (error: unknown) => {
        this.log.error({ err: error }, 'rebuild failed; the previous read model stays');
        this.status = { ...this.status, running: false, error: String(error) };
      },
    );
    return this.status;
  }

  get current(): RebuildStatus {
    return this.status;
  }
}
