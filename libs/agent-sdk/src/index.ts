export * from './errors';
export * from './registry-client';
export * from './http-registry-client';
export * from './transport-registry-client';
export * from './state-file';
export * from './provider';
export * from './objects';
