import { z } from 'zod';
import { storeEnvSchema, storeSettings } from '@ifreg/event-store';
import { httpServerEnvSchema, httpServerSettings } from '@ifreg/http-api';
import { env, parseConfig } from '@ifreg/platform';

/** Settings of the query service (README "The query service"). */
const envSchema = z.object({
  ...storeEnvSchema.shape,
  ...httpServerEnvSchema.shape,
  IFREG_WATCH_HISTORY: env.int(10_000, 0, 10_000_000),
  IFREG_LOG_LEVEL: env.logLevel(),
  IFREG_LOG_PRETTY: env.bool(false),
});

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);

const schema = envSchema.transform((c) => ({
  store: storeSettings(c),
  http: httpServerSettings(c),
  watchHistory: c.IFREG_WATCH_HISTORY,
  log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
}));

export type QueryConfig = z.infer<typeof schema>;
export const loadConfig = (source: Readonly<Record<string, string | undefined>>): QueryConfig => parseConfig(schema, source);
