// A snapshot thread for the specs: SQLite stores, and faults to order (a ThreadSnapshotWriter's entry).
import { existsSync, writeFileSync } from 'node:fs';
import { SqliteEventStore, SqliteSnapshotStore } from '@ifreg/event-store';
import type { SnapshotStore } from '@ifreg/ports';
import { serveSnapshots } from '../snapshot-thread';

export interface TestThreadConfig {
  readonly events: string;
  readonly snapshots: string;
  /** open: the stores cannot be opened; read: the store fails reads; save: every save fails; first-save: the first save of the test fails (a marker file says it happened); hang: saves never end. */
  readonly fault?: 'open' | 'read' | 'save' | 'first-save' | 'hang';
  readonly marker?: string;
}

serveSnapshots(async (config) => {
  const { events, snapshots: path, fault, marker } = config as TestThreadConfig;
  if (fault === 'open') throw new Error('cannot open the store (a test fault)');
  const store = new SqliteEventStore({ path: events });
  if (fault === 'read') store.readAll = () => Promise.reject(new Error('cannot read the store (a test fault)'));
  const snapshots: SnapshotStore = new SqliteSnapshotStore({ path });
  const save = snapshots.save.bind(snapshots);
  snapshots.save = async (snapshot) => {
    if (fault === 'save') throw new Error('cannot save (a test fault)');
    if (fault === 'first-save' && marker !== undefined && !existsSync(marker)) {
      writeFileSync(marker, '');
      throw new Error('cannot save the first time (a test fault)');
    }
    if (fault === 'hang') return new Promise<void>(() => undefined);
    return save(snapshot);
  };
  return { store, snapshots };
});
