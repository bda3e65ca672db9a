import { Pool } from 'pg';
import { DEFAULT_SNAPSHOTS_KEPT, type Snapshot, type SnapshotStore, type SnapshotToSave } from '../snapshot-port';
import { storeNames } from './postgres-schema';

interface SnapshotRow {
  readonly key: string;
  readonly version: number;
  readonly position: string;
  readonly data: Buffer;
  readonly saved_at: Date;
}

/**
 * Snapshots in a `snapshots` table beside the store's events (same schema): one statement
 * saves one and deletes those beyond the newest `keep` of its key.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  private readonly pool: Pool;
  private readonly table: string;
  private readonly keep: number;
  private readonly schema: string;
  private ready: Promise<unknown> | undefined;

  constructor(options: { readonly connectionString: string; readonly schema?: string; readonly keep?: number }) {
    const { schema } = storeNames(options.schema ?? 'ifreg');
    this.table = `"${schema}".snapshots`;
    this.keep = options.keep ?? DEFAULT_SNAPSHOTS_KEPT;
    this.pool = new Pool({ connectionString: options.connectionString, max: 2, application_name: 'ifreg-snapshots' });
    this.pool.on('error', () => undefined);
    this.schema = schema;
  }

  private init(): Promise<unknown> {
    this.ready ??= this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}";
      CREATE TABLE IF NOT EXISTS ${this.table} (
        key text NOT NULL, position bigint NOT NULL, version integer NOT NULL, data bytea NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (key, position))`).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async save(s: SnapshotToSave): Promise<void> {
    await this.init();
    await this.pool.query(
      `WITH saved AS (
         INSERT INTO ${this.table} (key, position, version, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key, position) DO UPDATE SET version = excluded.version, data = excluded.data, saved_at = now())
       DELETE FROM ${this.table} WHERE key = $1 AND position < $2 AND position NOT IN (
         SELECT position FROM ${this.table} WHERE key = $1 ORDER BY position DESC LIMIT $5)`,
      [s.key, s.position, s.version, Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength), this.keep - 1],
    );
  }

  async newest(key: string): Promise<Snapshot | undefined> {
    await this.init();
    const { rows: [row] } = await this.pool.query<SnapshotRow>(`SELECT * FROM ${this.table} WHERE key = $1 ORDER BY position DESC LIMIT 1`, [key]);
    return row && { key: row.key, version: row.version, position: Number(row.position), data: row.data, savedAt: row.saved_at.toISOString() };
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
