export * from './object-broker';
