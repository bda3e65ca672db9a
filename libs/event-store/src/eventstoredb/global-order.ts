import { START, type Position } from '@eventstore/db-client';
import { NO_STREAM } from '@ifreg/ports';

/** Orders two $all positions: commit position first, then prepare position. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** One of our events as $all showed it. `eventId` is the server's (UUID) id. */
export interface IndexedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly eventId: string;
  readonly position: Position;
}

interface StreamEntry {
  /** Our global number of each revision. */
  readonly numbers: number[];
  /** Server event id -> revision: the redelivery check of an append. */
  readonly ids: Map<string, number>;
  last: number;
}

/**
 * Our global order over EventStoreDB: the n-th event of our streams in $all order has
 * position n. $all positions are byte offsets in the server's log (with other streams'
 * and system events in between), so this index keeps, per number, the $all position and,
 * per stream, the number of every revision and every event id.
 *
 * Every reader of $all sees the same sequence, so every process numbers alike; a number
 * is only accepted in sequence after a known one, which keeps concurrent readers
 * consistent without a lock. It lives in memory: ~16 bytes per event for the positions
 * plus the per-stream maps (~100 bytes per event), rebuilt by one read of $all from
 * `origin` when a process starts.
 */
export class GlobalOrder {
  private commits: BigUint64Array = new BigUint64Array(1024);
  private prepares: BigUint64Array = new BigUint64Array(1024);
  private size = 0;
  private readonly streams = new Map<string, StreamEntry>();

  private readonly origin: Position | typeof START;

  /** `origin`: a $all position up to which none of our events exists (default: the start of $all). */
  constructor(origin: Position | typeof START = START) {
    this.origin = origin;
  }

  get head(): number {
    return this.size;
  }

  /** Where $all reading resumes after our event `n` (0: the origin). */
  positionOf(n: number): Position | typeof START {
    if (!Number.isInteger(n) || n < 0 || n > this.size) throw new RangeError(`position ${n} is not indexed (head ${this.size})`);
    if (n === 0) return this.origin;
    return { commit: this.commits[n - 1] ?? 0n, prepare: this.prepares[n - 1] ?? 0n };
  }

  /** Records that event `n` of our order is `event`; numbers already known must agree. */
  accept(n: number, event: IndexedEvent): void {
    if (n <= this.size) {
      const known = this.positionOf(n);
      if (known === START || comparePositions(known, event.position) !== 0) {
        throw new Error(`global order changed: event ${n} was at ${show(known)}, now ${show(event.position)} (events deleted or scavenged?)`);
      }
      return;
    }
    if (n !== this.size + 1) throw new Error(`global order gap: event ${n} after ${this.size}`);
    const previous = this.positionOf(this.size);
    if (previous !== START && comparePositions(event.position, previous) <= 0) {
      throw new Error(`global order not increasing: ${show(event.position)} after ${show(previous)}`);
    }
    this.push(event.position);
    const entry = this.streams.get(event.stream) ?? { numbers: [], ids: new Map<string, number>(), last: NO_STREAM };
    entry.numbers[event.revision] = n;
    entry.ids.set(event.eventId, event.revision);
    entry.last = Math.max(entry.last, event.revision);
    this.streams.set(event.stream, entry);
  }

  numberOf(stream: string, revision: number): number | undefined {
    return this.streams.get(stream)?.numbers[revision];
  }

  /** The last revision of the stream seen so far (NO_STREAM when none). */
  streamRevision(stream: string): number {
    return this.streams.get(stream)?.last ?? NO_STREAM;
  }

  /** The revision at which the stream holds this server event id, if it does. */
  revisionOf(stream: string, eventId: string): number | undefined {
    return this.streams.get(stream)?.ids.get(eventId);
  }

  private push(position: Position): void {
    if (this.size === this.commits.length) {
      const grow = (old: BigUint64Array): BigUint64Array => {
        const next = new BigUint64Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.commits = grow(this.commits);
      this.prepares = grow(this.prepares);
    }
    this.commits[this.size] = position.commit;
    this.prepares[this.size] = position.prepare;
    this.size += 1;
  }
}

const show = (p: Position | typeof START): string => (p === START ? 'the start' : `${p.commit}/${p.prepare}`);
