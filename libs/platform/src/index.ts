export * from './config';
export * from './logger';
export * from './metrics';
export * from './lifecycle';
export * from './ids';
export * from './supported-node';
export * from './node-flags';
