import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_SNAPSHOTS_KEPT, type Snapshot, type SnapshotStore, type SnapshotToSave } from './snapshot-port';

interface SnapshotRow {
  readonly key: string;
  readonly version: number;
  readonly position: number;
  readonly data: Buffer;
  readonly saved_at: string;
}

/**
 * Snapshots in a `snapshots` table of the SQLite file (the store's own, by default): one
 * transaction saves one and deletes those beyond the newest `keep` of its key.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly db: Database.Database;
  private readonly insert;
  private readonly prune;
  private readonly select;
  private readonly saveOne;

  constructor(options: { readonly path: string; readonly keep?: number; readonly busyTimeoutMs?: number }) {
    const keep = options.keep ?? DEFAULT_SNAPSHOTS_KEPT;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS snapshots (
      key TEXT NOT NULL, position INTEGER NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL, saved_at TEXT NOT NULL,
      PRIMARY KEY (key, position))`);
    this.insert = this.db.prepare<[string, number, number, Buffer, string]>('INSERT OR REPLACE INTO snapshots (key, position, version, data, saved_at) VALUES (?, ?, ?, ?, ?)');
    this.prune = this.db.prepare<[string, string, number]>(
      'DELETE FROM snapshots WHERE key = ? AND position NOT IN (SELECT position FROM snapshots WHERE key = ? ORDER BY position DESC LIMIT ?)');
    this.select = this.db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE key = ? ORDER BY position DESC LIMIT 1');
    this.saveOne = this.db.transaction((s: SnapshotToSave) => {
      this.insert.run(s.key, s.position, s.version, Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength), new Date().toISOString());
      this.prune.run(s.key, s.key, keep);
    });
  }

  async save(snapshot: SnapshotToSave): Promise<void> {
    this.saveOne.immediate(snapshot);
  }

  async newest(key: string): Promise<Snapshot | undefined> {
    const row = this.select.get(key);
    return row && { key: row.key, version: row.version, position: row.position, data: row.data, savedAt: row.saved_at };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
