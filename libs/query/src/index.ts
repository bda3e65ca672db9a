export * from './read-model-service';
export * from './queries';
export * from './changes';
export * from './as-of';
export * from './metrics';
export * from './rebuild-tracker';
export * from './scope-pages';
export * from './luid-history';
