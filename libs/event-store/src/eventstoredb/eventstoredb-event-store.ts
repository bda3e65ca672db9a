import {
  BACKWARDS, END, EventStoreDBClient, FORWARDS, START,
  type AllStreamRecordedEvent, type Position, type RecordedEvent as ClientRecordedEvent,
} from '@eventstore/db-client';
import { OpenSubscriptions, type CatchUpSource } from '../catch-up-subscription';
import {
  ANY, ConcurrencyError, DuplicateEventsError, NO_STREAM,
  type AllHandler, type AppendResult, type EventData, type EventStore, type ExpectedRevision,
  type RecordedEvent, type SubscribeOptions, type Subscription,
} from '@ifreg/ports';
import { retryTransient } from '../backoff';
import { Claims, type Claim } from './claims';
import type { EsdbClient } from './client';
import { Doorbell } from './doorbell';
import { isStreamNotFound, isTransient, isWrongExpectedVersion } from './errors';
import { esdbEventId, fromRecordedEvent, toProposedEvent } from './event-mapping';
import { fromCurrentRevision, toClientRevision, toConcurrencyError } from './revisions';
import { StreamNames } from './stream-names';

export type EventStoreDbEventStoreOptions = ({
  /** Connection string, e.g. `esdb://127.0.0.1:2113?tls=false`; the store owns the client and disposes it on close. */
  readonly url: string;
} | {
  /** A client to use instead; close() leaves it open. */
  readonly client: EsdbClient;
}) & {
  /** Prepended to every stream name on the server (see StreamNames): one store's streams apart from another's. */
  readonly namespace?: string;
  /** Port-level stream name prefixes this store owns, e.g. ['registry-']; default: every non-system stream. */
  readonly streamPrefixes?: readonly string[];
  /** $all position up to which none of this store's events exists (from `endOfAll`); default START. */
  readonly origin?: Position | typeof START;
  /** Longest a caught-up subscriber waits before looking again when the live subscription said nothing. */
  readonly pollIntervalMs?: number;
  /** $all records per read. */
  readonly pageSize?: number;
  /** How often a subscription retries a transient read failure (server restarting) before reporting it to onError. */
  readonly subscriptionRetries?: number;
  /** Told when the live subscription to $all drops (it is resubscribed after a back-off); for the log. */
  readonly onLiveSubscriptionError?: (error: unknown) => void;
};

const BACKOFF = { minMs: 100, maxMs: 5000 };
/** With a number, a second attempt sees the conflict; with 'any' we retry racing writers a while. */
const ATTEMPTS = { exact: 3, any: 20 };

/** Our position of an event: its prepare position in the log, plus one (0 stays "before everything"). */
const positionOf = (event: { position?: Position }): number => {
  if (event.position === undefined) throw new Error('the server gave no log position for an event');
  const position = event.position.prepare + 1n;
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`log position ${event.position.prepare} is beyond a safe integer`);
  return Number(position);
};

