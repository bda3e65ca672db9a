import { Worker, type ResourceLimits } from 'node:worker_threads';
import { PageReaderClosedError, type FoldableEvent, type PageReader, type ReadAheadRange } from '@ifreg/ports';

interface ThreadData extends ReadAheadRange {
  readonly sqlite: string;
  readonly path: string;
  /** Pages read and not yet taken by the consumer, at most. */
  readonly ahead: number;
  /** One Int32: the pages the consumer has taken. */
  readonly pagesTaken: SharedArrayBuffer;
}

/** One page in columns: plain strings and one transferred buffer clone cheaply, parsed objects do not. */
interface Page {
  readonly kind: 'page';
  readonly positions: Float64Array;
  readonly streams: readonly string[];
  readonly data: readonly string[];
}
type Reply = Page | { readonly kind: 'failed'; readonly error: { readonly name: string; readonly message: string } };

/**
 * The thread's code. It is started from this function's source (`eval`), so it runs the same
 * from dist and from TypeScript under jest; it may use nothing but its argument.
 */
function threadMain(load: NodeJS.Require): void {
  const threads = load('node:worker_threads') as typeof import('node:worker_threads');
  const port = threads.parentPort!;
  const { sqlite, path, from, to, pageSize, ahead, pagesTaken } = threads.workerData as ThreadData;
  const post = (reply: Reply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);
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
      if (rows.length > 0) after = positions[rows.length - 1]!; // before the buffer is transferred away
      post({ kind: 'page', positions, streams, data }, [positions.buffer]);
      // The end of the range: the thread ends once its last page is posted.
      if (rows.length === 0) break;
    }
    db.close();
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
 */
export class SqliteReadAhead implements PageReader {
  private readonly worker: Worker;
  private readonly arrived: Page[] = [];
  private waiting: { resolve: (page: Page | undefined) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private ended = false;
  private closed = false;

  private readonly taken = new Int32Array(new SharedArrayBuffer(4));

  constructor(path: string, range: ReadAheadRange, options: SqliteReadAheadOptions = {}) {
    const workerData: ThreadData = { ...range, sqlite: require.resolve('better-sqlite3'), path, ahead: Math.max(1, options.ahead ?? 4), pagesTaken: this.taken.buffer };
    this.worker = new Worker(`(${threadMain.toString()})(require)`, {
      eval: true,
      workerData,
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
    if (this.closed) throw new PageReaderClosedError();
    const page = this.arrived.shift() ?? (this.ended && !this.failure ? undefined : await this.arrival());
    if (page === undefined) return [];
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
    this.waiting?.reject(new PageReaderClosedError());
    this.waiting = undefined;
    await this.worker.terminate();
  }

  /** The next page, or undefined at the end of the range. */
  private arrival(): Promise<Page | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private receive(reply: Reply): void {
    if (reply.kind === 'failed') return this.fail(new ReadAheadError(`reading the SQLite store ahead failed: ${reply.error.message}`));
    const end = reply.positions.length === 0;
    if (end) this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting.resolve(end ? undefined : reply);
    else if (!end) this.arrived.push(reply);
  }

  private fail(error: Error): void {
    this.ended = true;
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(this.failure);
  }
}
