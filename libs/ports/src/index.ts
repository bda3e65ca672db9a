export * from './event-store';
export * from './messaging';
export * from './read-ahead';
export * from './snapshots';
