import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { OpenSubscriptions } from '../catch-up-subscription';
import { AppendQueue, type GroupAnswer, type GroupAppend } from '../group-commit';
import {
  ANY, ConcurrencyError, DuplicateEventsError, NO_STREAM,
  type AllHandler, type AppendResult, type EventData, type EventStore, type ExpectedRevision,
  PageReaderClosedError, type PageReader, type ReadAheadRange, type RecordedEvent, type SubscribeOptions, type Subscription,
} from '@ifreg/ports';
import { SqliteReadAhead } from './sqlite-read-ahead';
import { SCHEMA, toRecordedEvent, type EventRow } from './sqlite-schema';

export interface SqliteEventStoreOptions {
  /** Database file, or ':memory:'. Its directory is created when missing. */
  readonly path: string;
  /**
   * FULL (default) fsyncs the WAL on every commit. NORMAL is faster but a power cut can
   * lose the last commits, whose Kafka offsets may already be committed (DESIGN §2.5).
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How often a caught-up subscriber looks for events appended by other processes. */
  readonly pollIntervalMs?: number;
  /** Default true: a caught-up subscriber is also woken by writes to the WAL (another process's appends). */
  readonly watchWal?: boolean;
  /** How long a writer waits for another process's write lock before failing. */
  readonly busyTimeoutMs?: number;
  /**
   * How readAhead reads: 'thread' (default) in a worker thread beside the consumer, 'inline' on
   * the consumer's thread, only the columns a fold needs (less CPU in all, more on that thread).
   */
  readonly readAhead?: 'thread' | 'inline';
}

/**
 * After the WAL was written by another process, a subscriber that found nothing new looks again
 * after 2, 4, 8, 16, 16 … ms, for up to 250 ms: the writer updates the WAL's index, which makes
 * the commit visible, only after its fsync, so the write is seen before the commit is.
 */
const WAL_RECHECK_MS = 2;
const WAL_RECHECK_MAX_MS = 16;
const WAL_RECHECK_FOR_MS = 250;

interface StreamHead { readonly revision: number; readonly position: number }

// By shape, not instanceof: the native addon keeps the SqliteError class of the first copy of
// better-sqlite3 loaded in the process (jest loads one per test file, each in its own realm).
const isDuplicateId = (error: unknown): boolean => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string' && message.includes('events.id');
};

