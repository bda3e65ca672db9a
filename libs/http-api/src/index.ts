export * from './app';
export * from './deps';
export type { HealthDeps } from './routes/health-routes';
