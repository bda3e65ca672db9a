import { z } from 'zod';
import { ConfigError, env as envHelpers, readableFile, secretSetting } from '@ifreg/platform';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import type { EventStore } from '@ifreg/ports';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { FileSnapshotStore } from './files/file-snapshot-store';
import { PostgresSnapshotStore } from './postgres/postgres-snapshot-store';
import { DEFAULT_SNAPSHOTS_KEPT, NoSnapshots, type SnapshotStore } from '@ifreg/ports';
import { SqliteSnapshotStore } from './sqlite/sqlite-snapshot-store';

/** The store settings every service reads from its environment (README "Configuration"). */
export const storeEnvSchema = z.object({
  IFREG_STORE: z.enum(['sqlite', 'postgres', 'eventstoredb']).default('sqlite'),
  IFREG_SQLITE_PATH: z.string().min(1).default('data/ifreg.db'),
  IFREG_SQLITE_SYNC: z.enum(['FULL', 'NORMAL']).default('FULL'),
  IFREG_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').default('postgres://postgres@127.0.0.1:5432/test'),
  IFREG_POSTGRES_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('ifreg'),
  // The password apart from the URL, so the URL can sit in plain configuration (docs/security.md).
  IFREG_POSTGRES_PASSWORD: z.string().min(1).optional(),
  IFREG_POSTGRES_PASSWORD_FILE: envHelpers.file(),
  // TLS with libpq's meaning of sslmode; the files are paths, read by the client when it connects.
  IFREG_POSTGRES_SSL_MODE: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).optional(),
  IFREG_POSTGRES_SSL_CA_FILE: envHelpers.file(),
  IFREG_POSTGRES_SSL_CERT_FILE: envHelpers.file(),
  IFREG_POSTGRES_SSL_KEY_FILE: envHelpers.file(),
  // A reply that never comes (a network fault after the server committed) must fail the call,
  // so the registrar's batch fails and Kafka redelivers it; the retry is idempotent.
  IFREG_POSTGRES_QUERY_TIMEOUT_MS: envHelpers.int(10_000, 100, 600_000),
  // Where snapshots live (README "Snapshots"): beside the events (SQLite, PostgreSQL), as files
  // under IFREG_SNAPSHOT_DIR (always so with EventStoreDB), or nowhere.
  IFREG_SNAPSHOTS: z.enum(['store', 'files', 'off']).default('store'),
  IFREG_SNAPSHOT_DIR: z.string().min(1).default('data/snapshots'),
  IFREG_SNAPSHOTS_KEPT: envHelpers.int(DEFAULT_SNAPSHOTS_KEPT, 1, 100),
  // The query service's cadence: after this many events, or this long after the last one.
  IFREG_SNAPSHOT_EVERY_EVENTS: envHelpers.int(100_000, 1, 1_000_000_000),
  IFREG_SNAPSHOT_EVERY_MS: envHelpers.int(600_000, 1_000, 86_400_000),
  // The registrar's: a scope's snapshot after this many of its events (and no fewer than half its live interfaces).
  IFREG_SCOPE_SNAPSHOT_EVERY: envHelpers.int(250, 1, 1_000_000_000),
  EVENTSTORE_URL: z.string().regex(/^(esdb|esdb\+discover|kurrentdb):\/\//, 'must be an esdb:// connection string').optional(),
});

export type StoreSettings =
  | { readonly kind: 'sqlite'; readonly sqlitePath: string; readonly synchronous: 'FULL' | 'NORMAL' }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly queryTimeoutMs?: number }
  | { readonly kind: 'eventstoredb'; readonly url: string };

interface SnapshotCadence {
  readonly keep: number;
  readonly everyEvents: number;
  readonly everyMs: number;
  readonly scopeEvery: number;
}

export type SnapshotSettings = SnapshotCadence & ({ readonly kind: 'store' | 'off' } | { readonly kind: 'files'; readonly dir: string });

export function snapshotSettings(env: z.infer<typeof storeEnvSchema>): SnapshotSettings {
  const cadence = { keep: env.IFREG_SNAPSHOTS_KEPT, everyEvents: env.IFREG_SNAPSHOT_EVERY_EVENTS, everyMs: env.IFREG_SNAPSHOT_EVERY_MS, scopeEvery: env.IFREG_SCOPE_SNAPSHOT_EVERY };
  // EventStoreDB keeps no blobs of ours: its snapshots are files.
  if (env.IFREG_SNAPSHOTS === 'files' || (env.IFREG_SNAPSHOTS === 'store' && env.IFREG_STORE === 'eventstoredb')) return { ...cadence, kind: 'files', dir: env.IFREG_SNAPSHOT_DIR };
  return { ...cadence, kind: env.IFREG_SNAPSHOTS };
}

export function storeSettings(env: z.infer<typeof storeEnvSchema>): StoreSettings {
  switch (env.IFREG_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', sqlitePath: env.IFREG_SQLITE_PATH, synchronous: env.IFREG_SQLITE_SYNC };
    case 'postgres':
      return { kind: 'postgres', url: postgresUrl(env), schema: env.IFREG_POSTGRES_SCHEMA, queryTimeoutMs: env.IFREG_POSTGRES_QUERY_TIMEOUT_MS };
    case 'eventstoredb':
      if (!env.EVENTSTORE_URL) throw new StoreConfigError('EVENTSTORE_URL is required when IFREG_STORE=eventstoredb');
      return { kind: 'eventstoredb', url: env.EVENTSTORE_URL };
  }
}

