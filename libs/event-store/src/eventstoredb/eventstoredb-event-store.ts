import {
  END, EventStoreDBClient, FORWARDS, START,
  type AllStreamRecordedEvent, type JSONEventData, type Position, type RecordedEvent as ClientRecordedEvent,
} from '@eventstore/db-client';
import { OpenSubscriptions, type CatchUpSource } from '../catch-up-subscription';
import {
  ANY, ConcurrencyError, DuplicateEventsError, NO_STREAM,
  type AllHandler, type AppendResult, type EventData, type EventStore, type ExpectedRevision,
  type RecordedEvent, type SubscribeOptions, type Subscription,
} from '@ifreg/ports';
import { pause, retryTransient } from '../backoff';
import type { EsdbClient } from './client';
import { Doorbell } from './doorbell';
import { isStreamNotFound, isTransient, isWrongExpectedVersion } from './errors';
import { esdbEventId, fromRecordedEvent, toProposedEvent } from './event-mapping';
import { GlobalOrder, comparePositions } from './global-order';
import { NextRun } from './next-run';
import { fromCurrentRevision, toClientRevision, toConcurrencyError } from './revisions';
import { StreamNames } from './stream-names';

export type EventStoreDbEventStoreOptions = ({
  /** Connection string, e.g. `esdb://127.0.0.1:2113?tls=false`; the store owns the client and disposes it on close. */
  readonly url: string;
} | {
  /** A client to use instead; close() leaves it open. */
  readonly client: EsdbClient;
}) & {
  /** Prepended to every stream name on the server (see StreamNames): one store's streams, numbered from 1. */
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

/**
 * The EventStoreDB adapter of the event-store port (DESIGN §2.5), on @eventstore/db-client.
 *
 * Appends. EventStoreDB's dedup by event id is a best-effort cache, so the adapter does
 * its own check, with the SQLite store's semantics: the ids of the stream are in the
 * in-memory index (GlobalOrder), brought up to date from $all before each append; a
 * batch whose ids are all recorded answers the stream's current state; a partly recorded
 * one fails. The write then always states the revision it checked against (also for
 * 'any'), so the check and the write are atomic: a writer in between makes the server
 * refuse, and the adapter looks again.
 *
 * Global positions. The port wants 1-based gap-free positions in commit order; $all
 * positions are log offsets. GlobalOrder numbers this store's events in $all order and
 * is built by reading $all from `origin` once per process, then kept up to date by the
 * reads. Limits: memory grows with the number of events (~120 bytes each); the first
 * read scans $all from `origin` (the client has no server-side filter for reads, so
 * system and foreign events are read and skipped); deleting, truncating or scavenging
 * events of this store's streams would renumber them and is detected, not supported.
 * Reads of $all need the rights of an admin (EventStoreDB's default ACL).
 *
 * Subscriptions are the shared CatchUpSubscription over readAll: they resume from their
 * own position, retry transient failures (a restarting server) with back-off, and are
 * woken by a live filtered subscription to $all that is resubscribed when it drops, with
 * polling as the fallback (Doorbell).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EsdbClient;
  private readonly ownsClient: boolean;
  private readonly names: StreamNames;
  private readonly order: GlobalOrder;
  private readonly refresh = new NextRun(async () => {
    await this.scan(this.order.head, Infinity, false);
  });
  private readonly doorbell: Doorbell;
  private readonly subscriptions = new OpenSubscriptions();
  private readonly pageSize: number;
  private readonly subscriptionRetries: number;
  private closed = false;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.names = new StreamNames(options.namespace, options.streamPrefixes);
    this.order = new GlobalOrder(options.origin);
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
      await this.refresh.run();
      const current = this.order.streamRevision(stream);
      const stale = expectedRevision !== ANY && expectedRevision !== current;
      const redelivered = this.recordedPosition(stream, proposed, stale ? expectedRevision : undefined, current);
      if (redelivered !== undefined) return { nextExpectedRevision: current, position: redelivered };
      if (stale) throw new ConcurrencyError(stream, expectedRevision, current);
      if (proposed.length === 0) return { nextExpectedRevision: current, position: current === NO_STREAM ? 0 : this.known(stream, current) };
      try {
        const result = await this.client.appendToStream(physical, proposed, { expectedRevision: toClientRevision(current) });
        const last = fromCurrentRevision(result.nextExpectedRevision);
        const position = await this.positionAfterAppend(stream, last);
        this.doorbell.ring();
        return { nextExpectedRevision: last, position };
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
    const events: ClientRecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(physical, { fromRevision: BigInt(fromRevision), direction: FORWARDS })) {
        if (resolved.event) events.push(resolved.event);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    const last = events.at(-1);
    if (last !== undefined && this.order.numberOf(stream, Number(last.revision)) === undefined) await this.refresh.run();
    return events.map((event) => fromRecordedEvent(stream, event, this.known(stream, Number(event.revision))));
  }

  /**
   * From the adapter's own index of event ids (GlobalOrder), brought up to date from $all,
   * never from the server's event-id cache (best effort, lost on restart); then each event is
   * read at its revision.
   */
  async readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]> {
    if (ids.length === 0) return [];
    await this.refresh.run();
    const revisions = [...new Set(ids)].map((id) => this.order.revisionOf(stream, esdbEventId(id))).filter((r): r is number => r !== undefined);
    const found: RecordedEvent[] = [];
    for (const revision of revisions.sort((a, b) => a - b)) {
      for await (const resolved of this.client.readStream(this.names.physical(stream), { fromRevision: BigInt(revision), direction: FORWARDS, maxCount: 1 })) {
        if (resolved.event) found.push(fromRecordedEvent(stream, resolved.event, this.known(stream, revision)));
      }
    }
    return found;
  }

  isTransient(error: unknown): boolean {
    return error instanceof ConcurrencyError || isTransient(error);
  }

  async readAll(from: number, limit: number): Promise<RecordedEvent[]> {
    if (!Number.isInteger(from) || from < 0) throw new RangeError(`from must be a position >= 0, got ${from}`);
    if (limit < 1) return [];
    if (from > this.order.head) {
      await this.refresh.run();
      if (from > this.order.head) return [];
    }
    return this.scan(from, limit, true);
  }

  async headPosition(): Promise<number> {
    await this.refresh.run();
    return this.order.head;
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

  /**
   * Reads $all after our position `from`, numbering this store's events and recording
   * them in the index; stops after `limit` of them or at the end of $all.
   */
  private async scan(from: number, limit: number, keep: boolean): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    let cursor = this.order.positionOf(from);
    let number = from;
    for (;;) {
      const pageStart = cursor;
      const page = await this.readAllPage(pageStart);
      for (const event of page.events) {
        // Whether a read includes the event at its start position or not, skip it.
        if (pageStart !== START && comparePositions(event.position, pageStart) <= 0) continue;
        cursor = event.position;
        const stream = this.names.logical(event.streamId);
        if (stream === undefined) continue;
        number += 1;
        this.order.accept(number, { stream, revision: Number(event.revision), eventId: event.id, position: event.position });
        if (keep) out.push(fromRecordedEvent(stream, event, number));
        if (number - from >= limit) return out;
      }
      if (page.atEnd) return out;
      if (cursor === pageStart) throw new Error('reading $all made no progress');
    }
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

  /**
   * Idempotency, as the SQLite store: when every id of the batch is already in this
   * stream (a redelivered message) answers the position of the last of them; when none
   * is, undefined. A partial overlap after the stream moved is a ConcurrencyError
   * (re-reading resolves it); with an up-to-date expected revision it is a caller bug.
   * Unlike SQLite, an id recorded in another stream is not detected (EventStoreDB allows it).
   */
  private recordedPosition(stream: string, proposed: readonly JSONEventData[], staleExpected: ExpectedRevision | undefined, current: number): number | undefined {
    let found = 0;
    let highest = NO_STREAM;
    for (const event of proposed) {
      const revision = this.order.revisionOf(stream, event.id);
      if (revision === undefined) continue;
      found += 1;
      highest = Math.max(highest, revision);
    }
    if (found === 0) return undefined;
    if (found === proposed.length) return this.known(stream, highest);
    if (staleExpected !== undefined) throw new ConcurrencyError(stream, staleExpected, current);
    throw new DuplicateEventsError(stream, found, proposed.length, current);
  }

  /** Our position of a revision just written: $all shows it once the write is acknowledged, a follower a moment later. */
  private async positionAfterAppend(stream: string, revision: number): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) await pause(50 * attempt, new AbortController().signal);
      await this.refresh.run();
      const number = this.order.numberOf(stream, revision);
      if (number !== undefined) return number;
    }
    throw new Error(`stream ${stream}: revision ${revision} was written but is not in $all`);
  }

  private known(stream: string, revision: number): number {
    const number = this.order.numberOf(stream, revision);
    if (number === undefined) throw new Error(`stream ${stream}: revision ${revision} is not in $all after ${this.order.head} events of this store`);
    return number;
  }
}
