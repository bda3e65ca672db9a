export * from './app';
export * from './deps';
export type { HealthDeps } from './routes/health-routes';
export { defaultHttpLimits, httpSecurityEnvSchema, httpSecuritySettings, writeAuthorizer, type HttpLimits, type HttpSecuritySettings, type WriteRefusal } from './security';
export { httpServerEnvSchema, httpServerSettings, type HttpServerSettings } from './server-settings';
export { callerOf, registerObjectRoutes, registerProviderStream, type ObjectApiDeps, type RecordedSet } from './objects';
