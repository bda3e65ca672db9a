import { EventEmitter } from 'node:events';
import { emptyReadModel, project, type NetLuid, type ReadModel, type RegistryEvent } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@ifreg/ports';
import { ROOT_CONTEXT, context, trace, type Tracer } from '@opentelemetry/api';
import { activeTracer, contextFrom, type Logger } from '@ifreg/platform';
import { ChangeLog, changeOf, type Change } from './changes';
import { LuidHistory, defaultLuidHistoryLimits, type LuidHistoryLimits } from './luid-history';

export class PositionTimeoutError extends Error {
  constructor(readonly wanted: number, readonly reached: number, readonly timeoutMs: number) {
    super(`read model reached position ${reached}, not ${wanted}, within ${timeoutMs} ms`);
    this.name = 'PositionTimeoutError';
  }
}

export interface ReadModelOptions {
  /** How many recent changes are kept for watch clients to resume from. */
  readonly watchHistory?: number;
  /** Events per store read during catch-up and rebuild. */
  readonly batchSize?: number;
  /** Bounds of the per-LUID index of event positions (GET …/luids/{luid}/history). */
  readonly luidHistory?: LuidHistoryLimits;
}

export interface RebuildProgress {
  readonly position: number;
  readonly target: number;
  readonly done: boolean;
}

/**
 * Keeps the in-memory read model of every scope, fed by a catch-up subscription to the
 * store. The model is rebuilt from position 0 at start-up (its checkpoint is its own
 * position while the process lives); `rebuild` builds a new one aside and swaps it in.
 */
export class ReadModelService {
  private current: ReadModel = emptyReadModel();
  private history: LuidHistory;
  private readonly progress = new EventEmitter().setMaxListeners(0);
  private readonly changes: ChangeLog;
  private subscription: Subscription | undefined;
  private caughtUpTo = -1;
  private rebuilding: Promise<void> | undefined;
  /** Store time of the last event applied, for the lag metric. */
  lastRecordedAt: string | undefined;
  applied = 0;
  skipped = 0;
  private readonly tracer: Tracer | undefined = activeTracer('ifreg-query');

  constructor(
    private readonly store: EventStore,
    private readonly log: Logger,
    private readonly options: ReadModelOptions = {},
  ) {
    this.changes = new ChangeLog(options.watchHistory ?? 10_000);
    this.history = new LuidHistory(options.luidHistory ?? defaultLuidHistoryLimits);
  }

  get model(): ReadModel {
    return this.current;
  }

  /** Starts following the store and resolves once the history known at start is folded in. */
  async start(): Promise<void> {
    const head = await this.store.headPosition();
    this.caughtUpTo = head;
    let failure: unknown;
    this.subscription = this.store.subscribeAll((events) => this.apply(events), {
      from: this.current.position,
      batchSize: this.options.batchSize ?? 1000,
      onError: (error) => {
        failure = error;
        this.log.error({ err: error }, 'read model subscription stopped');
        this.progress.emit('progress');
      },
    });
    await this.waitFor(head, Number.POSITIVE_INFINITY, () => failure);
  }

  get position(): number {
    return this.current.position;
  }

  /** Ready once the history that existed at start-up has been folded in. */
  get ready(): boolean {
    return this.caughtUpTo >= 0 && this.current.position >= this.caughtUpTo;
  }

  /** Resolves when the model has reached `position`, or rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number, failed: () => unknown = () => undefined): Promise<void> {
    if (this.current.position >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onProgress = (): void => {
        const error = failed();
        if (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error('read model subscription failed', { cause: error }));
        } else if (this.current.position >= position) {
          cleanup();
          resolve();
        }
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            cleanup();
            reject(new PositionTimeoutError(position, this.current.position, timeoutMs));
          }, timeoutMs)
        : undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        this.progress.off('progress', onProgress);
      };
      this.progress.on('progress', onProgress);
    });
  }

  /** Store positions of one LUID's events in a scope, and whether that is all of them. */
  luidPositions(scope: string, luid: NetLuid): { readonly positions: readonly number[]; readonly complete: boolean } {
    return this.history.positions(scope, luid);
  }

