import type { RegistryState } from '@ifreg/domain';
import type { EventStore, RecordedEvent } from '@ifreg/ports';
import { eventIdFor, legacyEventIdFor } from './event-ids';

/**
 * Asks the store which of these messages are already recorded in the scope's stream, and as
 * what: the store is the authority for the store's whole life, the state's window of recent
 * outcomes only a cache (DESIGN §2.4). Every decision records one event (seq 0), under the
 * current id scheme or, in older stores, the first one.
 *
 * Asked about a message when the window holds its id (a redelivery: to compare fingerprints),
 * and about every message once the window has forgotten ids or after an append met recorded
 * ids (`all`). While the window holds the whole stream, a new id costs no lookup.
 */
export async function findRecorded(
  store: EventStore,
  stream: string,
  state: RegistryState,
  messageIds: readonly string[],
  all: boolean,
): Promise<Map<string, RecordedEvent>> {
  const everyId = all || state.forgotten > 0;
  const asked = [...new Set(messageIds.filter((id) => everyId || state.outcomes.has(id)))];
  const found = new Map<string, RecordedEvent>();
  if (asked.length === 0) return found;
  const byEventId = new Map<string, string>();
  for (const id of asked) {
    byEventId.set(eventIdFor(state.scope, id, 0), id);
    byEventId.set(legacyEventIdFor(id, 0), id);
  }
  for (const event of await store.readByIds(stream, [...byEventId.keys()])) {
    const messageId = byEventId.get(event.id);
    if (messageId !== undefined && !found.has(messageId)) found.set(messageId, event);
  }
  return found;
}
