import type { PageReader, ReadAheadRange } from './read-ahead';

/** What an event looks like when it is handed to the store. */
export interface EventData {
  /** Deterministic id (derived from the causing message): re-appending it is a no-op. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** `JSON.stringify(data)`, when the caller has made it already: a store may write it instead of serialising `data` again. */
  readonly dataJson?: string;
}

/** An event as the store recorded it. */
export interface RecordedEvent extends EventData {
  readonly stream: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: number;
  /**
   * Global position across all streams (DESIGN §2.5): an opaque safe integer > 0, unique per
   * event, larger for a later commit; a reader that has seen P never later sees an event
   * below P. Not gap-free: never treat it as a count of events.
   */
  readonly position: number;
  /** ISO time the store recorded it (informational; the domain never reads clocks). */
  readonly recordedAt: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * Expected revision of the stream before the append: the revision of its last event,
 * `NO_STREAM` (-1) when the stream must not exist yet, or `ANY` to skip the check.
 */
export type ExpectedRevision = number | 'any';
export const NO_STREAM = -1;
export const ANY: ExpectedRevision = 'any';

export interface AppendResult {
  /** Revision of the last event of the stream after the append. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event written (or already present). */
  readonly position: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export type AllHandler = (events: readonly RecordedEvent[]) => Promise<void> | void;

export interface SubscribeOptions {
  /** Deliver events with position > from (0 = from the start). */
  readonly from: number;
  /** Upper bound of events per handler call. */
  readonly batchSize?: number;
  /** Called when the subscription stops on an error it could not recover from. */
  readonly onError?: (error: unknown) => void;
}

/** The event-store port (DESIGN.md §2.5). Adapters: sqlite (embedded), postgres (shared) and eventstoredb. */
export interface EventStore {
  /**
   * Appends atomically. Throws ConcurrencyError when expectedRevision does not match.
   * When every event id is already in the stream (a redelivered message) it is a no-op
   * and answers the stream's current state instead of failing.
   */
  append(stream: string, events: readonly EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream from a revision (inclusive), in order. Empty for an unknown stream. */
  readStream(stream: string, fromRevision?: number): Promise<RecordedEvent[]>;
  /**
   * The events of `stream` that carry one of these ids, in stream order; ids recorded nowhere
   * or in another stream are left out. An index lookup: its cost does not grow with history.
   */
  readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]>;
  /**
   * Whether an error thrown by this store is worth retrying as it is: the store unreachable or
   * restarting, a timeout, a lock or serialisation conflict. Anything else is lasting.
   */
  isTransient(error: unknown): boolean;
  /** Events of all streams with position > from, in global order, at most `limit`. */
  readAll(from: number, limit: number): Promise<RecordedEvent[]>;
  /**
   * Optional: a reader of a range of the global order that reads ahead of its consumer in a way
   * of the store's own (another thread, a cursor). Callers use readAhead() (read-ahead.ts),
   * which falls back to readAll pages for a store without it. Same events as readAll.
   */
  readAhead?(range: ReadAheadRange): PageReader;
  /** Global position of the last recorded event (0 when empty). */
  headPosition(): Promise<number>;
  /** Catch-up subscription: replays from `from`, then follows new events live, in order. */
  subscribeAll(handler: AllHandler, options: SubscribeOptions): Subscription;
  close(): Promise<void>;
}

/**
 * Another writer moved the stream on (or recorded some of these very events): re-read the
 * stream and decide again. Always worth retrying.
 */
export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

/** Some (not all) of an append's event ids are already in the stream: a kind of conflict. */
export class DuplicateEventsError extends ConcurrencyError {
  constructor(stream: string, found: number, proposed: number, current: number) {
    super(stream, 'any', current);
    this.message = `stream ${stream}: ${found} of ${proposed} event ids are already recorded; re-read the stream and decide again`;
    this.name = 'DuplicateEventsError';
  }
}
