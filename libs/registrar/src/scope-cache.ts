import { evolve, initialState, streamNames, type RegistryEvent, type RegistryOptions, type RegistryState } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import { NO_STREAM, type EventStore } from '@ifreg/ports';
import type { Logger } from '@ifreg/platform';

export interface LoadedScope {
  readonly state: RegistryState;
  /** Revision of the stream's last event, the expected revision of the next append. */
  revision: number;
}

/** Entries a scope holds in memory: its remembered outcomes and live interfaces, plus one for itself. */
const weightOf = (loaded: LoadedScope): number => 1 + loaded.state.outcomes.size + loaded.state.byLuid.size;

/**
 * Keeps the decider state of recently used scopes in memory after reading their stream once.
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
  ) {}

  async get(scope: string): Promise<LoadedScope> {
    const cached = this.scopes.get(scope);
    if (cached) {
      this.remember(scope, cached);
      return cached;
    }
    const loaded: LoadedScope = { state: initialState(scope, this.options), revision: NO_STREAM };
    for (const recorded of await this.store.readStream(streamNames.registry(scope))) {
      const problem = eventProblem(recorded.data);
      if (problem) this.log.warn({ stream: recorded.stream, revision: recorded.revision, problem }, 'skipping unreadable event');
      else evolve(loaded.state, recorded.data as RegistryEvent);
      loaded.revision = recorded.revision;
    }
    this.remember(scope, loaded);
    return loaded;
  }

  /** Counts a scope's entries again after decisions grew it, and keeps the bound. */
  recount(scope: string): void {
    const loaded = this.scopes.get(scope);
    if (loaded) this.remember(scope, loaded);
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
