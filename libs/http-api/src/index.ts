export * from './app';
export * from './deps';
export type { HealthDeps } from './routes/health-routes';
export { defaultHttpLimits, httpSecurityEnvSchema, httpSecuritySettings, writeAuthorizer, type HttpLimits, type HttpSecuritySettings, type WriteRefusal } from './security';
export { LISTEN_BACKLOG, httpServerEnvSchema, httpServerSettings, type HttpServerSettings } from './server-settings';
export { defaultWatchSettings, watchEnvSchema, watchSettings, type WatchSettings } from './watch/watch-settings';
export { callerOf, registerObjectRoutes, registerProviderStream, type ObjectApiDeps, type RecordedSet } from './objects';
