import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_STREAM, PageReaderClosedError, type FoldableEvent, type PageReader } from '@ifreg/ports';
import { makeEvents } from '@ifreg/testing';
import { SqliteEventStore } from './sqlite-event-store';
import { ReadAheadError, SqliteReadAhead } from './sqlite-read-ahead';

let dir: string;
let path: string;
let store: SqliteEventStore;
let readers: PageReader[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-read-ahead-'));
  path = join(dir, 'events.db');
  store = new SqliteEventStore({ path });
  readers = [];
});

afterEach(async () => {
  await Promise.all(readers.map((r) => r.close()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function reader(...args: ConstructorParameters<typeof SqliteReadAhead>): SqliteReadAhead {
  const created = new SqliteReadAhead(...args);
  readers.push(created);
  return created;
}

async function all(from: PageReader): Promise<FoldableEvent[]> {
  const events: FoldableEvent[] = [];
  for (let page = await from.next(); page.length > 0; page = await from.next()) events.push(...page);
  return events;
}

describe('the SQLite read-ahead thread', () => {
  it('reads many pages, asking for more as the consumer takes them', async () => {
    await store.append('order-1', makeEvents('a', 50), NO_STREAM);
    const read = await all(reader(path, { from: 0, to: 47, pageSize: 3 }, { ahead: 2 }));
    expect(read.map((e) => e.position)).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
    expect(read[46]).toEqual({ position: 47, stream: 'order-1', data: { prefix: 'a', i: 46 } });
  });

  it('sees events appended through the store after it started', async () => {
    const ahead = reader(path, { from: 0, to: 3, pageSize: 10 });
    await store.append('order-1', makeEvents('a', 3), NO_STREAM);
    // The thread may have read before the append (an empty range then) or after it: never half of it.
    const read = await all(ahead);
    expect([0, 3]).toContain(read.length);
  });

  it('fails next() with a clear error when the file cannot be opened', async () => {
    const missing = reader(join(dir, 'missing.db'), { from: 0, to: 10, pageSize: 10 });
    await expect(missing.next()).rejects.toThrow(ReadAheadError);
    await expect(missing.next()).rejects.toThrow(/reading the SQLite store ahead failed: .*(unable to open|does not exist)/);
  });

  it('fails next() when the thread dies, instead of waiting for it', async () => {
    const big = 'x'.repeat(20_000);
    await store.append('order-1', Array.from({ length: 1000 }, (_, i) => ({ id: `big-${i}`, type: 'Tested', data: { big, i } })), NO_STREAM);
    // 20 MB of event data in one page, read by a thread allowed 8 MB of heap: node ends it.
    const starved = reader(path, { from: 0, to: 1000, pageSize: 1000 }, { resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 } });
    await expect(all(starved)).rejects.toThrow(/the SQLite read-ahead thread failed: .*memory limit/);
  });

  it('fails next() naming the position of an event whose data is not JSON', async () => {
    await store.append('order-1', makeEvents('a', 3), NO_STREAM);
    const raw = new Database(path);
    raw.prepare("UPDATE events SET data = '{not json' WHERE position = 2").run();
    raw.close();
    await expect(all(reader(path, { from: 0, to: 3, pageSize: 10 }))).rejects.toThrow('the event at position 2 holds data that is not JSON');
  });

  it('settles a next() that waits when it is closed', async () => {
    await store.append('order-1', makeEvents('a', 3), NO_STREAM);
    const closing = reader(path, { from: 0, to: 3, pageSize: 10 });
    const waiting = Promise.allSettled([closing.next()]);
    await closing.close();
    const [settled] = await waiting;
    expect(settled?.status === 'fulfilled' || (settled?.status === 'rejected' && settled.reason instanceof PageReaderClosedError)).toBe(true);
  });
});
