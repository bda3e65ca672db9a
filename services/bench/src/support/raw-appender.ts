import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { EventData } from '@ifreg/ports';
import { createRawEventsTable, dropSchema, freshSchema, postgresUrl } from './postgres';

/** The store's raw batch append, without ifreg: one transaction (one commit) per call. */
export interface RawAppender {
  append(stream: string, events: readonly EventData[], revision: number): Promise<void>;
  close(): Promise<void>;
}

/** better-sqlite3 alone: the adapter's table and pragmas (WAL, synchronous=FULL), a fresh file under `dir`. */
export function sqliteRawAppender(dir: string): RawAppender {
  const db = new Database(join(mkdtempSync(join(dir, 'raw-')), 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream, revision))`);
  const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const append = db.transaction((stream: string, events: readonly EventData[], revision: number) => {
    const at = new Date().toISOString();
    for (const e of events) insert.run(stream, ++revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata ?? {}), at);
  });
  return {
    append: (stream, events, revision) => {
      append(stream, events, revision);
      return Promise.resolve();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/** node-postgres alone: the adapter's table in a schema of its own, one INSERT … jsonb_array_elements per batch (see store-postgres). */
export async function postgresRawAppender(): Promise<RawAppender> {
  const schema = freshSchema('raw');
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  const { insert } = await createRawEventsTable(client, schema);
  let position = 0;
  return {
    append: async (stream, events, revision) => {
      const docs = JSON.stringify(events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata ?? {} })));
      await client.query({ name: 'insert', text: insert, values: [position, stream, revision, docs] });
      position += events.length;
    },
    close: async () => {
      await client.end();
      await dropSchema(schema);
    },
  };
}
