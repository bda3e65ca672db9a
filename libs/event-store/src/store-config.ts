import { z } from 'zod';
import type { EventStore } from './port';
import { SqliteEventStore } from './sqlite-event-store';

/** The store settings every service reads from its environment (README "Configuration"). */
export const storeEnvSchema = z.object({
  IFREG_STORE: z.enum(['sqlite']).default('sqlite'),
  IFREG_SQLITE_PATH: z.string().min(1).default('data/ifreg.db'),
  IFREG_SQLITE_SYNC: z.enum(['FULL', 'NORMAL']).default('FULL'),
});

export interface StoreSettings {
  readonly kind: 'sqlite';
  readonly sqlitePath: string;
  readonly synchronous: 'FULL' | 'NORMAL';
}

export const storeSettings = (env: z.infer<typeof storeEnvSchema>): StoreSettings => ({
  kind: env.IFREG_STORE,
  sqlitePath: env.IFREG_SQLITE_PATH,
  synchronous: env.IFREG_SQLITE_SYNC,
});

/** Opens the configured adapter; the one place that knows every adapter. */
export function openEventStore(settings: StoreSettings): EventStore {
  switch (settings.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: settings.sqlitePath, synchronous: settings.synchronous });
  }
}
