export * from './errors';
export * from './registry-client';
export * from './http-registry-client';
export * from './kafka-registry-client';
export * from './state-file';
export * from './provider';
