import { Pool } from 'pg';
import { nextTurn, partsOf } from '../snapshot-parts';
import { DEFAULT_SNAPSHOTS_KEPT, type Snapshot, type SnapshotStore, type SnapshotToSave } from '@ifreg/ports';
import { storeNames } from './postgres-schema';

interface HeaderRow {
  readonly version: number;
  readonly position: string;
  readonly parts: number;
  readonly saved_at: Date;
}

/**
 * Snapshots in two tables beside the store's events (same schema), as in the SQLite store:
 * `snapshots` headers, written last, and `snapshot_parts` (snapshot-parts.ts); a part is one
 * statement, so converting a large blob to a parameter never holds up the process. Old
 * snapshots beyond the newest `keep` of a key are deleted with their parts.
 */
export class PostgresSnapshotStore implements SnapshotStore {
  private readonly pool: Pool;
  private readonly schema: string;
  private readonly keep: number;
  private ready: Promise<unknown> | undefined;

  constructor(options: { readonly connectionString: string; readonly schema?: string; readonly keep?: number }) {
    this.schema = storeNames(options.schema ?? 'ifreg').schema;
    this.keep = options.keep ?? DEFAULT_SNAPSHOTS_KEPT;
    this.pool = new Pool({ connectionString: options.connectionString, max: 2, application_name: 'ifreg-snapshots' });
    this.pool.on('error', () => undefined);
  }

  private get headers(): string {
    return `"${this.schema}".snapshots`;
  }

  private get parts(): string {
    return `"${this.schema}".snapshot_parts`;
  }

  private init(): Promise<unknown> {
    this.ready ??= this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}";
      CREATE TABLE IF NOT EXISTS ${this.headers} (
        key text NOT NULL, position bigint NOT NULL, version integer NOT NULL, parts integer NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (key, position));
      CREATE TABLE IF NOT EXISTS ${this.parts} (
        key text NOT NULL, position bigint NOT NULL, part integer NOT NULL, data bytea NOT NULL,
        PRIMARY KEY (key, position, part));`).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async save(s: SnapshotToSave): Promise<void> {
    await this.init();
    const parts = partsOf(s.data);
    await this.pool.query(`WITH h AS (DELETE FROM ${this.headers} WHERE key = $1 AND position = $2) DELETE FROM ${this.parts} WHERE key = $1 AND position = $2`, [s.key, s.position]);
    for (const [i, bytes] of parts.entries()) {
      await nextTurn();
      await this.pool.query(`INSERT INTO ${this.parts} (key, position, part, data) VALUES ($1, $2, $3, $4)`, [s.key, s.position, i, bytes]);
    }
    await this.pool.query(`INSERT INTO ${this.headers} (key, position, version, parts) VALUES ($1, $2, $3, $4)`, [s.key, s.position, s.version, parts.length]);
    // Beyond the newest `keep`; and parts without a header below the newest (an interrupted save).
    await this.pool.query(
      `WITH stale AS (
         DELETE FROM ${this.headers} WHERE key = $1 AND position NOT IN (SELECT position FROM ${this.headers} WHERE key = $1 ORDER BY position DESC LIMIT $2))
       DELETE FROM ${this.parts} p WHERE p.key = $1 AND p.position < $3
         AND p.position NOT IN (SELECT position FROM ${this.headers} WHERE key = $1 ORDER BY position DESC LIMIT $2)`,
      [s.key, this.keep, s.position],
    );
  }

  async newest(key: string): Promise<Snapshot | undefined> {
    await this.init();
    const client = await this.pool.connect();
    try {
      // One snapshot of the database: a prune beside cannot take parts away half-way.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const { rows: [row] } = await client.query<HeaderRow>(`SELECT version, position, parts, saved_at FROM ${this.headers} WHERE key = $1 ORDER BY position DESC LIMIT 1`, [key]);
      if (!row) return undefined;
      const { rows } = await client.query<{ data: Buffer }>(`SELECT data FROM ${this.parts} WHERE key = $1 AND position = $2 ORDER BY part`, [key, row.position]);
      if (rows.length !== row.parts) throw new Error(`snapshot ${key}@${row.position}: ${rows.length} of ${row.parts} parts`);
      return { key, version: row.version, position: Number(row.position), data: Buffer.concat(rows.map((r) => r.data)), savedAt: row.saved_at.toISOString() };
    } finally {
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
