import {
  BACKWARDS, END, START, StreamNotFoundError, UnavailableError, WrongExpectedVersionError,
  type AllStreamRecordedEvent, type AppendExpectedRevision, type AppendResult, type Filter, type JSONEventData, type Position,
  type ReadPosition, type ReadRevision,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EsdbClient } from '@ifreg/event-store';

/**
 * Test support, not a server: an in-memory stand-in for the calls EventStoreDbEventStore
 * makes on @eventstore/db-client, so its own logic (numbering, redelivery check, retries,
 * resubscription) is tested where no EventStoreDB can run. What it models, as EventStoreDB
 * documents it: $all positions are log byte offsets (commit, prepare) with gaps; the events of
 * one append each have their prepare position and share the commit position, that of the
 * commit record written after them; reads of $all include the event at their start position;
 * system events ($stats-...) and other streams interleave with ours; a wrong expected
 * revision throws the client's WrongExpectedVersionError; reading a missing stream throws
 * StreamNotFoundError while iterating; dedup by event id is NOT done (as after a server
 * restart lost the cache). It proves nothing about a real server: the *.int.spec.ts does.
 */
export class InMemoryEsdb {
  private readonly log: AllStreamRecordedEvent[] = [];
  /** The log's events by stream, as the server's index has them. */
  private readonly streams = new Map<string, AllStreamRecordedEvent[]>();
  private readonly live = new Set<StandInSubscription>();
  private offset = 1_000n;
  /** Subscriptions to $all opened so far. */
  subscriptions = 0;
  /** The next this many reads of $all fail with UnavailableError, as while the server restarts. */
  failingReads = 0;
  /** Adds a system event after every append, as the server's own statistics do. */
  noise = true;
  /** The streams read so far, in order (a stream read once per call). */
  readonly streamReads: string[] = [];

