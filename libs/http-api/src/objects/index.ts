export * from './object-deps';
export * from './caller';
export * from './object-routes';
export * from './provider-stream';
