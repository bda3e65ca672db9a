export * from './wait';
export * from './cleanup';
export * from './workspace';
export * from './service-process';
export * from './sse';
export * from './decider';
export * from './event-store';
export * from './postgres-test-server';
