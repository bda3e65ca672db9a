export * from './linux-agent';
export * from './linux-objects';