/**
 * IFREG_POSTGRES_URL with the password and the TLS settings of their own variables folded in,
 * as `pg` 8 reads them from a connection string: `sslmode` with `uselibpqcompat=true` (so
 * require, verify-ca and verify-full mean what they mean to libpq), `sslrootcert`, `sslcert`
 * and `sslkey`. Incomplete or contradictory settings throw a ConfigError.
 */
export function postgresUrl(env: z.infer<typeof storeEnvSchema>): string {
  const url = new URL(env.IFREG_POSTGRES_URL);
  const problems: string[] = [];
  const password = secretSetting('IFREG_POSTGRES_PASSWORD', env.IFREG_POSTGRES_PASSWORD, env.IFREG_POSTGRES_PASSWORD_FILE);
  if (password !== undefined) {
    if (url.password !== '') problems.push('IFREG_POSTGRES_PASSWORD: IFREG_POSTGRES_URL has a password already; give it in one place');
    else if (url.username === '') problems.push('IFREG_POSTGRES_PASSWORD: IFREG_POSTGRES_URL names no user (postgres://user@host/db)');
    else url.password = password;
  }

  const mode = env.IFREG_POSTGRES_SSL_MODE;
  const files = { sslrootcert: ['IFREG_POSTGRES_SSL_CA_FILE', env.IFREG_POSTGRES_SSL_CA_FILE], sslcert: ['IFREG_POSTGRES_SSL_CERT_FILE', env.IFREG_POSTGRES_SSL_CERT_FILE], sslkey: ['IFREG_POSTGRES_SSL_KEY_FILE', env.IFREG_POSTGRES_SSL_KEY_FILE] } as const;
  const given = Object.values(files).flatMap(([name, file]) => (file === undefined ? [] : [[name, file] as const]));
  if (mode !== undefined && url.searchParams.has('sslmode')) problems.push('IFREG_POSTGRES_SSL_MODE: IFREG_POSTGRES_URL has an sslmode already; give it in one place');
  if (mode === undefined || mode === 'disable') {
    problems.push(...given.map(([name]) => `${name}: set IFREG_POSTGRES_SSL_MODE to require, verify-ca or verify-full to use it`));
  } else {
    if (mode === 'verify-ca' && env.IFREG_POSTGRES_SSL_CA_FILE === undefined) problems.push('IFREG_POSTGRES_SSL_CA_FILE: required when IFREG_POSTGRES_SSL_MODE=verify-ca');
    if ((env.IFREG_POSTGRES_SSL_CERT_FILE === undefined) !== (env.IFREG_POSTGRES_SSL_KEY_FILE === undefined)) {
      problems.push('IFREG_POSTGRES_SSL_CERT_FILE, IFREG_POSTGRES_SSL_KEY_FILE: a client certificate needs its key and the key its certificate');
    }
    for (const [name, file] of given) {
      try {
        readableFile(name, file);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (mode !== undefined) {
    url.searchParams.set('sslmode', mode);
    url.searchParams.set('uselibpqcompat', 'true');
    for (const [param, [, file]] of Object.entries(files)) if (file !== undefined) url.searchParams.set(param, file);
  }
  return url.toString();
}

export class StoreConfigError extends Error {
  override name = 'StoreConfigError';
}

/** Where a store lives, for logs: never a connection string with a password in it. */
export function describeStore(settings: StoreSettings): string {
  if (settings.kind === 'sqlite') return `sqlite ${settings.sqlitePath} (synchronous=${settings.synchronous})`;
  const url = new URL(settings.url);
  return `${settings.kind} ${url.hostname}:${url.port}${settings.kind === 'postgres' ? `${url.pathname} schema ${settings.schema}` : ''}`;
}

/** Whether another connection (a thread's) can open the same store: not an in-memory SQLite database. */
export const storeOpensAgain = (settings: StoreSettings): boolean => !(settings.kind === 'sqlite' && settings.sqlitePath === ':memory:');

/** Opens the snapshot store that goes with the event store. */
export function openSnapshotStore(store: StoreSettings, snapshots: SnapshotSettings): SnapshotStore {
  if (snapshots.kind === 'off') return new NoSnapshots();
  if (snapshots.kind === 'files') return new FileSnapshotStore(snapshots.dir, snapshots.keep);
  switch (store.kind) {
    case 'sqlite':
      return new SqliteSnapshotStore({ path: store.sqlitePath, keep: snapshots.keep });
    case 'postgres':
      return new PostgresSnapshotStore({ connectionString: store.url, schema: store.schema, keep: snapshots.keep });
    case 'eventstoredb':
      throw new StoreConfigError('EventStoreDB snapshots are files: IFREG_SNAPSHOTS=files');
  }
}

/** Opens the configured adapter, ready to use; the one place that knows every adapter. */
export async function openEventStore(settings: StoreSettings): Promise<EventStore> {
  switch (settings.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: settings.sqlitePath, synchronous: settings.synchronous });
    case 'postgres':
      return PostgresEventStore.create({
        connectionString: settings.url,
        schema: settings.schema,
        ...(settings.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: settings.queryTimeoutMs }),
      });
    case 'eventstoredb':
      return new EventStoreDbEventStore({ url: settings.url, streamPrefixes: ['registry-'] });
  }
}
