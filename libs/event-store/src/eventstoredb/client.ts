import { BACKWARDS, END, START, type EventStoreDBClient, type Position } from '@eventstore/db-client';

/** The calls the adapter makes on `@eventstore/db-client` (narrow, so a unit test can stand in for it). */
export type EsdbClient = Pick<EventStoreDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'>;

/**
 * The $all position of the last event on the server (START when it is empty). A store
 * given it as `origin` numbers only events written after it: a test's fresh namespace
 * starts at position 1 without reading the whole log first. Needs read access to $all.
 */
export async function endOfAll(client: Pick<EsdbClient, 'readAll'>): Promise<Position | typeof START> {
  for await (const resolved of client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
    if (resolved.event) return resolved.event.position;
  }
  return START;
}
