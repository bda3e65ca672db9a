export * from './linux-types';
export * from './read-host-interfaces';
