export { CatchUpSubscription, type CatchUpSource } from './catch-up-subscription';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite/sqlite-event-store';
export { ReadAheadError, SqliteReadAhead } from './sqlite/sqlite-read-ahead';
export * from './store-config';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres-event-store';
export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb/eventstoredb-event-store';
export { endOfAll, type EsdbClient } from './eventstoredb/client';

export { SqliteSnapshotStore } from './sqlite/sqlite-snapshot-store';
export { PostgresSnapshotStore } from './postgres/postgres-snapshot-store';
export { FileSnapshotStore } from './files/file-snapshot-store';
