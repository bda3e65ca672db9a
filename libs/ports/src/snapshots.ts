/**
 * The snapshot port (DESIGN §2.5): a versioned blob saved with the position it reflects,
 * read back newest first. Snapshots are an optimisation: a reader that finds none, or one it
 * cannot read or of another version, folds from the store instead, so deleting them all
 * changes no answer.
 */
export interface SnapshotToSave {
  /** What it is a snapshot of, e.g. `read-model` or `registry/<scope>`. */
  readonly key: string;
  /** The format of `data`; a reader ignores other versions. */
  readonly version: number;
  /** The store position (or, for one stream, the revision) the state reflects. */
  readonly position: number;
  readonly data: Uint8Array;
}

export interface Snapshot extends SnapshotToSave {
  /** ISO time it was saved (informational). */
  readonly savedAt: string;
}

export interface SnapshotStore {
  /** Saves atomically (a reader sees all of it or nothing), then keeps only the newest few of its key. */
  save(snapshot: SnapshotToSave): Promise<void>;
  /** The newest snapshot of `key` (highest position), or undefined. */
  newest(key: string): Promise<Snapshot | undefined>;
  close(): Promise<void>;
}

/** How many snapshots of one key a store keeps: the newest and one before it, in case the newest is unreadable. */
export const DEFAULT_SNAPSHOTS_KEPT = 2;

/** Snapshots switched off: nothing saved, nothing found. */
export class NoSnapshots implements SnapshotStore {
  async save(): Promise<void> {
    return undefined;
  }

  async newest(): Promise<Snapshot | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    return undefined;
  }
}
