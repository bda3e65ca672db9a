export * from './port';
export { CatchUpSubscription, type CatchUpSource } from './catch-up-subscription';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store';
export * from './store-config';