  client(): EsdbClient {
    const stub = {
      appendToStream: (stream: string, events: JSONEventData | JSONEventData[], options?: { expectedRevision?: AppendExpectedRevision }) =>
        this.append(stream, Array.isArray(events) ? events : [events], options?.expectedRevision ?? 'any'),
      readStream: (stream: string, options?: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint }) => {
        this.streamReads.push(stream);
        return this.readStream(stream, options ?? {});
      },
      readAll: (options?: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint }) => this.readAll(options ?? {}),
      subscribeToAll: (options?: { fromPosition?: ReadPosition; filter?: Filter }) => this.subscribe(options ?? {}),
      dispose: async () => undefined,
    };
    return stub as unknown as EsdbClient;
  }

  /** An event of a stream that is not the store's (another application, or a system stream). */
  async write(stream: string, type = 'Foreign'): Promise<void> {
    this.record(stream, [{ id: randomUUID(), contentType: 'application/json', type, data: {}, metadata: undefined }], 0n);
    await Promise.resolve();
  }

  /** Every live subscription fails, as when the server drops them. */
  dropLiveSubscriptions(): void {
    for (const subscription of [...this.live]) {
      this.live.delete(subscription);
      subscription.emit('error', new UnavailableError(undefined, 'stand-in dropped the subscription'));
    }
  }

  private async append(stream: string, events: JSONEventData[], expected: AppendExpectedRevision): Promise<AppendResult> {
    await new Promise((resolve) => setImmediate(resolve)); // let racing appenders interleave
    const last = this.lastRevision(stream);
    const current = last === undefined ? 'no_stream' : last;
    const ok = expected === 'any' || (expected === 'no_stream' ? last === undefined : expected === 'stream_exists' ? last !== undefined : expected === last);
    if (!ok) throw new WrongExpectedVersionError(undefined, { streamName: stream, expected, current });
    const position = this.record(stream, events, last === undefined ? 0n : last + 1n);
    if (this.noise) this.record('$stats-127.0.0.1:2113', [{ id: randomUUID(), contentType: 'application/json', type: '$statsCollected', data: {}, metadata: undefined }], 0n);
    return { success: true, nextExpectedRevision: (last ?? -1n) + BigInt(events.length), position };
  }

  private record(stream: string, events: JSONEventData[], firstRevision: bigint): Position {
    // The prepare records first, then the commit record: its offset is every event's commit position.
    const sizes = events.map((event) => BigInt(80 + JSON.stringify(event.data).length + (event.metadata === undefined ? 0 : JSON.stringify(event.metadata).length)));
    const commit = sizes.reduce((sum, size) => sum + size, this.offset);
    let position: Position = { commit, prepare: commit };
    events.forEach((event, i) => {
      const data = JSON.stringify(event.data);
      const metadata = event.metadata === undefined ? undefined : JSON.stringify(event.metadata);
      position = { commit, prepare: this.offset };
      this.offset += sizes[i] ?? 0n;
      const recorded = {
        streamId: stream, id: event.id, revision: firstRevision + BigInt(i), type: event.type, isJson: true as const,
        data: JSON.parse(data) as unknown, metadata: metadata === undefined ? undefined : (JSON.parse(metadata) as unknown),
        created: new Date(), position,
      };
      this.log.push(recorded as AllStreamRecordedEvent);
      const own = this.streams.get(stream) ?? [];
      own.push(recorded as AllStreamRecordedEvent);
      this.streams.set(stream, own);
      for (const subscription of this.live) if (subscription.matches(stream)) subscription.emit('data', { event: recorded });
    });
    this.offset = commit + 40n; // the commit record
    return position;
  }

  private lastRevision(stream: string): bigint | undefined {
    return this.streams.get(stream)?.at(-1)?.revision;
  }

  private async *readStream(stream: string, options: { fromRevision?: ReadRevision; direction?: string; maxCount?: number | bigint }) {
    const backwards = options.direction === BACKWARDS;
    if (backwards !== (options.fromRevision === END)) throw new Error('stand-in: forward stream reads, or backward ones from END');
    await Promise.resolve();
    const events = this.streams.get(stream) ?? [];
    if (events.length === 0) throw new StreamNotFoundError(undefined, stream);
    if (backwards) {
      for (const event of events.slice(-Number(options.maxCount ?? events.length)).reverse()) yield { event };
      return;
    }
    const from = options.fromRevision === undefined || options.fromRevision === START ? 0 : Number(options.fromRevision);
    // Revisions are the stream's indexes from 0.
    for (const event of events.slice(from, from + Number(options.maxCount ?? events.length))) yield { event };
  }

  private async *readAll(options: { fromPosition?: ReadPosition; direction?: string; maxCount?: number | bigint }) {
    await Promise.resolve();
    if (this.failingReads > 0) {
      this.failingReads -= 1;
      throw new UnavailableError(undefined, 'stand-in is restarting');
    }
    const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    const from = options.fromPosition ?? START;
    let selected: AllStreamRecordedEvent[];
    if (options.direction === BACKWARDS) {
      if (from !== END) throw new Error('stand-in: backward reads of $all from END only');
      selected = this.log.slice(-max).reverse();
    } else {
      const at = from === START ? 0 : from === END ? this.log.length : this.firstNotBefore(from);
      selected = this.log.slice(at, at + max);
    }
    for (const event of selected) yield { event };
  }

  /** Index of the first event of the log at or after `position` ($all is in position order). */
  private firstNotBefore(position: Position): number {
    let low = 0;
    let high = this.log.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const event = this.log[mid];
      if (event !== undefined && before(event.position, position)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private subscribe(options: { fromPosition?: ReadPosition; filter?: Filter }): StandInSubscription {
    if (options.fromPosition !== END) throw new Error('stand-in: live subscriptions from END only');
    this.subscriptions += 1;
    const subscription = new StandInSubscription(options.filter, () => this.live.delete(subscription));
    this.live.add(subscription);
    setImmediate(() => subscription.emit('confirmation'));
    return subscription;
  }
}

const before = (a: Position, b: Position): boolean => a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare);

class StandInSubscription extends EventEmitter {
  constructor(private readonly filter: Filter | undefined, private readonly onUnsubscribe: () => void) {
    super();
  }

  matches(stream: string): boolean {
    const filter = this.filter;
    if (filter === undefined) return true;
    if (filter.filterOn !== 'streamName') throw new Error('stand-in: stream name filters only');
    return 'regex' in filter ? new RegExp(filter.regex).test(stream) : filter.prefixes.some((p) => stream.startsWith(p));
  }

  async unsubscribe(): Promise<void> {
    this.onUnsubscribe();
  }
}
