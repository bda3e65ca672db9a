export * from './linux-types';
export * from './read-host-interfaces';
export * from './link-state';
