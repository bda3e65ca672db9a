export * from './port';
export * from './in-process-transport';
export * from './outcome-waiter';
