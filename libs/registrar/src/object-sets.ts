import { objectSetMessageIds, streamNames, type RegistryEvent } from '@ifreg/domain';
import type { EventStore } from '@ifreg/ports';
import { eventIdFor } from './event-ids';

/**
 * What the store holds of one set, by its request id: the events its two messages recorded
 * (ids derived from scope and message id, so an index lookup whose cost does not grow with
 * history). The API answers a retried set from it instead of asking the provider again.
 */
export async function findRecordedSet(store: EventStore, scope: string, requestId: string): Promise<{ request?: RegistryEvent; answer?: RegistryEvent }> {
  const ids = objectSetMessageIds(requestId);
  const requestEvent = eventIdFor(scope, ids.request, 0);
  const answerEvent = eventIdFor(scope, ids.answer, 0);
  const found = await store.readByIds(streamNames.registry(scope), [requestEvent, answerEvent]);
  const request = found.find((e) => e.id === requestEvent)?.data as RegistryEvent | undefined;
  const answer = found.find((e) => e.id === answerEvent)?.data as RegistryEvent | undefined;
  return { ...(request ? { request } : {}), ...(answer ? { answer } : {}) };
}
