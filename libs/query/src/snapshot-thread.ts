import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventStore, SnapshotStore } from '@ifreg/ports';
import { ChangeLog } from './changes';
import { foldStored, logChange } from './fold';
import { LuidHistory, type LuidHistoryLimits } from './luid-history';
import { READ_MODEL_SNAPSHOT_KEY, READ_MODEL_SNAPSHOT_VERSION, encodeReadModelSync } from './read-model-snapshot';
import { restoreReadModel, type RestoreLog } from './snapshot-writer';
import { emptyReadModel, type ReadModel } from '@ifreg/domain';

/** What the thread is started with: plain data. */
export interface SnapshotThreadData {
  /** What the entry module opens its stores from (the service's store and snapshot settings). */
  readonly config: unknown;
  readonly watchHistory: number;
  readonly luidHistory: LuidHistoryLimits;
  readonly batchSize: number;
  /** Run at the lowest CPU priority (Linux: this thread only), so requests win the cores. */
  readonly lowPriority: boolean;
}

export type SnapshotRequest =
  | { readonly kind: 'snapshot'; readonly id: number; readonly position: number; readonly events: number; readonly rebuiltAt: number | undefined }
  | { readonly kind: 'stop' };

export type SnapshotReply =
  | { readonly kind: 'written'; readonly id: number; readonly position: number; readonly bytes: number }
  | { readonly kind: 'failed'; readonly id: number; readonly error: { readonly name: string; readonly message: string } }
  | { readonly kind: 'log'; readonly level: 'info' | 'warn'; readonly fields: object; readonly message: string };

export interface SnapshotThreadStores {
  readonly store: EventStore;
  readonly snapshots: SnapshotStore;
}

/** The thread's copy of the model, as the live one holds it. */
interface Copy {
  readonly model: ReadModel;
  readonly history: LuidHistory;
  readonly changes: ChangeLog;
  events: number;
  /** The last rebuild whose reset of the change log this copy has made. */
  rebuiltAt: number;
}

/**
 * The snapshot thread (ThreadSnapshotWriter starts it; an entry module of the service calls this
 * with how to open its stores). It keeps its own copy of the read model: from the newest snapshot
 * (or empty), folded as the live model folds, up to the position each request names; then
 * encodes it in one go and saves it. None of that touches the service thread's heap.
 */
export function serveSnapshots(open: (config: unknown) => Promise<SnapshotThreadStores>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveSnapshots runs in a worker thread');
  const data = workerData as SnapshotThreadData;
  const post = (reply: SnapshotReply): void => port.postMessage(reply);
  const log: RestoreLog = {
    info: (fields, message) => post({ kind: 'log', level: 'info', fields, message }),
    warn: (fields, message) => post({ kind: 'log', level: 'warn', fields: plain(fields), message }),
  };
  if (data.lowPriority) lowerPriority(log);
  let stores: Promise<SnapshotThreadStores> | undefined;
  let copy: Copy | undefined;

  const write = async (request: Extract<SnapshotRequest, { kind: 'snapshot' }>): Promise<void> => {
    stores ??= open(data.config);
    const { store, snapshots } = await stores;
    copy ??= await restored(snapshots, await store.headPosition(), data, log);
    // A rebuild since the copy's start: its change log starts again where the rebuild swapped in.
    const rebuiltAt = request.rebuiltAt;
    if (rebuiltAt !== undefined && rebuiltAt > copy.rebuiltAt && rebuiltAt <= request.position && copy.model.position <= rebuiltAt) {
      await foldTo(copy, store, rebuiltAt, data.batchSize);
      copy.changes.reset(rebuiltAt);
      copy.rebuiltAt = rebuiltAt;
    }
    await foldTo(copy, store, request.position, data.batchSize);
    // The live model's count where both are: the same unless the copy began from another snapshot.
    if (copy.model.position === request.position) copy.events = request.events;
    const bytes = encodeReadModelSync({ model: copy.model, events: copy.events, luids: copy.history.state, changes: copy.changes.state });
    await snapshots.save({ key: READ_MODEL_SNAPSHOT_KEY, version: READ_MODEL_SNAPSHOT_VERSION, position: copy.model.position, data: bytes });
    post({ kind: 'written', id: request.id, position: copy.model.position, bytes: bytes.length });
  };

  const stop = async (): Promise<void> => {
    const opened = await stores?.catch(() => undefined);
    await opened?.snapshots.close();
    await opened?.store.close();
    port.close();
  };

  // One request at a time, in order.
  let queue = Promise.resolve();
  port.on('message', (request: SnapshotRequest) => {
    queue = queue.then(async () => {
      if (request.kind === 'stop') return stop();
      try {
        await write(request);
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        post({ kind: 'failed', id: request.id, error: { name, message } });
      }
    });
  });
}

async function restored(snapshots: SnapshotStore, head: number, data: SnapshotThreadData, log: RestoreLog): Promise<Copy> {
  const state = await restoreReadModel(snapshots, head, log);
  const changes = new ChangeLog(data.watchHistory);
  if (state === undefined) return { model: emptyReadModel(), history: new LuidHistory(data.luidHistory), changes, events: 0, rebuiltAt: 0 };
  changes.restore(state.changes);
  return { model: state.model, history: LuidHistory.restored(data.luidHistory, state.luids), changes, events: state.events, rebuiltAt: 0 };
}

/** Folds the store's events after the copy's position up to `position` (the live model's). */
async function foldTo(copy: Copy, store: EventStore, position: number, batchSize: number): Promise<void> {
  // The live model logs an unreadable event: the copy steps over it quietly.
  const quietly = (): void => undefined;
  while (copy.model.position < position) {
    const page = await store.readAll(copy.model.position, batchSize);
    if (page.length === 0) throw new Error(`the store ends at position ${copy.model.position}, before ${position}`);
    for (const recorded of page) {
      if (recorded.position > position) return;
      const event = foldStored(copy.model, copy.history, recorded, quietly);
      if (event !== undefined) logChange(copy.model, copy.changes, event, recorded.position);
      copy.events++;
    }
  }
}

/** Linux: a thread's own nice value (setPriority with its thread id changes that thread only). */
function lowerPriority(log: RestoreLog): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, 19);
  } catch (error) {
    log.warn({ err: error }, 'snapshot thread left at normal priority');
  }
}

/** An error's name and message (an Error object does not cross to the service's thread whole). */
function plain(fields: object): object {
  const { err, ...rest } = fields as { err?: unknown };
  return err instanceof Error ? { ...rest, err: { name: err.name, message: err.message } } : fields;
}
