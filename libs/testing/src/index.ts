export * from './wait';
export * from './cleanup';
export * from './workspace';
export * from './service-process';
export * from './sse';
export * from './decider';
export { eventStoreContract, makeEvents } from './event-store';
export * from './event-store/in-memory-esdb';
export * from './postgres-test-server';
