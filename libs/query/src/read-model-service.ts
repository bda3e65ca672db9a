import { EventEmitter } from 'node:events';
import { emptyReadModel, type NetLuid, type ReadModel } from '@ifreg/domain';
import { readAhead, type EventStore, type FoldableEvent, type RecordedEvent, type SnapshotStore, type Subscription } from '@ifreg/ports';
import { ROOT_CONTEXT, context, trace, type Tracer } from '@opentelemetry/api';
import { activeTracer, contextFrom, type Logger } from '@ifreg/platform';
import { ChangeLog, type Change } from './changes';
import { foldEvent, foldStored, logChange, readableEvent } from './fold';
import { LuidHistory, defaultLuidHistoryLimits, type LuidHistoryLimits } from './luid-history';
import { InProcessSnapshotWriter, restoreReadModel, type LiveModel, type SnapshotWriter } from './snapshot-writer';

export class PositionTimeoutError extends Error {
  constructor(readonly wanted: number, readonly reached: number, readonly timeoutMs: number) {
    super(`read model reached position ${reached}, not ${wanted}, within ${timeoutMs} ms`);
    this.name = 'PositionTimeoutError';
  }
}

/** Changes kept for watch clients to resume from, unless configured. */
const DEFAULT_WATCH_HISTORY = 10_000;

/** How long a rebuild, or the start-up catch-up, folds before it lets the service answer requests. */
const FOLD_SLICE_MS = 10;

export interface ReadModelOptions {
  /** How many recent changes are kept for watch clients to resume from. */
  readonly watchHistory?: number;
  /** Events per store read during catch-up and rebuild. */
  readonly batchSize?: number;
  /** Bounds of the per-LUID index of event positions (GET …/luids/{luid}/history). */
  readonly luidHistory?: LuidHistoryLimits;
  /** Where the model is saved from time to time and started from (none: folded from the store's start). */
  readonly snapshots?: SnapshotStore;
  /** What writes the snapshots (default: an InProcessSnapshotWriter to `snapshots`). */
  readonly snapshotWriter?: SnapshotWriter;
  /** A snapshot is written after this many events folded since the last one (default 100,000)... */
  readonly snapshotEveryEvents?: number;
  /** ...or once this much time has passed and at least one event was folded (default 10 minutes). */
  readonly snapshotEveryMs?: number;
}

/** The snapshot options from a service's settings (none when they are off: no serialising for nothing). */
export const snapshotOptions = (settings: { readonly kind: string; readonly everyEvents: number; readonly everyMs: number }, snapshots: SnapshotStore, writer?: () => SnapshotWriter): ReadModelOptions =>
  settings.kind === 'off' ? {} : { snapshots, snapshotEveryEvents: settings.everyEvents, snapshotEveryMs: settings.everyMs, ...(writer ? { snapshotWriter: writer() } : {}) };

export interface RebuildProgress {
  readonly position: number;
  readonly target: number;
  /** Events folded so far, and to fold (what the live model had folded when the rebuild began). */
  readonly events: number;
  readonly total: number;
  readonly done: boolean;
}

/**
 * Keeps the in-memory read model of every scope, fed by a catch-up subscription to the
 * store. It starts from its newest snapshot and folds only the events after it (or from the
 * store's start when there is none it can use), has snapshots written in the background at a
 * cadence (options.snapshotWriter), and `rebuild` builds a new model aside from the store's
 * start and swaps it in.
 */
