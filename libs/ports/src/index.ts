export * from './event-store';
export * from './messaging';
