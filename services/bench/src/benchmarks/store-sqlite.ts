import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '@ifreg/event-store';
import { NO_STREAM, type EventData } from '@ifreg/ports';
import { perSecond, repeat, type Figure } from '../measure';
import type { BenchContext } from '../context';
import { STORE_BATCH as BATCH, STORE_EVENTS as EVENTS, STORE_STREAMS as STREAMS, storeSampleEvents as eventsFor } from '../support/store-sample';


/** ifreg's SQLite adapter against the same rows written and read with better-sqlite3 directly. */
export async function sqliteStoreBenchmark(ctx: BenchContext): Promise<Figure[]> {
  let run = 0;
  const dirs: string[] = [];
  const fresh = (): string => {
    const dir = mkdtempSync(join(ctx.tmpDir, 'sqlite-'));
    dirs.push(dir);
    return join(dir, 'bench.db');
  };

  const ours = { append: [] as number[], read: [] as number[] };
  const raw = { append: [] as number[], read: [] as number[] };
  await repeat(async () => {
    const events = eventsFor(run++);
    const store = new SqliteEventStore({ path: fresh() });
    const revisions = new Map<string, number>();
    let started = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const stream = `registry-s${(i / BATCH) % STREAMS}`;
      const result = await store.append(stream, events.slice(i, i + BATCH), revisions.get(stream) ?? NO_STREAM);
      revisions.set(stream, result.nextExpectedRevision);
    }
    ours.append.push(perSecond(EVENTS, started));
    started = process.hrtime.bigint();
    let from = 0;
    for (;;) {
      const page = await store.readAll(from, BATCH);
      if (page.length === 0) break;
      from = page.at(-1)?.position ?? from;
    }
    ours.read.push(perSecond(EVENTS, started));
    await store.close();
    return 0;
  }, ctx.repeats);

  await repeat(() => {
    const events = eventsFor(run++);
    const db = new Database(fresh());
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT, revision INTEGER, id TEXT UNIQUE, type TEXT, data TEXT, metadata TEXT, recorded_at TEXT, UNIQUE(stream, revision))');
    const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const revisions = new Map<string, number>();
    const appendBatch = db.transaction((stream: string, batch: EventData[]) => {
      let revision = revisions.get(stream) ?? -1;
      const at = new Date().toISOString();
      for (const e of batch) insert.run(stream, ++revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), at);
      revisions.set(stream, revision);
    });
    let started = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += BATCH) appendBatch(`registry-s${(i / BATCH) % STREAMS}`, events.slice(i, i + BATCH));
    raw.append.push(perSecond(EVENTS, started));
    const select = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?');
    started = process.hrtime.bigint();
    let from = 0;
    for (;;) {
      const rows = select.all(from, BATCH) as { position: number; data: string; metadata: string }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        JSON.parse(row.data);
        JSON.parse(row.metadata);
      }
      from = rows.at(-1)?.position ?? from;
    }
    raw.read.push(perSecond(EVENTS, started));
    db.close();
    return 0;
  }, ctx.repeats);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  // The runs push their rates themselves: drop the warm-ups'.
  const measured = (samples: number[]): number[] => samples.slice(ctx.repeats.warmup);

  return [
    {
      name: `SQLite append, ${EVENTS.toLocaleString('en-US')} events in batches of ${BATCH} (synchronous=FULL)`,
      unit: 'events/s',
      samples: measured(ours.append),
      baseline: { label: 'better-sqlite3 directly, same rows and transactions', samples: measured(raw.append) },
      higherIsBetter: true,
    },
    {
      name: 'SQLite read-all in pages of 1,000',
      unit: 'events/s',
      samples: measured(ours.read),
      baseline: { label: 'better-sqlite3 SELECT + JSON.parse', samples: measured(raw.read) },
      higherIsBetter: true,
    },
  ];
}
