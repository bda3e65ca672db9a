// The contract every event-store adapter passes, and what its specs build on.
export { eventStoreContract } from './contract-suite';
export { increasing, makeEvents } from './contract-fixture';
export * from './in-memory-esdb';
