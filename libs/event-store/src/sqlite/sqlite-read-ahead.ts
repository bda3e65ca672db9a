import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { PageReaderClosedError, type FoldableEvent, type PageReader, type ReadAheadRange } from '@ifreg/ports';

interface ThreadData extends ReadAheadRange {
  readonly sqlite: string;
  readonly path: string;
  /** Pages read and not yet taken by the consumer, at most. */
  readonly ahead: number;
  /** One Int32: the pages the consumer has taken. */
  readonly pagesTaken: SharedArrayBuffer;
  /** Where the pages go; the consumer takes each from it when it wants it (receiveMessageOnPort). */
  readonly pages: MessagePort;
}

/** One page in columns: plain strings and one transferred buffer clone cheaply, parsed objects do not. */
interface Page {
  readonly positions: Float64Array;
  readonly streams: readonly string[];
  readonly data: readonly string[];
}
/** On the thread's own port: a page was posted to `pages`, the range is read, or reading failed. */
type Reply = { readonly kind: 'page' } | { readonly kind: 'end' } | { readonly kind: 'failed'; readonly error: { readonly name: string; readonly message: string } };

/**
 * The thread's code. It is started from this function's source (`eval`), so it runs the same
 * from dist and from TypeScript under jest; it may use nothing but its argument.
 */
function threadMain(load: NodeJS.Require): void {
  const threads = load('node:worker_threads') as typeof import('node:worker_threads');
  const port = threads.parentPort!;
  const { sqlite, path, from, to, pageSize, ahead, pagesTaken, pages } = threads.workerData as ThreadData;
  const post = (reply: Reply): void => port.postMessage(reply);
  try {
    const Database = load(sqlite) as typeof import('better-sqlite3');
    // Its own read-only connection: in WAL mode it reads beside the store's, which goes on writing.
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const select = db.prepare<[number, number, number], [number, string, string]>('SELECT position, stream, data FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?').raw();
    const taken = new Int32Array(pagesTaken);
    let after = from;
    for (let sent = 0; ; sent++) {
      // No more than `ahead` pages the consumer has not taken (a shared counter: no message per page).
      for (let seen = Atomics.load(taken, 0); sent - seen >= ahead; seen = Atomics.load(taken, 0)) Atomics.wait(taken, 0, seen, 100);
      const rows = select.all(after, to, pageSize);
      const positions = new Float64Array(rows.length);
      const streams = new Array<string>(rows.length);
      const data = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const [position, stream, text] = rows[i]!;
        positions[i] = position;
        streams[i] = stream;
        data[i] = text;
      }
      // The end of the range: the thread ends once it has said so.
      if (rows.length === 0) break;
      after = positions[rows.length - 1]!; // before the buffer is transferred away
      const page: Page = { positions, streams, data };
      pages.postMessage(page, [positions.buffer]);
      post({ kind: 'page' });
    }
    post({ kind: 'end' });
    db.close();
    pages.close();
    port.close();
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    post({ kind: 'failed', error: { name, message } });
    port.close();
  }
}

/** The read-ahead thread could not read, or stopped before the end of its range. */
export class ReadAheadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReadAheadError';
  }
}

export interface SqliteReadAheadOptions {
  /** Pages read ahead of the consumer (default 4). */
  readonly ahead?: number;
  readonly resourceLimits?: ResourceLimits;
}

/**
 * Reads a range of a SQLite store's global order in a worker thread with its own read-only
 * connection, `ahead` pages ahead of the consumer, handing over only what a fold needs
 * (position, stream, data as JSON text). The consumer's thread is left with parsing the data.
 * A page waits in its port, serialised outside the heap, until next() takes it: pages
 * delivered as they came sat in the young generation, copied by every scavenge until taken.
 */
export class SqliteReadAhead implements PageReader {
  private readonly worker: Worker;
  private readonly pages: MessagePort;
  /** Pages posted to `pages` and not taken yet. */
  private posted = 0;
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private closed = false;

  private readonly taken = new Int32Array(new SharedArrayBuffer(4));

  constructor(path: string, range: ReadAheadRange, options: SqliteReadAheadOptions = {}) {
    const { port1, port2 } = new MessageChannel();
    this.pages = port1;
    const workerData: ThreadData = { ...range, sqlite: require.resolve('better-sqlite3'), path, ahead: Math.max(1, options.ahead ?? 4), pagesTaken: this.taken.buffer, pages: port2 };
    this.worker = new Worker(`(${threadMain.toString()})(require)`, {
      eval: true,
      workerData,
      transferList: [port2],
      name: 'ifreg-sqlite-read-ahead',
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    this.worker.on('message', (reply: Reply) => this.receive(reply));
    this.worker.on('error', (error: Error) => this.fail(new ReadAheadError(`the SQLite read-ahead thread failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => {
      if (!this.ended && !this.closed) this.fail(new ReadAheadError(`the SQLite read-ahead thread exited (code ${code}) before the end of its range`));
    });
  }

  async next(): Promise<readonly FoldableEvent[]> {
    while (this.posted === 0) {
      if (this.closed) throw new PageReaderClosedError();
      if (this.failure) throw this.failure;
      if (this.ended) return [];
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    if (this.closed) throw new PageReaderClosedError();
    this.posted--;
    const page = receiveMessageOnPort(this.pages)?.message as Page | undefined;
    if (page === undefined) throw new ReadAheadError('the SQLite read-ahead thread announced a page that is not in its port');
    // Taken: the thread may read one more page ahead.
    Atomics.add(this.taken, 0, 1);
    Atomics.notify(this.taken, 0);
    const { positions, streams, data } = page;
    const events = new Array<FoldableEvent>(positions.length);
    let i = 0;
    try {
      for (; i < positions.length; i++) events[i] = { position: positions[i]!, stream: streams[i]!, data: JSON.parse(data[i]!) as unknown };
    } catch (error) {
      throw new ReadAheadError(`the event at position ${positions[i]} holds data that is not JSON`, { cause: error });
    }
    return events;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.pages.close();
    await this.worker.terminate();
  }

  private receive(reply: Reply): void {
    if (reply.kind === 'failed') return this.fail(new ReadAheadError(`reading the SQLite store ahead failed: ${reply.error.message}`));
    if (reply.kind === 'end') this.ended = true;
    else this.posted++;
    this.wake();
  }

  /** Pages posted before a failure are still handed out, then next() fails. */
  private fail(error: Error): void {
    this.ended = true;
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}
