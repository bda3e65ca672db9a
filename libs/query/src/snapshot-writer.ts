import type { SnapshotStore } from '@ifreg/ports';
import type { LuidHistoryLimits } from './luid-history';
import { READ_MODEL_SNAPSHOT_KEY, READ_MODEL_SNAPSHOT_VERSION, decodeReadModel, encodeReadModel, type ReadModelState } from './read-model-snapshot';

/** The live model as a snapshot writer sees it when asked for a snapshot. */
export interface LiveModel {
  readonly position: number;
  /** Events folded to reach `position`. */
  readonly events: number;
  /** Where the last rebuild of this process swapped its model in (the change log starts again there). */
  readonly rebuiltAt: number | undefined;
  /** The bounds the model's change log and LUID index keep to. */
  readonly limits: { readonly changes: number; readonly luids: LuidHistoryLimits };
  /** The whole state, for a writer that serialises the live model itself. */
  state(): ReadModelState;
  /** Runs `work` with folding paused, the model still (queries go on). */
  still<T>(work: () => Promise<T>): Promise<T>;
}

export interface WrittenSnapshot {
  readonly position: number;
  readonly bytes: number;
}

/**
 * Writes the read model's snapshots: in the service's thread from its own model, or in a
 * thread of its own from a copy (ThreadSnapshotWriter). One write at a time (ReadModelService
 * sees to it); a write that fails rejects, and the service goes on.
 */
export interface SnapshotWriter {
  write(live: LiveModel): Promise<WrittenSnapshot>;
  close(): Promise<void>;
}

/**
 * Serialises the live model in the service's own thread, in parts between which requests are
 * answered, folding paused meanwhile; where no other thread can read the store (an in-memory
 * one) or none was given (tests that inject a store object).
 */
export class InProcessSnapshotWriter implements SnapshotWriter {
  constructor(private readonly snapshots: SnapshotStore) {}

  async write(live: LiveModel): Promise<WrittenSnapshot> {
    const position = live.position;
    const data = await live.still(() => encodeReadModel(live.state(), () => new Promise((resolve) => setImmediate(resolve))));
    await this.snapshots.save({ key: READ_MODEL_SNAPSHOT_KEY, version: READ_MODEL_SNAPSHOT_VERSION, position, data });
    return { position, bytes: data.length };
  }

  async close(): Promise<void> {
    return undefined;
  }
}

/** What logs a restore: the service's logger, or the snapshot thread's messages to it. */
export interface RestoreLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** The newest snapshot's state, when there is one this version can use at or below `head`; else undefined (fold from the store's start). */
export async function restoreReadModel(snapshots: SnapshotStore, head: number, log: RestoreLog): Promise<ReadModelState | undefined> {
  const started = Date.now();
  try {
    const snapshot = await snapshots.newest(READ_MODEL_SNAPSHOT_KEY);
    if (snapshot === undefined) {
      log.info({}, 'no read model snapshot: folding the store from its start');
      return undefined;
    }
    if (snapshot.version !== READ_MODEL_SNAPSHOT_VERSION) {
      log.warn({ version: snapshot.version, expected: READ_MODEL_SNAPSHOT_VERSION }, 'read model snapshot of another version ignored: folding the store from its start');
      return undefined;
    }
    if (snapshot.position > head) {
      log.warn({ position: snapshot.position, head }, 'read model snapshot is ahead of the store (another store?) and is ignored: folding the store from its start');
      return undefined;
    }
    const state = await decodeReadModel(snapshot.data);
    if (state.model.position !== snapshot.position) throw new Error(`holds position ${state.model.position}, saved as ${snapshot.position}`);
    log.info({ position: snapshot.position, events: state.events, scopes: state.model.scopes.size, savedAt: snapshot.savedAt, ms: Date.now() - started }, 'read model restored from its snapshot');
    return state;
  } catch (error) {
    log.warn({ err: error }, 'read model snapshot unreadable and ignored: folding the store from its start');
    return undefined;
  }
}
