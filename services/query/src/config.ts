import { z } from 'zod';
import { snapshotSettings, storeEnvSchema, storeSettings } from '@ifreg/event-store';
import { httpServerEnvSchema, httpServerSettings } from '@ifreg/http-api';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from '@ifreg/messaging';
import { env, parseConfig } from '@ifreg/platform';

/** Settings of the query service (README "The query service"). */
const envSchema = z.object({
  ...storeEnvSchema.shape,
  ...httpServerEnvSchema.shape,
  ...kafkaEnvSchema.shape,
  IFREG_WATCH_HISTORY: env.int(10_000, 0, 10_000_000),
  // How long an OID query or set waits for its provider by default.
  IFREG_OBJECT_TIMEOUT_MS: env.int(5000, 1, 60_000),
  // Route object requests over Kafka (to Kafka agents, and to HTTP providers held by other
  // replicas) and record sets through the registrar's topic. Off: only providers connected here.
  IFREG_OBJECTS_KAFKA: env.bool(false),
  IFREG_LOG_LEVEL: env.logLevel(),
  IFREG_LOG_PRETTY: env.bool(false),
});

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);

const schema = envSchema.transform((c) => ({
  store: storeSettings(c),
  snapshots: snapshotSettings(c),
  http: httpServerSettings(c),
  watchHistory: c.IFREG_WATCH_HISTORY,
  objects: { timeoutMs: c.IFREG_OBJECT_TIMEOUT_MS, kafka: c.IFREG_OBJECTS_KAFKA ? kafkaSettingsFromEnv(c, 'ifreg-query') : undefined },
  log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
}));

export type QueryConfig = z.infer<typeof schema>;
export const loadConfig = (source: Readonly<Record<string, string | undefined>>): QueryConfig => parseConfig(schema, source);
