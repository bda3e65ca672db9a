import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NO_STREAM, type RecordedEvent } from '@ifreg/ports';
import { SqliteEventStore } from './sqlite-event-store';
import { SqliteSnapshotStore } from './sqlite-snapshot-store';
import { eventStoreContract, makeEvents, waitFor } from '@ifreg/testing';

let dir: string;
let files = 0;
const freshPath = (): string => join(dir, `store-${++files}`, 'events.db');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-event-store-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

eventStoreContract('sqlite', async () => new SqliteEventStore({ path: freshPath(), pollIntervalMs: 50 }));
eventStoreContract('sqlite, reading ahead inline', async () => new SqliteEventStore({ path: freshPath(), pollIntervalMs: 50, readAhead: 'inline' }));
eventStoreContract('sqlite in memory', async () => new SqliteEventStore({ path: ':memory:', pollIntervalMs: 50 }));

describe('a sqlite store closed and opened again on the same file', () => {
  it('still has its events and continues their positions', async () => {
    const path = freshPath();
    const first = new SqliteEventStore({ path });
    await first.append('order-1', makeEvents('a', 3), NO_STREAM);
    await first.close();
    const second = new SqliteEventStore({ path });
    try {
      expect((await second.readStream('order-1')).map((e) => e.id)).toEqual(['a-0', 'a-1', 'a-2']);
      expect(await second.append('order-1', makeEvents('b', 1), 2)).toEqual({ nextExpectedRevision: 3, position: 4 });
    } finally {
      await second.close();
    }
  });
});

describe('two sqlite stores on one file, as two processes would be', () => {
  it("lets a subscriber on one see the other's appends by polling alone", async () => {
    const path = freshPath();
    const writer = new SqliteEventStore({ path });
    const reader = new SqliteEventStore({ path, pollIntervalMs: 20, watchWal: false });
    try {
      const received: RecordedEvent[] = [];
      reader.subscribeAll((batch) => void received.push(...batch), { from: 0 });
      await writer.append('order-1', makeEvents('a', 2), NO_STREAM);
      await writer.append('order-2', makeEvents('b', 1), NO_STREAM);
      await waitFor(() => received.length >= 3, 5000, 'the writer events');
      expect(received.map((e) => e.position)).toEqual([1, 2, 3]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it("wakes a subscriber on one at the other's WAL writes, with no poll due before the test's timeout", async () => {
    const path = freshPath();
    const writer = new SqliteEventStore({ path });
    const reader = new SqliteEventStore({ path, pollIntervalMs: 600_000 });
    try {
      const received: RecordedEvent[] = [];
      reader.subscribeAll((batch) => void received.push(...batch), { from: 0 });
      await writer.append('order-1', makeEvents('a', 2), NO_STREAM);
      await waitFor(() => received.length >= 2, 5000, 'the first append');
      await writer.append('order-2', makeEvents('b', 1), NO_STREAM);
      await waitFor(() => received.length >= 3, 5000, 'the second append');
      expect(received.map((e) => e.position)).toEqual([1, 2, 3]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('sqlite durability settings', () => {
  it('fsyncs every commit (synchronous FULL) in WAL mode unless told otherwise', async () => {
    const store = new SqliteEventStore({ path: freshPath() });
    const relaxed = new SqliteEventStore({ path: freshPath(), synchronous: 'NORMAL' });
    try {
      expect(store.pragmas()).toEqual({ journalMode: 'wal', synchronous: 2 });
      expect(relaxed.pragmas().synchronous).toBe(1);
    } finally {
      await store.close();
      await relaxed.close();
    }
  });
});

describe('appends made in one turn of the event loop (one group commit)', () => {
  it('settle one by one: a conflicting append fails alone, the others are recorded in call order', async () => {
    const store = new SqliteEventStore({ path: freshPath() });
    try {
      await store.append('order-2', makeEvents('old', 1), NO_STREAM);
      // when: three appends in the same turn, the second with a stale expected revision
      const settled = await Promise.allSettled([
        store.append('order-1', makeEvents('a', 2), NO_STREAM),
        store.append('order-2', makeEvents('b', 1), NO_STREAM),
        store.append('order-3', makeEvents('c', 1), NO_STREAM),
      ]);
      // then
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(settled[1]).toMatchObject({ reason: { name: 'ConcurrencyError', expected: NO_STREAM, actual: 0 } });
      expect(settled[0]).toMatchObject({ value: { nextExpectedRevision: 1, position: 3 } });
      expect(settled[2]).toMatchObject({ value: { nextExpectedRevision: 0, position: 4 } });
      expect((await store.readAll(0, 10)).map((e) => `${e.position}:${e.id}`)).toEqual(['1:old-0', '2:a-0', '3:a-1', '4:c-0']);
    } finally {
      await store.close();
    }
  });

  it('answers a redelivered batch with its recorded position even when another append of the group is new', async () => {
    const store = new SqliteEventStore({ path: freshPath() });
    try {
      const first = await store.append('order-1', makeEvents('a', 2), NO_STREAM);
      const [again, fresh] = await Promise.all([
        store.append('order-1', makeEvents('a', 2), 1),
        store.append('order-2', makeEvents('b', 1), NO_STREAM),
      ]);
      expect(again).toEqual(first);
      expect(fresh).toEqual({ nextExpectedRevision: 0, position: 3 });
      await expect(store.append('order-3', makeEvents('a', 1), NO_STREAM)).rejects.toThrow('event id a-0 is already recorded in stream order-1');
      expect(await store.headPosition()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('are committed by close() when it comes before the group ran', async () => {
    const path = freshPath();
    const store = new SqliteEventStore({ path });
    const appended = store.append('order-1', makeEvents('a', 2), NO_STREAM);
    await store.close();
    await expect(appended).resolves.toEqual({ nextExpectedRevision: 1, position: 2 });
    const reopened = new SqliteEventStore({ path });
    try {
      expect((await reopened.readStream('order-1')).map((e) => e.id)).toEqual(['a-0', 'a-1']);
    } finally {
      await reopened.close();
    }
  });
});

describe('a file written before snapshots (the events table alone, as the previous version made it)', () => {
  it('opens as it is: its events keep their positions, new ones follow, and snapshots are kept beside them', async () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = new Database(path);
    // The previous version's DDL and rows, written without this code.
    old.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, revision INTEGER NOT NULL,
      id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream, revision));
      INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES
        ('order-1', 0, 'a-0', 'Tested', '{}', '{}', '2026-11-24T12:00:00.000Z'), ('order-1', 1, 'a-1', 'Tested', '{}', '{}', '2026-11-24T12:00:00.000Z');`);
    old.close();
    const store = new SqliteEventStore({ path });
    const snapshots = new SqliteSnapshotStore({ path });
    try {
      expect((await store.readAll(0, 10)).map((e) => [e.id, e.position])).toEqual([['a-0', 1], ['a-1', 2]]);
      expect(await store.append('order-1', makeEvents('b', 1), 1)).toEqual({ nextExpectedRevision: 2, position: 3 });
      await snapshots.save({ key: 'read-model', version: 1, position: 3, data: Buffer.from('state') });
      expect((await snapshots.newest('read-model'))?.position).toBe(3);
    } finally {
      await snapshots.close();
      await store.close();
    }
  });
});
