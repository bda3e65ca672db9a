export * from './in-process-transport';
export * from './outcome-waiter';
export * from './kafka';
export * from './objects';
