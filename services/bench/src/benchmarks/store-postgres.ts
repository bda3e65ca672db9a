import { Client } from 'pg';
import { PostgresEventStore } from '@ifreg/event-store';
import { NO_STREAM } from '@ifreg/ports';
import { perSecond, repeat, type Figure } from '../measure';
import type { BenchContext } from '../context';
import { STORE_BATCH as BATCH, STORE_EVENTS as EVENTS, STORE_STREAMS as STREAMS, storeSampleEvents as eventsFor } from '../support/store-sample';
import { createRawEventsTable, dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';


interface Rates {
  readonly append: number[];
  readonly read: number[];
}

/** One run of ifreg's adapter: a fresh schema, 100 appends of 1,000 events over 10 streams, then read-all in pages. */
async function runStore(run: number, out: Rates): Promise<void> {
  const events = eventsFor(run);
  const schema = freshSchema('store');
  const store = await PostgresEventStore.create({ connectionString: postgresUrl(), schema, poolSize: 2 });
  try {
    const revisions = new Map<string, number>();
    let started = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const stream = `registry-s${(i / BATCH) % STREAMS}`;
      const result = await store.append(stream, events.slice(i, i + BATCH), revisions.get(stream) ?? NO_STREAM);
      revisions.set(stream, result.nextExpectedRevision);
    }
    out.append.push(perSecond(EVENTS, started));
    started = process.hrtime.bigint();
    let from = 0;
    let read = 0;
    for (;;) {
      const page = await store.readAll(from, BATCH);
      if (page.length === 0) break;
      read += page.length;
      from = page.at(-1)?.position ?? from;
    }
    out.read.push(perSecond(EVENTS, started));
    if (read !== EVENTS) throw new Error(`read ${read} of ${EVENTS} events`);
  } finally {
    await store.close();
    await dropSchema(schema);
  }
}

/**
 * The baseline: node-postgres and no ifreg code, the same table (columns, keys, jsonb) and
 * the same rows, one INSERT … SELECT FROM jsonb_array_elements($batch) per batch of 1,000,
 * each its own transaction (on this machine the fastest of a multi-row VALUES of 7,000
 * parameters, unnest() of column arrays and this); read with the same SELECT. What it skips
 * is what the store adds: the append lock, the expected-revision and idempotency checks of
 * append_events, the NOTIFY.
 */
async function runRaw(run: number, out: Rates): Promise<void> {
  const events = eventsFor(run);
  const schema = freshSchema('raw');
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const { table, insert } = await createRawEventsTable(client, schema);
    const revisions = new Map<string, number>();
    let position = 0;
    let started = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const stream = `registry-s${(i / BATCH) % STREAMS}`;
      const revision = revisions.get(stream) ?? -1;
      const batch = events.slice(i, i + BATCH);
      const docs = JSON.stringify(batch.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata ?? {} })));
      await client.query({ name: `${schema}-insert`, text: insert, values: [position, stream, revision, docs] });
      position += batch.length;
      revisions.set(stream, revision + batch.length);
    }
    out.append.push(perSecond(EVENTS, started));
    const select = `SELECT position, stream, revision, id, type, data, metadata, recorded_at FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`;
    started = process.hrtime.bigint();
    let from = 0;
    let read = 0;
    for (;;) {
      const { rows } = await client.query<{ position: string }>({ name: `${schema}-select`, text: select, values: [from, BATCH] });
      if (rows.length === 0) break;
      read += rows.length;
      from = Number(rows.at(-1)?.position ?? from);
    }
    out.read.push(perSecond(EVENTS, started));
    if (read !== EVENTS) throw new Error(`read ${read} of ${EVENTS} rows`);
  } finally {
    await client.end();
    await dropSchema(schema);
  }
}

/** ifreg's PostgreSQL adapter against the same rows written and read with node-postgres directly. */
export async function postgresStoreBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) {
    ctx.log(`store-postgres: skipped, PostgreSQL at ${postgresUrl()} is unreachable (${unavailable})`);
    return [];
  }
  let run = 0;
  const ours: Rates = { append: [], read: [] };
  const raw: Rates = { append: [], read: [] };
  // Interleaved, so that a disturbance of the machine falls on both alike; warm-ups are dropped.
  await repeat(async () => {
    await runStore(run++, ours);
    await runRaw(run++, raw);
    return 0;
  }, ctx.repeats);
  const measured = (samples: number[]): number[] => samples.slice(ctx.repeats.warmup);
  return [
    {
      name: `PostgreSQL append, ${EVENTS.toLocaleString('en-US')} events in batches of ${BATCH} (synchronous_commit on)`,
      unit: 'events/s',
      samples: measured(ours.append),
      baseline: { label: 'node-postgres directly, one INSERT … jsonb_array_elements per batch', samples: measured(raw.append) },
      higherIsBetter: true,
    },
    {
      name: `PostgreSQL read-all in pages of ${BATCH.toLocaleString('en-US')}`,
      unit: 'events/s',
      samples: measured(ours.read),
      baseline: { label: 'node-postgres, the same SELECT', samples: measured(raw.read) },
      higherIsBetter: true,
    },
  ];
}