  /** Changes after `from` still kept for resuming, or undefined: too old, relist. */
  changesSince(from: number, scope?: string): Change[] | undefined {
    return this.changes.since(from, scope);
  }

  /** Live changes as they are applied; returns the unsubscribe function. */
  onChange(listener: (change: Change) => void): () => void {
    this.progress.on('change', listener);
    return () => this.progress.off('change', listener);
  }

  /**
   * Builds a new read model from position 0 aside, while this one keeps answering, then
   * swaps it in once it has caught up. Resolves when swapped; one rebuild at a time.
   */
  rebuild(onProgress: (p: RebuildProgress) => void = () => undefined): Promise<void> {
    this.rebuilding ??= this.buildAside(onProgress).finally(() => (this.rebuilding = undefined));
    return this.rebuilding;
  }

  get isRebuilding(): boolean {
    return this.rebuilding !== undefined;
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  private async buildAside(onProgress: (p: RebuildProgress) => void): Promise<void> {
    const started = Date.now();
    const fresh = emptyReadModel(this.current.maxFailures);
    const freshHistory = new LuidHistory(this.options.luidHistory ?? defaultLuidHistoryLimits);
    // The catch-up's batch, not a bigger one: a page of 5,000 parsed events outlives V8's young
    // generation and is promoted before it becomes garbage (figures: services/bench/README.md).
    const batch = this.options.batchSize ?? 1000;
    // The live model keeps moving; read until the new one has caught up with it, then swap
    // in the same tick (no await in between), so no event is applied to neither.
    while (fresh.position < this.current.position) {
      for (const recorded of await this.store.readAll(fresh.position, batch)) {
        // Events the live model has not applied yet are left to it: applied after the swap,
        // they still reach onChange listeners and the change log.
        if (recorded.position > this.current.position) break;
        this.fold(fresh, freshHistory, recorded, false);
      }
      onProgress({ position: fresh.position, target: this.current.position, done: false });
      // Folding is synchronous: let the service answer requests between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.current = fresh;
    this.history = freshHistory;
    this.changes.reset(fresh.position);
    onProgress({ position: fresh.position, target: fresh.position, done: true });
    this.log.info({ position: fresh.position, ms: Date.now() - started }, 'read model rebuilt and swapped in');
  }

  private apply(events: readonly RecordedEvent[]): void {
    for (const recorded of events) this.fold(this.current, this.history, recorded, true);
    this.progress.emit('progress');
  }

  private fold(model: ReadModel, history: LuidHistory, recorded: RecordedEvent, live: boolean): void {
    if (recorded.position <= model.position) return;
    const problem = eventProblem(recorded.data);
    if (problem) {
      if (live) this.skipped++;
      this.log.warn({ position: recorded.position, stream: recorded.stream, problem }, 'skipping unreadable event');
      model.position = recorded.position;
      return;
    }
    // A live event recorded with a trace context continues it: the fold, then the watch streams' send
    // (not while catching up at start-up: a restart would replay the spans of the whole history).
    const span = live && this.tracer && this.ready ? this.tracer.startSpan('query fold', { attributes: { 'ifreg.position': recorded.position } }, contextFrom(recorded.metadata)) : undefined;
    const event = recorded.data as RegistryEvent;
    project(model, { event, position: recorded.position });
    history.add(event, recorded.position);
    if (!live) return;
    this.applied++;
    this.lastRecordedAt = recorded.recordedAt;
    const change = changeOf(event, recorded.position, model.scopes.get(event.scope));
    if (change) {
      this.changes.add(change);
      if (span) context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.progress.emit('change', change));
      else this.progress.emit('change', change);
    }
    span?.end();
  }
}
