export * from './schemas';
export * from './decode';
export * from './objects';
