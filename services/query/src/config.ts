import { z } from 'zod';
import { storeEnvSchema, storeSettings } from '@ifreg/event-store';
import { httpSecurityEnvSchema, httpSecuritySettings } from '@ifreg/http-api';
import { env, parseConfig } from '@ifreg/platform';

/** Settings of the query service (README "The query service"). */
const envSchema = z.object({
  ...storeEnvSchema.shape,
  IFREG_HTTP_PORT: env.port(8080),
  IFREG_HTTP_HOST: z.string().min(1).optional(),
  // IFREG_TOKEN / IFREG_TOKEN_FILE, IFREG_HTTP_BODY_LIMIT, IFREG_HTTP_MAX_HEADER_SIZE (docs/security.md).
  ...httpSecurityEnvSchema.shape,
  IFREG_MAX_WAIT_MS: env.int(30_000, 100, 600_000),
  IFREG_WATCH_HISTORY: env.int(10_000, 0, 10_000_000),
  IFREG_LOG_LEVEL: env.logLevel(),
  IFREG_LOG_PRETTY: env.bool(false),
});

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);

const schema = envSchema.transform((c) => {
  const { token, limits } = httpSecuritySettings(c);
  return {
    store: storeSettings(c),
    http: { port: c.IFREG_HTTP_PORT, host: c.IFREG_HTTP_HOST ?? (token ? '0.0.0.0' : '127.0.0.1'), token, limits, maxWaitMs: c.IFREG_MAX_WAIT_MS },
    watchHistory: c.IFREG_WATCH_HISTORY,
    log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
  };
});

export type QueryConfig = z.infer<typeof schema>;
export const loadConfig = (source: Readonly<Record<string, string | undefined>>): QueryConfig => parseConfig(schema, source);
