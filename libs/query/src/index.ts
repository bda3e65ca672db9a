export * from './read-model-service';
export * from './queries';
