import { z } from 'zod';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import type { EventStore } from './port';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite-event-store';

/** The store settings every service reads from its environment (README "Configuration"). */
export const storeEnvSchema = z.object({
  IFREG_STORE: z.enum(['sqlite', 'postgres', 'eventstoredb']).default('sqlite'),
  IFREG_SQLITE_PATH: z.string().min(1).default('data/ifreg.db'),
  IFREG_SQLITE_SYNC: z.enum(['FULL', 'NORMAL']).default('FULL'),
  IFREG_POSTGRES_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').default('postgres://postgres@127.0.0.1:5432/test'),
  IFREG_POSTGRES_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('ifreg'),
  EVENTSTORE_URL: z.string().regex(/^(esdb|esdb\+discover|kurrentdb):\/\//, 'must be an esdb:// connection string').optional(),
});

export type StoreSettings =
  | { readonly kind: 'sqlite'; readonly sqlitePath: string; readonly synchronous: 'FULL' | 'NORMAL' }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string }
  | { readonly kind: 'eventstoredb'; readonly url: string };

export function storeSettings(env: z.infer<typeof storeEnvSchema>): StoreSettings {
  switch (env.IFREG_STORE) {
    case 'sqlite':
      return { kind: 'sqlite', sqlitePath: env.IFREG_SQLITE_PATH, synchronous: env.IFREG_SQLITE_SYNC };
    case 'postgres':
      return { kind: 'postgres', url: env.IFREG_POSTGRES_URL, schema: env.IFREG_POSTGRES_SCHEMA };
    case 'eventstoredb':
      if (!env.EVENTSTORE_URL) throw new StoreConfigError('EVENTSTORE_URL is required when IFREG_STORE=eventstoredb');
      return { kind: 'eventstoredb', url: env.EVENTSTORE_URL };
  }
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

/** Opens the configured adapter, ready to use; the one place that knows every adapter. */
export async function openEventStore(settings: StoreSettings): Promise<EventStore> {
  switch (settings.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: settings.sqlitePath, synchronous: settings.synchronous });
    case 'postgres':
      return PostgresEventStore.create({ connectionString: settings.url, schema: settings.schema });
    case 'eventstoredb':
      return new EventStoreDbEventStore({ url: settings.url, streamPrefixes: ['registry-'] });
  }
}
