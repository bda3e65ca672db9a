import { jsonEvent, type JSONEventData, type JSONType, type RecordedEvent as ClientRecordedEvent } from '@eventstore/db-client';
import { createHash } from 'node:crypto';
import type { EventData, RecordedEvent } from '@ifreg/ports';

/**
 * EventStoreDB wants UUID event ids. Ours already are (name-based UUIDs), but the port
 * allows any string: such an id is sent as a UUID derived from it (so a re-append still
 * carries the same id) and the original travels in the metadata under this key, which is
 * stripped again on the way back.
 */
export const ORIGINAL_ID_KEY = 'ifregEventId';
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A version-5-style UUID of the id (SHA-1, name-based): the same id always gives the same UUID. */
function uuidOf(id: string): string {
  const h = createHash('sha1').update(`ifreg/esdb-event-id/v1\n${id}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export const esdbEventId = (id: string): string => (CANONICAL_UUID.test(id) ? id : uuidOf(id));

/** Our event as the client sends it: JSON data and metadata (correlation, causation, origin kept as given). */
export function toProposedEvent(event: EventData): JSONEventData {
  if (event.metadata !== undefined && ORIGINAL_ID_KEY in event.metadata) {
    throw new Error(`event ${event.id}: metadata key ${ORIGINAL_ID_KEY} is reserved by the EventStoreDB adapter`);
  }
  const id = esdbEventId(event.id);
  const metadata = id === event.id ? { ...event.metadata } : { ...event.metadata, [ORIGINAL_ID_KEY]: event.id };
  // The client JSON.stringify's the data; like the SQLite store, undefined is recorded as null.
  const data = (event.data ?? null) as JSONType;
  return jsonEvent({ id, type: event.type, data, metadata });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** A server event of one of our streams as the port answers it, numbered `position` in our global order. */
export function fromRecordedEvent(stream: string, event: ClientRecordedEvent, position: number): RecordedEvent {
  const metadata = isRecord(event.metadata) ? { ...event.metadata } : {};
  const original = metadata[ORIGINAL_ID_KEY];
  delete metadata[ORIGINAL_ID_KEY];
  return {
    id: typeof original === 'string' ? original : event.id,
    type: event.type,
    data: event.data,
    metadata,
    stream,
    revision: Number(event.revision),
    position,
    recordedAt: event.created.toISOString(),
  };
}
