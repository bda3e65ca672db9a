export * from './event-store';
export * from './messaging';
export * from './snapshots';
