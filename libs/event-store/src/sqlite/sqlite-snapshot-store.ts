import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { nextTurn, partsOf } from '../snapshot-parts';
import { DEFAULT_SNAPSHOTS_KEPT, type Snapshot, type SnapshotStore, type SnapshotToSave } from '@ifreg/ports';

interface HeaderRow {
  readonly key: string;
  readonly version: number;
  readonly position: number;
  readonly parts: number;
  readonly saved_at: string;
}

/**
 * Snapshots in two tables of the SQLite file (the store's own, by default): `snapshots`, one
 * header row per snapshot, and `snapshot_parts`, its bytes in parts (snapshot-parts.ts). The
 * header is written last, so a reader sees a whole snapshot or none; then the snapshots of its
 * key beyond the newest `keep` are deleted, part by part. synchronous=NORMAL: a snapshot lost
 * to a power cut costs only a longer start.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  private readonly db: Database.Database;
  private readonly keep: number;
  private readonly statements;

  constructor(options: { readonly path: string; readonly keep?: number; readonly busyTimeoutMs?: number }) {
    this.keep = options.keep ?? DEFAULT_SNAPSHOTS_KEPT;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS snapshots (
        key TEXT NOT NULL, position INTEGER NOT NULL, version INTEGER NOT NULL, parts INTEGER NOT NULL, saved_at TEXT NOT NULL,
        PRIMARY KEY (key, position));
      CREATE TABLE IF NOT EXISTS snapshot_parts (
        key TEXT NOT NULL, position INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (key, position, part));`);
    this.statements = {
      dropHeader: this.db.prepare<[string, number]>('DELETE FROM snapshots WHERE key = ? AND position = ?'),
      dropParts: this.db.prepare<[string, number]>('DELETE FROM snapshot_parts WHERE key = ? AND position = ?'),
      dropPart: this.db.prepare<[string, number, number]>('DELETE FROM snapshot_parts WHERE key = ? AND position = ? AND part = ?'),
      part: this.db.prepare<[string, number, number, Buffer]>('INSERT INTO snapshot_parts (key, position, part, data) VALUES (?, ?, ?, ?)'),
      header: this.db.prepare<[string, number, number, number, string]>('INSERT INTO snapshots (key, position, version, parts, saved_at) VALUES (?, ?, ?, ?, ?)'),
      newest: this.db.prepare<[string], HeaderRow>('SELECT * FROM snapshots WHERE key = ? ORDER BY position DESC LIMIT 1'),
      stale: this.db.prepare<[string, number], HeaderRow>('SELECT * FROM snapshots WHERE key = ? ORDER BY position DESC LIMIT -1 OFFSET ?'),
      orphans: this.db.prepare<[string, string], { position: number; part: number }>(
        'SELECT position, part FROM snapshot_parts p WHERE key = ? AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.key = ? AND s.position = p.position)'),
      readParts: this.db.prepare<[string, number], { data: Buffer }>('SELECT data FROM snapshot_parts WHERE key = ? AND position = ? ORDER BY part'),
    };
  }

  async save(s: SnapshotToSave): Promise<void> {
    const parts = partsOf(s.data);
    const { dropHeader, dropParts, part, header } = this.statements;
    // A snapshot of this position saved before is replaced: invisible from the first part on.
    this.db.transaction(() => {
      dropHeader.run(s.key, s.position);
      dropParts.run(s.key, s.position);
    })();
    for (const [i, bytes] of parts.entries()) {
      await nextTurn();
      const last = i === parts.length - 1;
      this.db.transaction(() => {
        part.run(s.key, s.position, i, bytes);
        if (last) header.run(s.key, s.position, s.version, parts.length, new Date().toISOString());
      }).immediate();
    }
    await this.prune(s.key);
  }

  async newest(key: string): Promise<Snapshot | undefined> {
    // One read transaction, the header included: a prune running beside cannot take parts away half-way.
    const found = this.db.transaction(() => {
      const header = this.statements.newest.get(key);
      return header && { row: header, parts: this.statements.readParts.all(key, header.position) };
    })();
    if (!found) return undefined;
    const { row, parts } = found;
    if (parts.length !== row.parts) throw new Error(`snapshot ${key}@${row.position}: ${parts.length} of ${row.parts} parts`);
    return { key, version: row.version, position: row.position, data: Buffer.concat(parts.map((p) => p.data)), savedAt: row.saved_at };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Headers beyond the newest `keep` go first (at once), then their parts and any left by an interrupted save, one by one. */
  private async prune(key: string): Promise<void> {
    const { stale, dropHeader, orphans, dropPart } = this.statements;
    this.db.transaction(() => {
      for (const row of stale.all(key, this.keep)) dropHeader.run(key, row.position);
    })();
    const newest = this.statements.newest.get(key)?.position ?? 0;
    for (const orphan of orphans.all(key, key)) {
      // Parts above the newest header may be a save in progress (another process): left alone.
      if (orphan.position > newest) continue;
      await nextTurn();
      dropPart.run(key, orphan.position, orphan.part);
    }
  }
}