export class ReadModelService {
  private current: ReadModel = emptyReadModel();
  private history: LuidHistory;
  private readonly progress = new EventEmitter().setMaxListeners(0);
  private readonly changes: ChangeLog;
  private subscription: Subscription | undefined;
  private caughtUpTo = -1;
  private rebuilding: Promise<void> | undefined;
  /** Events folded into the current model since the store's start (snapshots carry it on). */
  private events = 0;
  private snapshotAt = { events: 0, time: 0 };
  private snapshotting: Promise<void> | undefined;
  private readonly writer: SnapshotWriter | undefined;
  /** Where the last rebuild swapped its model in. */
  private rebuiltAt: number | undefined;
  /** Set while a snapshot is taken: folding waits, queries go on from the still model. */
  private still: Promise<void> | undefined;
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
    this.changes = new ChangeLog(options.watchHistory ?? DEFAULT_WATCH_HISTORY);
    this.history = new LuidHistory(options.luidHistory ?? defaultLuidHistoryLimits);
    this.writer = options.snapshots && (options.snapshotWriter ?? new InProcessSnapshotWriter(options.snapshots));
  }

  get model(): ReadModel {
    return this.current;
  }

  /** Starts following the store and resolves once the history known at start is folded in. */
  async start(): Promise<void> {
    const head = await this.store.headPosition();
    await this.restoreSnapshot(head);
    this.snapshotAt = { events: this.events, time: Date.now() };
    this.caughtUpTo = head;
    await this.catchUp(head);
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
    // None while catching up (each would hold folding up); one now if the catch-up was long.
    if (this.snapshotDue()) void this.snapshot();
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
    // The writer first: a snapshot thread finishes its snapshot (or is ended), then the wait.
    await this.writer?.close();
    await this.snapshotting;
  }

  /** Events folded into the model since the store's start. */
  get eventsFolded(): number {
    return this.events;
  }

  /**
   * Writes a snapshot of the model as it is now (one at a time: a call while one is written
   * waits for it), through the writer: a snapshot thread with its own copy of the model, or in
   * this thread, where folding waits while the model is serialised in parts between which
   * requests are answered. A snapshot not written is logged; the service goes on.
   */
  snapshot(): Promise<void> {
    const writer = this.writer;
    if (writer === undefined) return Promise.resolve();
    this.snapshotting ??= this.writeSnapshot(writer).finally(() => (this.snapshotting = undefined));
    return this.snapshotting;
  }

  get isSnapshotting(): boolean {
    return this.snapshotting !== undefined;
  }

  private async writeSnapshot(writer: SnapshotWriter): Promise<void> {
    const started = Date.now();
    const position = this.current.position;
    this.snapshotAt = { events: this.events, time: started };
    const live: LiveModel = {
      position,
      events: this.events,
      rebuiltAt: this.rebuiltAt,
      limits: { changes: this.options.watchHistory ?? DEFAULT_WATCH_HISTORY, luids: this.options.luidHistory ?? defaultLuidHistoryLimits },
      state: () => ({ model: this.current, events: this.events, luids: this.history.state, changes: this.changes.state }),
      still: (work) => this.holdingFolding(work),
    };
    try {
      const written = await writer.write(live);
      this.log.info({ position: written.position, bytes: written.bytes, ms: Date.now() - started }, 'read model snapshot written');
    } catch (error) {
      this.log.warn({ err: error, position }, 'read model snapshot not written; the next one is tried at the next cadence');
    }
  }

  /** Runs `work` while folding waits (queries go on from the still model). */
  private async holdingFolding<T>(work: () => Promise<T>): Promise<T> {
    let release = (): void => undefined;
    this.still = new Promise((resolve) => (release = resolve));
    try {
      return await work();
    } finally {
      this.still = undefined;
      release();
    }
  }

  /** The newest snapshot, when there is one this version can use; else the model stays empty (folded from the start). */
  private async restoreSnapshot(head: number): Promise<void> {
    const snapshots = this.options.snapshots;
    if (snapshots === undefined) return;
    const state = await restoreReadModel(snapshots, head, this.log);
    if (state === undefined) return;
    this.current = state.model;
    this.events = state.events;
    this.history = LuidHistory.restored(this.options.luidHistory ?? defaultLuidHistoryLimits, state.luids);
    this.changes.restore(state.changes);
  }

  /**
   * Folds the history known at start as the subscription would, but read ahead of the fold (as a
   * rebuild reads); the subscription then starts from where it ended.
   */
  private async catchUp(head: number): Promise<void> {
    if (this.current.position >= head) return;
    const reader = readAhead(this.store, { from: this.current.position, to: head, pageSize: this.options.batchSize ?? 1000 });
    let since = performance.now();
    try {
      for (let page = await reader.next(); page.length > 0; page = await reader.next()) {
        for (const recorded of page) this.fold(this.current, this.history, recorded);
        this.events += page.length;
        this.progress.emit('progress');
        if (performance.now() - since >= FOLD_SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          since = performance.now();
        }
      }
    } finally {
      await reader.close();
    }
    // A read-ahead page has no store times: the lag metric starts from the last event's.
    this.lastRecordedAt = (await this.store.readAll(this.current.position - 1, 1))[0]?.recordedAt ?? this.lastRecordedAt;
  }

  private async buildAside(onProgress: (p: RebuildProgress) => void): Promise<void> {
    const started = Date.now();
    const fresh = emptyReadModel(this.current.maxFailures);
    const freshHistory = new LuidHistory(this.options.luidHistory ?? defaultLuidHistoryLimits);
    const total = this.events;
    let events = 0;
    let since = performance.now();
    // The catch-up's batch, not a bigger one: a page of 5,000 parsed events outlives V8's young
    // generation and is promoted before it becomes garbage (figures: services/bench/README.md).
    const batch = this.options.batchSize ?? 1000;
    const progress = (): void => onProgress({ position: fresh.position, target: this.current.position, events, total: Math.max(total, events), done: false });
    // Folding is synchronous: let the service answer requests, every FOLD_SLICE_MS rather
    // than every page (each turn of the event loop cost milliseconds with two models in the heap).
    const letRequestsIn = async (): Promise<void> => {
      if (performance.now() - since < FOLD_SLICE_MS) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    };
    // What the live model held when the rebuild began, read ahead of the fold (the store's own
    // way where it has one: a reader thread for SQLite)...
    const reader = readAhead(this.store, { from: 0, to: this.current.position, pageSize: batch });
    try {
      for (let page = await reader.next(); page.length > 0; page = await reader.next()) {
        for (const recorded of page) this.foldAside(fresh, freshHistory, recorded);
        events += page.length;
        progress();
        await letRequestsIn();
      }
    } finally {
      await reader.close();
    }
    // ...then what it has applied since: the live model keeps moving; read until the new one has
    // caught up with it, then swap in the same tick (no await in between), so no event is
    // applied to neither.
    while (fresh.position < this.current.position) {
      for (const recorded of await this.store.readAll(fresh.position, batch)) {
        // Events the live model has not applied yet are left to it: applied after the swap,
        // they still reach onChange listeners and the change log.
        if (recorded.position > this.current.position) break;
        this.foldAside(fresh, freshHistory, recorded);
        events += 1;
      }
      progress();
      await letRequestsIn();
    }
    this.current = fresh;
    this.history = freshHistory;
    this.events = events;
    this.changes.reset(fresh.position);
    this.rebuiltAt = fresh.position;
    onProgress({ position: fresh.position, target: fresh.position, events, total: events, done: true });
    this.log.info({ position: fresh.position, events, ms: Date.now() - started }, 'read model rebuilt and swapped in');
    // A rebuild ends with a snapshot: the next start begins from the rebuilt model. One under way
    // is of the old model: the rebuilt one's comes after it.
    await this.snapshotting;
    await this.snapshot();
  }

  private async apply(events: readonly RecordedEvent[]): Promise<void> {
    while (this.still) await this.still;
    for (const recorded of events) this.fold(this.current, this.history, recorded);
    this.events += events.length;
    this.progress.emit('progress');
    if (this.snapshotDue()) void this.snapshot();
  }

  private snapshotDue(): boolean {
    if (this.options.snapshots === undefined || this.snapshotting || this.rebuilding || !this.ready) return false;
    const since = this.events - this.snapshotAt.events;
    if (since >= (this.options.snapshotEveryEvents ?? 100_000)) return true;
    return since > 0 && Date.now() - this.snapshotAt.time >= (this.options.snapshotEveryMs ?? 600_000);
  }

  /** A model built aside (a rebuild): no change log, no listeners, no metrics. */
  private foldAside(model: ReadModel, history: LuidHistory, recorded: FoldableEvent): void {
    foldStored(model, history, recorded, (problem) => this.unreadable(recorded, problem, false));
  }

  /** An unreadable event is logged and stepped over. */
  private unreadable(recorded: FoldableEvent, problem: string, live: boolean): void {
    if (live) this.skipped++;
    this.log.warn({ position: recorded.position, stream: recorded.stream, problem }, 'skipping unreadable event');
  }

  /** Folds into the live model; a read-ahead page (the start-up catch-up) has no store time or metadata. */
  private fold(model: ReadModel, history: LuidHistory, recorded: FoldableEvent & Partial<Pick<RecordedEvent, 'recordedAt' | 'metadata'>>): void {
    const event = readableEvent(model, recorded, (problem) => this.unreadable(recorded, problem, true));
    if (event === undefined) return;
    // A live event recorded with a trace context continues it: the fold, then the watch streams' send
    // (not while catching up at start-up: a restart would replay the spans of the whole history).
    const span = this.tracer && this.ready && recorded.metadata ? this.tracer.startSpan('query fold', { attributes: { 'ifreg.position': recorded.position } }, contextFrom(recorded.metadata)) : undefined;
    foldEvent(model, history, event, recorded.position);
    this.applied++;
    if (recorded.recordedAt !== undefined) this.lastRecordedAt = recorded.recordedAt;
    const change = logChange(model, this.changes, event, recorded.position);
    if (change) {
      if (span) context.with(trace.setSpan(ROOT_CONTEXT, span), () => this.progress.emit('change', change));
      else this.progress.emit('change', change);
    }
    span?.end();
  }
}
