import { evolve, initialState, streamNames, type RegistryEvent, type RegistryOptions, type RegistryState } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import { NO_STREAM, type EventStore } from '@ifreg/ports';
import type { Logger } from '@ifreg/platform';
import { SCOPE_SNAPSHOT_VERSION, decodeScope, encodeScope, scopeSnapshotDue, scopeSnapshotKey, type ScopeSnapshotSettings } from './scope-snapshots';

export interface LoadedScope {
  readonly state: RegistryState;
  /** Revision of the stream's last event, the expected revision of the next append. */
  revision: number;
  /** Revision of the newest snapshot written or read (NO_STREAM: none). */
  snapshotRevision: number;
}

/** Entries a scope holds in memory: its remembered outcomes and live interfaces, plus one for itself. */
const weightOf = (loaded: LoadedScope): number => 1 + loaded.state.outcomes.size + loaded.state.byLuid.size;

/**
 * Keeps the decider state of recently used scopes in memory after loading them once: from the
 * scope's snapshot, when there is one it can use, and the stream's events after it.
 * Bounded by `maxEntries` (0 = no bound): the least recently used scopes leave first and are
 * read again from the store when next needed. A scope's weight is counted when it is fetched
 * and after each decision (`recount`).
 */
export class ScopeCache {
  private readonly scopes = new Map<string, LoadedScope>();
  private readonly weights = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly store: EventStore,
    private readonly options: RegistryOptions,
    private readonly log: Logger,
    private readonly maxEntries = 0,
    private readonly snapshots?: ScopeSnapshotSettings,
  ) {}

  async get(scope: string): Promise<LoadedScope> {
    const cached = this.scopes.get(scope);
    if (cached) {
      this.remember(scope, cached);
      return cached;
    }
    const stream = streamNames.registry(scope);
    let loaded = await this.restore(scope);
    // The tail from the snapshot's own revision: its event must be there (else the snapshot is of another store).
    let events = await this.store.readStream(stream, Math.max(0, loaded?.revision ?? 0));
    if (loaded && events[0]?.revision !== loaded.revision) {
      this.log.warn({ scope, revision: loaded.revision }, 'scope snapshot is ahead of its stream and is ignored: the scope is read from its stream');
      loaded = undefined;
      events = await this.store.readStream(stream);
    }
    const from = loaded?.revision ?? NO_STREAM;
    loaded ??= { state: initialState(scope, this.options), revision: NO_STREAM, snapshotRevision: NO_STREAM };
    for (const recorded of events) {
      if (recorded.revision <= from) continue;
      const problem = eventProblem(recorded.data);
      if (problem) this.log.warn({ stream: recorded.stream, revision: recorded.revision, problem }, 'skipping unreadable event');
      else evolve(loaded.state, recorded.data as RegistryEvent);
      loaded.revision = recorded.revision;
    }
    this.remember(scope, loaded);
    return loaded;
  }

  /** Counts a scope's entries again after decisions grew it, and keeps the bound; writes its snapshot when due. */
  recount(scope: string): void {
    const loaded = this.scopes.get(scope);
    if (!loaded) return;
    this.remember(scope, loaded);
    // A scope of 65,535 interfaces is not written out every N events (scopeSnapshotDue).
    const since = loaded.revision - loaded.snapshotRevision;
    if (this.snapshots && scopeSnapshotDue(since, loaded.state.byLuid.size, this.snapshots.everyEvents)) this.writeSnapshot(this.snapshots, scope, loaded);
  }

  /** In the background: the state is encoded now (it matches `revision` now), written after. */
  private writeSnapshot(settings: ScopeSnapshotSettings, scope: string, loaded: LoadedScope): void {
    const position = loaded.revision;
    loaded.snapshotRevision = position;
    const data = encodeScope(loaded.state);
    settings.store.save({ key: scopeSnapshotKey(scope), version: SCOPE_SNAPSHOT_VERSION, position, data }).catch((error: unknown) => {
      this.log.warn({ err: error, scope, revision: position }, 'scope snapshot not written');
    });
  }

  /** The scope from its newest snapshot, or undefined (none, unreadable, another version: logged, then read from the stream's start). */
  private async restore(scope: string): Promise<LoadedScope | undefined> {
    if (!this.snapshots) return undefined;
    try {
      const snapshot = await this.snapshots.store.newest(scopeSnapshotKey(scope));
      if (snapshot === undefined) return undefined;
      if (snapshot.version !== SCOPE_SNAPSHOT_VERSION) throw new Error(`version ${snapshot.version}, not ${SCOPE_SNAPSHOT_VERSION}`);
      return { state: decodeScope(scope, this.options, snapshot.data), revision: snapshot.position, snapshotRevision: snapshot.position };
    } catch (error) {
      this.log.warn({ err: error, scope }, 'scope snapshot ignored: the scope is read from its stream');
      return undefined;
    }
  }

  /** Forget a scope whose in-memory state may be ahead of the store (failed append). */
  drop(scope: string): void {
    this.total -= this.weights.get(scope) ?? 0;
    this.weights.delete(scope);
    this.scopes.delete(scope);
  }

  get size(): number {
    return this.scopes.size;
  }

  /** Entries held, as last counted. */
  get entries(): number {
    return this.total;
  }

  /** Most recently used last (a Map keeps insertion order); then the oldest leave until in bounds. */
  private remember(scope: string, loaded: LoadedScope): void {
    this.drop(scope);
    const weight = weightOf(loaded);
    this.scopes.set(scope, loaded);
    this.weights.set(scope, weight);
    this.total += weight;
    if (this.maxEntries <= 0) return;
    for (const oldest of this.scopes.keys()) {
      if (this.total <= this.maxEntries || oldest === scope) break;
      this.drop(oldest);
    }
  }
}
