import type { EventData, RecordedEvent } from '@ifreg/ports';

/** A row as node-postgres hands it over: bigint as a string, jsonb parsed, timestamptz as a Date. */
export interface EventRow {
  readonly position: string;
  readonly stream: string;
  readonly revision: number;
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  readonly recorded_at: Date;
}

export const EVENT_COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    stream: row.stream,
    revision: row.revision,
    // Positions stay far below 2^53: a Number is exact.
    position: Number(row.position),
    recordedAt: row.recorded_at.toISOString(),
  };
}

/**
 * The batch as one JSON array parameter: PostgreSQL unpacks it with
 * jsonb_array_elements, so 10,000 events are one statement and one round trip.
 * `data: undefined` is stored as JSON null, like the SQLite adapter does.
 */
export function batchJson(events: readonly EventData[]): string {
  // Spliced rather than stringified whole: an event's data already serialised (dataJson) is used as it is.
  const one = (e: EventData): string =>
    `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"data":${e.dataJson ?? JSON.stringify(e.data ?? null) ?? 'null'},"metadata":${JSON.stringify(e.metadata ?? {})}}`;
  return `[${events.map(one).join(',')}]`;
}
