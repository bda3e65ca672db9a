import type { EventStore, RecordedEvent } from './event-store';

/** What a fold needs of a recorded event: a read-ahead page carries no more. */
export type FoldableEvent = Pick<RecordedEvent, 'position' | 'stream' | 'data'>;

/** The events with position in (from, to], in global order, in pages of at most pageSize. */
export interface ReadAheadRange {
  readonly from: number;
  readonly to: number;
  readonly pageSize: number;
}

/**
 * Pages of a range read ahead of the consumer: while it handles one page, the next ones are
 * being read. next() answers the next page, and an empty one once the range is read; a read
 * that failed, or a reader that died, fails next() (and the ones after it). close() stops
 * reading; it may be called at any time, more than once, and a next() after it fails.
 */
export interface PageReader {
  next(): Promise<readonly FoldableEvent[]>;
  close(): Promise<void>;
}

export class PageReaderClosedError extends Error {
  constructor() {
    super('the page reader was closed');
    this.name = 'PageReaderClosedError';
  }
}

/** The store's own reader (EventStore.readAhead) where it has one, else pagesByReadAll. */
export function readAhead(store: EventStore, range: ReadAheadRange): PageReader {
  return store.readAhead?.(range) ?? pagesByReadAll(store, range);
}

/**
 * Any store's reader: readAll, with the next page's read under way while the consumer handles
 * the page before (a query or a round trip overlaps the consumer's work; a store whose
 * readAll is synchronous gains nothing).
 */
export function pagesByReadAll(store: EventStore, range: ReadAheadRange): PageReader {
  return new ReadAllPages(store, range);
}

class ReadAllPages implements PageReader {
  private pending: Promise<readonly FoldableEvent[]>;
  private closed = false;

  constructor(private readonly store: EventStore, private readonly range: ReadAheadRange) {
    this.pending = this.read(range.from);
  }

  async next(): Promise<readonly FoldableEvent[]> {
    if (this.closed) throw new PageReaderClosedError();
    const page = await this.pending;
    if (this.closed) throw new PageReaderClosedError();
    const last = page.at(-1);
    if (last !== undefined) this.pending = this.read(last.position);
    return page;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pending.catch(() => undefined);
  }

  private read(after: number): Promise<readonly FoldableEvent[]> {
    const { to, pageSize } = this.range;
    const page = after >= to ? Promise.resolve([]) : this.store.readAll(after, pageSize).then((events) => inRange(events, to));
    // Handled by the next() that takes it; one still under way at close() fails unheard.
    page.catch(() => undefined);
    return page;
  }
}

const inRange = (events: readonly RecordedEvent[], to: number): readonly RecordedEvent[] => ((events.at(-1)?.position ?? 0) <= to ? events : events.filter((e) => e.position <= to));