/**
 * The EventStoreDB adapter of the event-store port (DESIGN §2.5), on @eventstore/db-client.
 *
 * Positions. An event's position is its prepare position in the server's log + 1: unique per
 * event (the events of one append share their commit position, not their prepare positions),
 * growing in $all order, a safe integer for 8 PiB of log. Reading on after position p starts
 * $all at (p - 1, p - 1): the log records after that prepare record, which include the rest of
 * its append (their commit record comes after them); what is at or before p is passed over.
 * No index in memory, no scan of $all at start, no read of $all per append.
 *
 * Appends. EventStoreDB's dedup by event id is a best-effort cache, so the adapter checks ids
 * itself, through claims (claims.ts), with the SQLite store's semantics: a batch whose ids are
 * all recorded in the stream answers the stream's current state; a partly recorded one fails.
 * The write states the revision it checked against (also for 'any'), so the check and the
 * write are atomic: a writer in between makes the server refuse, and the adapter looks again.
 *
 * Subscriptions are the shared CatchUpSubscription over readAll: they resume from their own
 * position, retry transient failures with back-off, and are woken by a live filtered
 * subscription to $all that is resubscribed when it drops, with polling as the fallback
 * (Doorbell). Reads of $all need the rights of an admin (EventStoreDB's default ACL).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EsdbClient;
  private readonly ownsClient: boolean;
  private readonly names: StreamNames;
  private readonly claims: Claims;
  private readonly origin: Position | typeof START;
  private readonly doorbell: Doorbell;
  private readonly subscriptions = new OpenSubscriptions();
  private readonly pageSize: number;
  private readonly subscriptionRetries: number;
  private closed = false;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.names = new StreamNames(options.namespace, options.streamPrefixes);
    this.origin = options.origin ?? START;
    this.pageSize = options.pageSize ?? 1000;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 2) throw new RangeError(`pageSize must be >= 2, got ${this.pageSize}`);
    this.subscriptionRetries = options.subscriptionRetries ?? 8;
    if ('url' in options) {
      this.client = EventStoreDBClient.connectionString(options.url);
      this.ownsClient = true;
    } else {
      this.client = options.client;
      this.ownsClient = false;
    }
    this.claims = new Claims(this.client, (s) => this.names.internal(s));
    this.doorbell = new Doorbell(
      () => this.client.subscribeToAll({ fromPosition: END, filter: this.names.filter(), resolveLinkTos: false }),
      { pollIntervalMs: options.pollIntervalMs ?? 1000, backoff: BACKOFF, onError: options.onLiveSubscriptionError },
    );
  }

  async append(stream: string, events: readonly EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const physical = this.names.physical(stream);
    toClientRevision(expectedRevision); // validates it before any I/O
    if (new Set(events.map((e) => e.id)).size !== events.length) throw new Error(`stream ${stream}: the batch repeats an event id`);
    const proposed = events.map(toProposedEvent);
    const attempts = expectedRevision === ANY ? ATTEMPTS.any : ATTEMPTS.exact;
    for (let attempt = 1; ; attempt++) {
      const last = await this.lastEvent(stream);
      const current = last === undefined ? NO_STREAM : Number(last.revision);
      const stale = expectedRevision !== ANY && expectedRevision !== current;
      // A stream with no event yet holds none of these: its ids' claims are not read.
      const recorded = last === undefined ? [] : await this.readByIds(stream, events.map((e) => e.id));
      const redelivered = recordedPosition(stream, recorded, events.length, stale ? expectedRevision : undefined, current);
      if (redelivered !== undefined) return { nextExpectedRevision: current, position: redelivered };
      if (stale) throw new ConcurrencyError(stream, expectedRevision, current);
      if (proposed.length === 0) return { nextExpectedRevision: current, position: last === undefined ? 0 : positionOf(last) };
      await this.claims.write(new Map(proposed.map((e, i) => [e.id, { stream, revision: current + 1 + i } satisfies Claim])));
      try {
        const result = await this.client.appendToStream(physical, proposed, { expectedRevision: toClientRevision(current) });
        const revision = fromCurrentRevision(result.nextExpectedRevision);
        const written = await this.eventAt(stream, revision);
        this.doorbell.ring();
        return { nextExpectedRevision: revision, position: positionOf(written) };
      } catch (error) {
        // Another writer came in between the check and the write. The next attempt sees
        // its events: a redelivery of this very batch is then answered, else it conflicts.
        if (!isWrongExpectedVersion(error)) throw error;
        if (attempt >= attempts) throw toConcurrencyError(stream, expectedRevision, error);
      }
    }
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    const physical = this.names.physical(stream);
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) throw new RangeError(`fromRevision must be >= 0, got ${fromRevision}`);
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(physical, { fromRevision: BigInt(fromRevision), direction: FORWARDS })) {
        if (resolved.event) events.push(fromRecordedEvent(stream, resolved.event, positionOf(resolved.event)));
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return events;
  }

  /** From the ids' claims, each checked against the event at the claimed revision (claims.ts). */
  async readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]> {
    const found = new Map<number, RecordedEvent>();
    await Promise.all([...new Set(ids)].map(async (id) => {
      const esdbId = esdbEventId(id);
      for (const claim of await this.claims.of(esdbId)) {
        if (claim.stream !== stream || found.has(claim.revision)) continue;
        const event = await this.eventAt(stream, claim.revision, false);
        if (event?.id === esdbId) {
          found.set(claim.revision, fromRecordedEvent(stream, event, positionOf(event)));
          return;
        }
      }
    }));
    return [...found.values()].sort((a, b) => a.revision - b.revision);
  }

  isTransient(error: unknown): boolean {
    return error instanceof ConcurrencyError || isTransient(error);
  }

  async readAll(from: number, limit: number): Promise<RecordedEvent[]> {
    if (!Number.isSafeInteger(from) || from < 0) throw new RangeError(`from must be a position >= 0, got ${from}`);
    const out: RecordedEvent[] = [];
    if (limit < 1) return out;
    let cursor: Position | typeof START = from === 0 ? this.origin : { commit: BigInt(from - 1), prepare: BigInt(from - 1) };
    // A read includes the record at its start: what is at or below `floor` was seen already.
    let floor = Math.max(from, this.origin === START ? 0 : Number(this.origin.prepare) + 1);
    for (;;) {
      const page = await this.readAllPage(cursor);
      for (const event of page.events) {
        const position = positionOf(event);
        if (position <= floor) continue;
        floor = position;
        const stream = this.names.logical(event.streamId);
        if (stream === undefined) continue;
        out.push(fromRecordedEvent(stream, event, position));
        if (out.length >= limit) return out;
      }
      const last = page.events.at(-1);
      if (page.atEnd || last === undefined) return out;
      if (cursor !== START && last.position.commit === cursor.commit && last.position.prepare === cursor.prepare) throw new Error('reading $all made no progress');
      cursor = last.position;
    }
  }

  /** The position of our last event: $all read backwards from its end until one of ours. */
  async headPosition(): Promise<number> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, resolveLinkTos: false })) {
      const event = resolved.event;
      if (event === undefined) continue;
      if (this.origin !== START && positionOf(event) <= Number(this.origin.prepare) + 1) return 0;
      if (this.names.logical(event.streamId) !== undefined) return positionOf(event);
    }
    return 0;
  }

  subscribeAll(handler: AllHandler, options: SubscribeOptions): Subscription {
    const stop = new AbortController();
    const retry = { ...BACKOFF, retries: this.subscriptionRetries };
    const source: CatchUpSource = {
      readAll: async (from, limit) => (await retryTransient(() => this.readAll(from, limit), isTransient, retry, stop.signal)) ?? [],
      waitForMore: (signal) => this.doorbell.wait(signal),
    };
    return this.subscriptions.start(source, handler, options, () => stop.abort());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.subscriptions.closeAll();
    await this.doorbell.close();
    if (this.ownsClient) await this.client.dispose();
  }

  private async readAllPage(from: Position | typeof START): Promise<{ events: AllStreamRecordedEvent[]; atEnd: boolean }> {
    const events: AllStreamRecordedEvent[] = [];
    let records = 0;
    for await (const resolved of this.client.readAll({ fromPosition: from, direction: FORWARDS, maxCount: this.pageSize, resolveLinkTos: false })) {
      records += 1;
      if (resolved.event) events.push(resolved.event);
    }
    return { events, atEnd: records < this.pageSize };
  }

  private async lastEvent(stream: string): Promise<ClientRecordedEvent | undefined> {
    try {
      for await (const resolved of this.client.readStream(this.names.physical(stream), { fromRevision: END, direction: BACKWARDS, maxCount: 1 })) {
        if (resolved.event) return resolved.event;
      }
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    return undefined;
  }

  /** The event at a revision (written: it must be there). */
  private async eventAt(stream: string, revision: number, required?: true): Promise<ClientRecordedEvent>;
  private async eventAt(stream: string, revision: number, required: false): Promise<ClientRecordedEvent | undefined>;
  private async eventAt(stream: string, revision: number, required = true): Promise<ClientRecordedEvent | undefined> {
    try {
      for await (const resolved of this.client.readStream(this.names.physical(stream), { fromRevision: BigInt(revision), direction: FORWARDS, maxCount: 1 })) {
        if (resolved.event && Number(resolved.event.revision) === revision) return resolved.event;
      }
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    if (required) throw new Error(`stream ${stream}: revision ${revision} was written but cannot be read`);
    return undefined;
  }
}

/**
 * Idempotency, as the SQLite store: when every id of the batch is already in this stream (a
 * redelivered message) answers the position of the last of them; when none is, undefined. A
 * partial overlap after the stream moved is a ConcurrencyError (re-reading resolves it); with an
 * up-to-date expected revision it is a DuplicateEventsError. Unlike SQLite, an id recorded in
 * another stream is not detected (EventStoreDB allows it).
 */
function recordedPosition(stream: string, recorded: readonly RecordedEvent[], proposed: number, staleExpected: ExpectedRevision | undefined, current: number): number | undefined {
  if (recorded.length === 0) return undefined;
  if (recorded.length === proposed) return Math.max(...recorded.map((e) => e.position));
  if (staleExpected !== undefined) throw new ConcurrencyError(stream, staleExpected, current);
  throw new DuplicateEventsError(stream, recorded.length, proposed, current);
}
