import { z } from 'zod';
import { snapshotSettings, storeEnvSchema, storeSettings } from '@ifreg/event-store';
import { httpServerEnvSchema, httpServerSettings } from '@ifreg/http-api';
import { SCOPE_PATTERN } from '@ifreg/domain';
import { env, parseConfig } from '@ifreg/platform';

/** Every setting of the all-in-one service, from the environment (README "Configuration"). */
const envSchema = z.object({
  ...storeEnvSchema.shape,
  ...httpServerEnvSchema.shape,
  IFREG_MAX_IF_INDEX: env.int(65535, 1, 65535),
  // Recent message ids a scope remembers: redeliveries within it cost no store lookup.
  IFREG_DEDUPE_WINDOW: env.int(10_000, 1_000, 10_000_000),
  // Entries (remembered outcomes, live interfaces) of the scopes kept in memory; 0 = no bound.
  IFREG_REGISTRAR_CACHE_ENTRIES: env.int(1_000_000, 0, 1_000_000_000),
  IFREG_REGISTER_HOST: env.bool(true),
  IFREG_HOST_POLL_MS: env.int(1000, 50, 3_600_000),
  IFREG_HOST_STATE: z.string().min(1).optional(),
  IFREG_SYSFS: z.string().min(1).default('/sys/class/net'),
  IFREG_HOST_SCOPE: z.string().regex(SCOPE_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._-]').default('local'),
  IFREG_WATCH_HISTORY: env.int(10_000, 0, 10_000_000),
  // How long an OID query or set waits for its provider by default.
  IFREG_OBJECT_TIMEOUT_MS: env.int(5000, 1, 60_000),
  // Sets on this host's own interfaces (admin status, alias) through its host agent: off unless enabled.
  IFREG_HOST_OBJECT_SETS: env.bool(false),
  IFREG_LOG_LEVEL: env.logLevel(),
  IFREG_LOG_PRETTY: env.bool(false),
});

/** Every variable this service reads (checked against docker-compose.yml by tools/compose). */
export const ENV_KEYS: readonly string[] = Object.keys(envSchema.shape);

const schema = envSchema.transform((c) => ({
  http: httpServerSettings(c),
  store: storeSettings(c),
  snapshots: snapshotSettings(c),
  registry: { maxIfIndex: c.IFREG_MAX_IF_INDEX, dedupeWindow: c.IFREG_DEDUPE_WINDOW },
  scopeCacheEntries: c.IFREG_REGISTRAR_CACHE_ENTRIES,
  host: { register: c.IFREG_REGISTER_HOST, scope: c.IFREG_HOST_SCOPE, pollMs: c.IFREG_HOST_POLL_MS, stateFile: c.IFREG_HOST_STATE, sysRoot: c.IFREG_SYSFS, objectSets: c.IFREG_HOST_OBJECT_SETS },
  objectTimeoutMs: c.IFREG_OBJECT_TIMEOUT_MS,
  watchHistory: c.IFREG_WATCH_HISTORY,
  log: { level: c.IFREG_LOG_LEVEL, pretty: c.IFREG_LOG_PRETTY },
}));

export type AllInOneConfig = z.infer<typeof schema>;
export const loadConfig = (source: Readonly<Record<string, string | undefined>>): AllInOneConfig => parseConfig(schema, source);
