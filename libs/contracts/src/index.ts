export * from './schemas';
export * from './decode';