/**
 * The embedded event store. SQLite lets one writer in at a time (the append takes the
 * write lock up front with BEGIN IMMEDIATE) and a position is handed out inside that
 * lock, so positions are gap-free and in commit order: a reader never sees N+1 before N.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly pollIntervalMs: number;
  private readonly walPath: string | undefined;
  private walWatcher: FSWatcher | undefined;
  private walWrittenAt = -Infinity;
  private appendedHere = false;
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private readonly subscriptions = new OpenSubscriptions();
  private readonly streamHead;
  private readonly findById;
  private readonly selectById;
  private readonly insert;
  private readonly selectStream;
  private readonly selectAll;
  private readonly selectFoldable;
  private readonly readAheadMode: 'thread' | 'inline';
  private readonly selectHead;
  private readonly groupTransaction;
  private readonly appendOne;
  private readonly insertNew;
  private readonly appends = new AppendQueue((group) => this.commitGroup(group));

  constructor(options: SqliteEventStoreOptions) {
    this.path = options.path;
    this.walPath = options.path !== ':memory:' && options.watchWal !== false ? options.path : undefined;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    // A query service on the registrar's file is woken by writes to the WAL (watchWal); the
    // poll is the fallback where file watching does not work.
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec(SCHEMA);
    this.streamHead = this.db.prepare<[string], StreamHead>(
      'SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
    this.findById = this.db.prepare<[string], { stream: string; position: number }>(
      'SELECT stream, position FROM events WHERE id = ?');
    this.selectById = this.db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?');
    this.insert = this.db.prepare<[string, number, string, string, string, string, string]>(
      'INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectStream = this.db.prepare<[string, number], EventRow>(
      'SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision');
    this.selectAll = this.db.prepare<[number, number], EventRow>(
      'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
    this.selectFoldable = this.db.prepare<[number, number, number], [number, string, string]>(
      'SELECT position, stream, data FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?').raw();
    this.readAheadMode = options.readAhead ?? 'thread';
    this.selectHead = this.db.prepare<[], { head: number }>('SELECT coalesce(max(position), 0) AS head FROM events');
    // Nested transactions are savepoints: one append that fails leaves the others of its group.
    this.appendOne = this.db.transaction((a: GroupAppend) => this.appendLocked(a.stream, a.events, a.expected));
    this.insertNew = this.db.transaction((stream: string, events: readonly EventData[], head: StreamHead | undefined) => this.insertEvents(stream, events, head));
    this.groupTransaction = this.db.transaction((group: readonly GroupAppend[]) =>
      group.map((a): GroupAnswer => {
        try {
          return { ok: true, result: this.appendOne(a) };
        } catch (error) {
          // Some errors (I/O, full disk, busy) make SQLite roll the whole transaction back:
          // then the group fails as one, or the appends after this one would commit alone.
          if (!this.db.inTransaction) throw error;
          return { ok: false, error };
        }
      }));
  }

  /**
   * Group commit (AppendQueue): the appends of one turn of the event loop share one
   * transaction and so one fsync, each in a savepoint of its own.
   */
  append(stream: string, events: readonly EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    return this.appends.add(stream, events, expectedRevision);
  }

  async readStream(stream: string, fromRevision = 0): Promise<RecordedEvent[]> {
    return this.selectStream.all(stream, fromRevision).map(toRecordedEvent);
  }

  async readByIds(stream: string, ids: readonly string[]): Promise<RecordedEvent[]> {
    const rows: EventRow[] = [];
    for (const id of new Set(ids)) {
      const row = this.selectById.get(id);
      if (row?.stream === stream) rows.push(row);
    }
    return rows.sort((a, b) => a.revision - b.revision).map(toRecordedEvent);
  }

  isTransient(error: unknown): boolean {
    if (error instanceof ConcurrencyError) return true;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
  }

  async readAll(from: number, limit: number): Promise<RecordedEvent[]> {
    return this.selectAll.all(from, limit).map(toRecordedEvent);
  }

  /**
   * In a worker thread with a connection of its own, so the next pages are read while the
   * consumer folds this one; or, inline (an in-memory database is this connection's alone),
   * a page at a time of only the columns a fold needs.
   */
  readAhead(range: ReadAheadRange): PageReader {
    if (this.path !== ':memory:' && this.readAheadMode === 'thread') return new SqliteReadAhead(this.path, range);
    let after = range.from;
    let closed = false;
    return {
      next: async () => {
        if (closed) throw new PageReaderClosedError();
        const rows = this.selectFoldable.all(after, range.to, range.pageSize);
        after = rows.at(-1)?.[0] ?? after;
        return rows.map(([position, stream, data]) => ({ position, stream, data: JSON.parse(data) as unknown }));
      },
      close: async () => void (closed = true),
    };
  }

  async headPosition(): Promise<number> {
    return this.selectHead.get()?.head ?? 0;
  }

  subscribeAll(handler: AllHandler, options: SubscribeOptions): Subscription {
    if (this.walPath !== undefined) this.watchWal(this.walPath);
    // WAL writes up to this time are accounted for: their events were read, or re-checking
    // gave up on them (a write that is no commit of events: a snapshot, a checkpoint).
    let settledAt = -Infinity;
    let rechecks = 0;
    let recheckingFor = -Infinity;
    const source = {
      readAll: (from: number, limit: number) => {
        const rows = this.selectAll.all(from, limit);
        if (rows.length > 0) settledAt = performance.now();
        return rows.map(toRecordedEvent);
      },
      waitForMore: (stop: AbortSignal) => {
        if (this.walWrittenAt !== recheckingFor) {
          recheckingFor = this.walWrittenAt; // a newer write: its re-checks start again at 2 ms
          rechecks = 0;
        }
        const delay = Math.min(WAL_RECHECK_MS * 2 ** rechecks, WAL_RECHECK_MAX_MS, this.pollIntervalMs);
        const recheck = this.walWrittenAt > settledAt && performance.now() - this.walWrittenAt < WAL_RECHECK_FOR_MS;
        if (!recheck && rechecks > 0) settledAt = this.walWrittenAt;
        rechecks = recheck ? rechecks + 1 : 0;
        return this.waitForMore(stop, recheck ? delay : this.pollIntervalMs);
      },
    };
    return this.subscriptions.start(source, handler, options);
  }

  async close(): Promise<void> {
    this.walWatcher?.close();
    await this.subscriptions.closeAll();
    if (!this.db.open) return;
    await this.appends.flush(); // appends already made must not be lost to the close
    this.db.close();
  }

  /** The settings SQLite actually applied, for the start-up log (synchronous: 1 NORMAL, 2 FULL). */
  pragmas(): { journalMode: string; synchronous: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
    };
  }

  /** One transaction; a throw (BEGIN or COMMIT failed: busy, I/O) means nothing of the group is recorded. */
  private commitGroup(group: readonly GroupAppend[]): GroupAnswer[] {
    const answers = this.groupTransaction.immediate(group);
    if (!this.appendedHere) {
      // A store that appends (the all-in-one) would be woken by its own writes, each after its
      // subscribers had read them: it finds other writers' commits by the poll.
      this.appendedHere = true;
      this.walWatcher?.close();
      this.walWatcher = undefined;
    }
    this.appended.emit('append');
    return answers;
  }

  private appendLocked(stream: string, events: readonly EventData[], expected: ExpectedRevision): AppendResult {
    if (new Set(events.map((e) => e.id)).size !== events.length) throw new Error(`stream ${stream}: the batch repeats an event id`);
    const head = this.streamHead.get(stream);
    const current = head?.revision ?? NO_STREAM;
    const stale = expected !== ANY && expected !== current;
    if (!stale) {
      // The usual case, new events: the id's UNIQUE index tells a redelivery apart, no lookups.
      try {
        return this.insertNew(stream, events, head);
      } catch (error) {
        if (!isDuplicateId(error)) throw error;
      }
    }
    const redelivered = this.recordedPosition(stream, events, stale ? expected : undefined, current);
    if (redelivered !== undefined) return { nextExpectedRevision: current, position: redelivered };
    if (stale) throw new ConcurrencyError(stream, expected, current);
    return this.insertNew(stream, events, head);
  }

  private insertEvents(stream: string, events: readonly EventData[], head: StreamHead | undefined): AppendResult {
    const current = head?.revision ?? NO_STREAM;
    const recordedAt = new Date().toISOString();
    let revision = current;
    let position = head?.position ?? 0;
    for (const event of events) {
      revision += 1;
      const data = event.dataJson ?? JSON.stringify(event.data) ?? 'null';
      const metadata = JSON.stringify(event.metadata ?? {});
      position = Number(this.insert.run(stream, revision, event.id, event.type, data, metadata, recordedAt).lastInsertRowid);
    }
    return { nextExpectedRevision: revision, position };
  }

  /**
   * Idempotency: when every id of the batch is already in this stream (a redelivered
   * message) answers the position of the last of them; when none is, undefined.
   * A partial overlap is a conflict too (DuplicateEventsError): the caller's state is behind
   * what is recorded, and re-reading the stream resolves it.
   */
  private recordedPosition(stream: string, events: readonly EventData[], staleExpected: ExpectedRevision | undefined, current: number): number | undefined {
    let found = 0;
    let position = 0;
    for (const event of events) {
      const row = this.findById.get(event.id);
      if (row === undefined) continue;
      if (row.stream !== stream) throw new Error(`event id ${event.id} is already recorded in stream ${row.stream}, not ${stream}`);
      found += 1;
      position = Math.max(position, row.position);
    }
    if (found === 0) return undefined;
    if (found === events.length) return position;
    if (staleExpected !== undefined) throw new ConcurrencyError(stream, staleExpected, current);
    throw new DuplicateEventsError(stream, found, events.length, current);
  }

  /**
   * Wakes the subscribers when the WAL is written (another process appending): a commit reaches
   * the read model at once instead of at the next poll, and an idle store costs no more
   * than the poll. Where the directory cannot be watched, the poll alone finds the commits.
   */
  private watchWal(path: string): void {
    if (this.walWatcher || this.appendedHere) return;
    const wal = `${basename(path)}-wal`;
    try {
      let wakeScheduled = false;
      this.walWatcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file !== wal || this.appendedHere) return;
        this.walWrittenAt = performance.now();
        if (wakeScheduled) return;
        // One commit writes several pages: one wake for all of them.
        wakeScheduled = true;
        setTimeout(() => {
          wakeScheduled = false;
          this.appended.emit('append');
        }, WAL_RECHECK_MS).unref();
      });
      this.walWatcher.on('error', () => this.walWatcher?.close());
    } catch {
      this.walWatcher = undefined;
    }
  }

  private waitForMore(stop: AbortSignal, pollMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (stop.aborted) return resolve();
      const wake = (): void => {
        clearTimeout(timer);
        this.appended.off('append', wake);
        stop.removeEventListener('abort', wake);
        resolve();
      };
      // The timer catches appends by other processes sharing the file.
      const timer = setTimeout(wake, pollMs);
      this.appended.on('append', wake);
      stop.addEventListener('abort', wake);
    });
  }
}
