import { z } from 'zod';
import { snapshotSettings, storeEnvSchema, storeSettings } from '@ifreg/event-store';
import { kafkaEnvSchema, kafkaSettingsFromEnv } from '@ifreg/messaging';
import { env, parseConfig } from '@ifreg/platform';

/** Settings of the registrar service (README "Run the registrar and an agent with Kafka"). */
const envSchema = z.object({
  ...storeEnvSchema.shape,
  ...kafkaEnvSchema.shape,
  IFREG_KAFKA_GROUP: z.string().min(1).default('ifreg-registrar'),
  IFREG_BATCH_SIZE: env.int(500, 1, 5000),
  // Partitions handled at once: one partition's Kafka round trips overlap another's work.
  IFREG_KAFKA_CONCURRENCY: env.int(3, 1, 64),
  // A fetch answers once this many bytes are there, or after IFREG_KAFKA_FETCH_MAX_WAIT_MS: under a
  // steady trickle, fewer and larger batches, so fewer commits and round trips per message.
  IFREG_KAFKA_FETCH_MIN_BYTES: env.int(65_536, 1, 16_777_216),
  IFREG_KAFKA_FETCH_MAX_WAIT_MS: env.int(20, 1, 10_000),
  // Encode and send outcomes in a worker thread (kafkajs costs as much CPU per record as the append).
  IFREG_KAFKA_SENDER_THREAD: env.bool(true),
  // How long the group waits for a silent (crashed) member before handing its partitions on.
  IFREG_KAFKA_SESSION_TIMEOUT_MS: env.int(10_000, 6_000, 300_000),
  IFREG_MAX_IF_INDEX: env.int(65535, 1, 65535),
  IFREG_MAX_MESSAGE_BYTES: env.int(65_536, 1_024, 1_048_576),
  // Recent message ids a scope remembers: redeliveries within it cost no store lookup.
  IFREG_DEDUPE_WINDOW: env.int(10_000, 1_000, 10_000_000),
  // Entries (remembered outcomes, live interfaces) of the scopes kept in memory; 0 = no bound.
  IFREG_REGISTRAR_CACHE_ENTRIES: env.int(1_000_000, 0, 1_000_000_000),
  IFREG_HTTP_PORT: env.port(8081),
  IFREG_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  IFREG_LOG_LEVEL: env.logLevel(),
  IFREG_LOG_PRETTY: env.bool(false),
});

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);

const schema = envSchema.transform((c) => ({
  kafka: kafkaSettingsFromEnv(c, 'ifreg-registrar'),
  groupId: c.IFREG_KAFKA_GROUP,
  batchSize: c.IFREG_BATCH_SIZE,
  concurrency: c.IFREG_KAFKA_CONCURRENCY,
  fetch: { minBytes: c.IFREG_KAFKA_FETCH_MIN_BYTES, maxWaitTimeMs: c.IFREG_KAFKA_FETCH_MAX_WAIT_MS },
  senderThread: c.IFREG_KAFKA_SENDER_THREAD,
  sessionTimeoutMs: c.IFREG_KAFKA_SESSION_TIMEOUT_MS,
  store: storeSettings(c),
  snapshots: snapshotSettings(c),
  registry: { maxIfIndex: c.IFREG_MAX_IF_INDEX, dedupeWindow: c.IFREG_DEDUPE_WINDOW },
  scopeCacheEntries: c.IFREG_REGISTRAR_CACHE_ENTRIES,
  maxMessageBytes: c.IFREG_MAX_MESSAGE_BYTES,
  http: { port: c.IFREG_HTTP_PORT, host: c.IFREG_HTTP_HOST },
  log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
}));

export type RegistrarConfig = z.infer<typeof schema>;
export const loadConfig = (source: Readonly<Record<string, string | undefined>>): RegistrarConfig => parseConfig(schema, source);
