import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startThread, type Logger } from '@ifreg/platform';
import type { SnapshotReply, SnapshotRequest, SnapshotThreadData } from './snapshot-thread';
import type { LiveModel, SnapshotWriter, WrittenSnapshot } from './snapshot-writer';

/** The snapshot thread failed, or stopped, before it wrote the snapshot asked for. */
export class SnapshotThreadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SnapshotThreadError';
  }
}

export interface ThreadSnapshotWriterOptions {
  /** The thread's module: it calls serveSnapshots with how to open the service's stores from `config`. */
  readonly entry: string;
  /** Plain data the entry opens the stores from (it crosses to the thread by copy). */
  readonly config: unknown;
  readonly log: Logger;
  /** Events per store read while the thread folds (default 1,000). */
  readonly batchSize?: number;
  /** The thread at the lowest CPU priority (default true). */
  readonly lowPriority?: boolean;
  /** How long close() lets a snapshot under way finish before it ends the thread (default 10 s). */
  readonly closeGraceMs?: number;
  /**
   * How long the thread is kept after a snapshot for the next one (default 60 s): its copy of the
   * model is memory the service holds twice meanwhile; a new thread starts from the newest
   * snapshot and folds only the events after it.
   */
  readonly idleMs?: number;
}

/**
 * Writes the read model's snapshots in a worker thread with its own copy of the model, its own
 * store connection and snapshot store (serveSnapshots): the service's thread only sends the
 * position and event count it has reached, so serialising and compressing tens of MB cost its
 * heap (and its garbage collections) nothing. The thread starts with the first snapshot asked
 * for and ends when none was asked for in idleMs; one that fails is ended and a new one starts
 * with the next.
 */
export class ThreadSnapshotWriter implements SnapshotWriter {
  private thread: Worker | undefined;
  private pending: { readonly id: number; resolve(written: WrittenSnapshot): void; reject(error: Error): void } | undefined;
  private underWay: Promise<unknown> | undefined;
  private ids = 0;
  private closed = false;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly options: ThreadSnapshotWriterOptions) {}

  write(live: LiveModel): Promise<WrittenSnapshot> {
    if (this.closed) return Promise.reject(new SnapshotThreadError('the snapshot writer is closed'));
    if (this.pending) return Promise.reject(new SnapshotThreadError('a snapshot is under way already'));
    clearTimeout(this.idle);
    const thread = this.thread ?? this.start(live);
    const id = ++this.ids;
    const written = new Promise<WrittenSnapshot>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      const request: SnapshotRequest = { kind: 'snapshot', id, position: live.position, events: live.events, rebuiltAt: live.rebuiltAt };
      thread.postMessage(request);
    });
    this.underWay = written.catch(() => undefined);
    return written;
  }

  /** Lets a snapshot under way finish (up to closeGraceMs), then stops the thread (it closes its stores). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idle);
    const thread = this.thread;
    if (thread === undefined) return;
    const grace = this.options.closeGraceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, grace)));
    const exited = once(thread, 'exit').catch(() => undefined);
    if (this.pending) await Promise.race([late, this.underWay]);
    thread.postMessage({ kind: 'stop' } satisfies SnapshotRequest);
    await Promise.race([exited, late]);
    clearTimeout(timer);
    this.end(thread, new SnapshotThreadError('the snapshot writer was closed before the snapshot was written'));
  }

  private start(live: LiveModel): Worker {
    const workerData: SnapshotThreadData = {
      config: this.options.config,
      watchHistory: live.limits.changes,
      luidHistory: live.limits.luids,
      batchSize: this.options.batchSize ?? 1000,
      lowPriority: this.options.lowPriority ?? true,
    };
    const thread = startThread(this.options.entry, { workerData, name: 'ifreg-snapshot-writer' });
    const log = this.options.log;
    thread.on('message', (reply: SnapshotReply) => {
      if (reply.kind === 'log') return log[reply.level](reply.fields, reply.message);
      const pending = this.pending;
      if (pending?.id !== reply.id) return;
      this.pending = undefined;
      if (reply.kind === 'written') {
        this.idle = setTimeout(() => this.retire(thread), this.options.idleMs ?? 60_000);
        return pending.resolve({ position: reply.position, bytes: reply.bytes });
      }
      pending.reject(new SnapshotThreadError(`the snapshot thread failed: ${reply.error.name}: ${reply.error.message}`));
      // Its copy of the model may be part-folded: the next snapshot starts a new thread.
      this.end(thread);
    });
    thread.on('error', (error: Error) => {
      log.error({ err: error }, 'the snapshot thread failed; a new one starts with the next snapshot');
      this.end(thread, new SnapshotThreadError(`the snapshot thread failed: ${error.message}`, { cause: error }));
    });
    thread.on('exit', (code) => this.end(thread, new SnapshotThreadError(`the snapshot thread exited (code ${code}) before the snapshot was written`)));
    this.thread = thread;
    return thread;
  }

  /** Whether a thread (and its copy of the model) is there. */
  get running(): boolean {
    return this.thread !== undefined;
  }

  /** Ends an idle thread: it closes its stores and exits; the next snapshot starts a new one. */
  private retire(thread: Worker): void {
    if (this.thread !== thread || this.pending) return;
    this.thread = undefined;
    thread.postMessage({ kind: 'stop' } satisfies SnapshotRequest);
    // One that does not exit of itself is ended.
    setTimeout(() => void thread.terminate(), this.options.closeGraceMs ?? 10_000).unref();
  }

  /** Forgets the thread (ending it if it still runs) and fails the snapshot under way, if any. */
  private end(thread: Worker, error?: Error): void {
    if (this.thread !== thread) return;
    this.thread = undefined;
    void thread.terminate();
    const pending = this.pending;
    this.pending = undefined;
    if (pending && error) pending.reject(error);
  }
}
