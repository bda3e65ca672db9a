import { emptyScope, applyToScope, streamNames, type RegistryEvent, type ScopeView } from '@ifreg/domain';
import { eventProblem } from '@ifreg/contracts';
import type { EventStore } from '@ifreg/ports';

/**
 * Time travel: the scope as it was at store position `asOf`, folded from its stream
 * (only this scope's events are read). Undefined when the scope had no event by then.
 */
export async function scopeAsOf(store: EventStore, scope: string, asOf: number, maxFailures = 100): Promise<ScopeView | undefined> {
  const view = emptyScope(scope);
  let seen = false;
  for (const recorded of await store.readStream(streamNames.registry(scope))) {
    if (recorded.position > asOf) break;
    if (eventProblem(recorded.data)) continue;
    applyToScope(view, recorded.data as RegistryEvent, recorded.position, maxFailures);
    seen = true;
  }
  return seen ? view : undefined;
}
