import { evolve, initialState, streamNames, type RegistryEvent, type RegistryOptions, type RegistryState } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import { NO_STREAM, type EventStore } from '@ifreg/event-store';
import type { Logger } from '@ifreg/platform';

export interface LoadedScope {
  readonly state: RegistryState;
  /** Revision of the stream's last event, the expected revision of the next append. */
  revision: number;
}

/** Keeps each scope's decider state in memory after reading its stream once. */
export class ScopeCache {
  private readonly scopes = new Map<string, LoadedScope>();

  constructor(
    private readonly store: EventStore,
    private readonly options: RegistryOptions,
    private readonly log: Logger,
  ) {}

  async get(scope: string): Promise<LoadedScope> {
    const cached = this.scopes.get(scope);
    if (cached) return cached;
    const loaded: LoadedScope = { state: initialState(scope, this.options), revision: NO_STREAM };
    for (const recorded of await this.store.readStream(streamNames.registry(scope))) {
      const problem = eventProblem(recorded.data);
      if (problem) this.log.warn({ stream: recorded.stream, revision: recorded.revision, problem }, 'skipping unreadable event');
      else evolve(loaded.state, recorded.data as RegistryEvent);
      loaded.revision = recorded.revision;
    }
    this.scopes.set(scope, loaded);
    return loaded;
  }

  /** Forget a scope whose in-memory state may be ahead of the store (failed append). */
  drop(scope: string): void {
    this.scopes.delete(scope);
  }

  get size(): number {
    return this.scopes.size;
  }
}
