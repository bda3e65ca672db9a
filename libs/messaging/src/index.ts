export * from './port';
export * from './in-process-transport';
export * from './outcome-waiter';
export * from './kafka';
export * from './kafka-env';
export * from './objects';
