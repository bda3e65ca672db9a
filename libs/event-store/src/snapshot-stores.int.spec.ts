import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool } from 'pg';
import { FileSnapshotStore } from './files/file-snapshot-store';
import { PostgresSnapshotStore } from './postgres/postgres-snapshot-store';
import { unreachableReason } from '@ifreg/testing';
import type { SnapshotStore } from '@ifreg/ports';
import { SqliteSnapshotStore } from './sqlite/sqlite-snapshot-store';

const url = process.env.IFREG_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// The PostgreSQL store's specs need the machine's server: skipped, visibly, without it (a
// developer's machine), and a failure when CI requires it.
const unreachable = unreachableReason(url);
if (unreachable !== undefined && process.env.IFREG_REQUIRE_POSTGRES === '1') {
  throw new Error(`IFREG_REQUIRE_POSTGRES=1 but PostgreSQL at ${url} is unreachable: ${unreachable}`);
}
if (unreachable !== undefined) console.warn(`PostgreSQL at ${url} is unreachable (${unreachable}): the PostgreSQL snapshot store's specs are skipped`);
const postgres = unreachable === undefined;
const text = (data: Uint8Array | undefined): string => Buffer.from(data ?? new Uint8Array()).toString();
const blob = (s: string): Uint8Array => Buffer.from(s);

interface Made {
  readonly store: SnapshotStore;
  /** How many snapshots of the key are held, counted where they live. */
  readonly count: (key: string) => Promise<number>;
  readonly dispose: () => Promise<void>;
}

const contract = (name: string, make: () => Made, run = true): void => {
  (run ? describe : describe.skip)(`${name} snapshot store`, () => {
    let made: Made;
    beforeEach(() => {
      made = make();
    });
    afterEach(async () => {
      await made.store.close();
      await made.dispose();
    });

    it('answers nothing for a key never saved', async () => {
      expect(await made.store.newest('read-model')).toBeUndefined();
    });

    it('answers the newest of a key, with its version and position, and keeps only the newest two', async () => {
      const { store } = made;
      for (const position of [10, 30, 20, 40]) await store.save({ key: 'read-model', version: 1, position, data: blob(`at ${position}`) });
      await store.save({ key: 'registry/s1', version: 3, position: 5, data: blob('scope') });
      const newest = await store.newest('read-model');
      expect(newest).toMatchObject({ key: 'read-model', version: 1, position: 40 });
      expect(text(newest?.data)).toBe('at 40');
      expect(new Date(newest?.savedAt ?? '').getTime()).toBeGreaterThan(0);
      expect(text((await store.newest('registry/s1'))?.data)).toBe('scope');
      expect(await made.count('read-model')).toBe(2);
      expect(await made.count('registry/s1')).toBe(1);
    });

    it('keeps a snapshot of many parts whole', async () => {
      const big = Buffer.alloc(1_000_003);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      await made.store.save({ key: 'big', version: 1, position: 1, data: big });
      await made.store.save({ key: 'big', version: 1, position: 2, data: big.subarray(1) });
      await made.store.save({ key: 'big', version: 1, position: 3, data: big.subarray(2) });
      expect(Buffer.compare(Buffer.from((await made.store.newest('big'))?.data ?? []), big.subarray(2))).toBe(0);
      expect(await made.count('big')).toBe(2);
    });

    it('saves a snapshot of a position again as a whole replacement', async () => {
      await made.store.save({ key: 'k', version: 1, position: 7, data: blob('first') });
      await made.store.save({ key: 'k', version: 2, position: 7, data: blob('second') });
      expect(await made.store.newest('k')).toMatchObject({ version: 2, position: 7 });
      expect(text((await made.store.newest('k'))?.data)).toBe('second');
      expect(await made.count('k')).toBe(1);
    });
  });
};

contract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-snap-'));
  const path = join(dir, 'store.db');
  return {
    store: new SqliteSnapshotStore({ path }),
    count: async (key) => {
      const db = new Database(path, { readonly: true });
      try {
        const headers = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM snapshots WHERE key = ?').get(key)?.n ?? 0;
        const parted = db.prepare<[string], { n: number }>('SELECT count(DISTINCT position) AS n FROM snapshot_parts WHERE key = ?').get(key)?.n ?? 0;
        if (parted !== headers) throw new Error(`${headers} snapshots of ${key} but parts of ${parted}`);
        return headers;
      } finally {
        db.close();
      }
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

contract('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-snap-'));
  return {
    store: new FileSnapshotStore(dir),
    count: async (key) => readdirSync(join(dir, Buffer.from(key).toString('hex'))).length,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

contract('postgres', () => {
  const schema = `t_${randomUUID().replaceAll('-', '')}`;
  const admin = new Pool({ connectionString: url, max: 1 });
  return {
    store: new PostgresSnapshotStore({ connectionString: url, schema }),
    count: async (key) => {
      const headers = Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".snapshots WHERE key = $1`, [key])).rows[0]?.n);
      const parted = Number((await admin.query<{ n: string }>(`SELECT count(DISTINCT position) AS n FROM "${schema}".snapshot_parts WHERE key = $1`, [key])).rows[0]?.n);
      if (parted !== headers) throw new Error(`${headers} snapshots of ${key} but parts of ${parted}`);
      return headers;
    },
    dispose: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}, postgres);
