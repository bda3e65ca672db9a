// The read model's snapshot thread (ThreadSnapshotWriter starts it): the service's stores, opened again in it.
import { openEventStore, openSnapshotStore, type SnapshotSettings, type StoreSettings } from '@ifreg/event-store';
import { serveSnapshots } from '@ifreg/query';

serveSnapshots(async (config) => {
  const { store, snapshots } = config as { readonly store: StoreSettings; readonly snapshots: SnapshotSettings };
  return { store: await openEventStore(store), snapshots: openSnapshotStore(store, snapshots) };
});
