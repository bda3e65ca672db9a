import { Client } from 'pg';
import { PostgresEventStore } from '@ifreg/event-store';
import { NO_STREAM } from '@ifreg/ports';
import { capped, type BenchContext } from '../context';
import { perSecond, repeat, type Figure } from '../measure';
import { createRawEventsTable, dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';
import { STORE_BATCH as BATCH, storeSampleEvents } from '../support/store-sample';

const EVENTS = 40_000;
const APPENDERS = [1, 2, 4] as const;

type Rates = Map<number, number[]>;

/** Splits the run's events among `n` appenders, each with streams of its own. */
function shares(run: number, n: number): ReturnType<typeof storeSampleEvents>[] {
  const events = storeSampleEvents(run).slice(0, EVENTS);
  return Array.from({ length: n }, (_, k) => events.filter((_, i) => Math.floor(i / BATCH) % n === k));
}

/** `n` adapters (one connection each, as `n` registrar processes), appending batches at once. */
async function runStore(run: number, n: number, out: Rates): Promise<void> {
  const schema = freshSchema('scaleout');
  const first = await PostgresEventStore.create({ connectionString: postgresUrl(), schema, poolSize: 1 });
  const stores = [first, ...(await Promise.all(Array.from({ length: n - 1 }, () => PostgresEventStore.create({ connectionString: postgresUrl(), schema, poolSize: 1 }))))];
  try {
    const work = shares(run, n);
    const started = process.hrtime.bigint();
    await Promise.all(
      stores.map(async (store, k) => {
        const events = work[k] ?? [];
        for (let i = 0; i < events.length; i += BATCH) await store.append(`registry-a${k}-${i / BATCH}`, events.slice(i, i + BATCH), NO_STREAM);
      }),
    );
    out.get(n)?.push(perSecond(EVENTS, started));
    let read = 0;
    for (let from = 0, page = await first.readAll(from, BATCH); page.length > 0; from = page.at(-1)?.position ?? from, page = await first.readAll(from, BATCH)) read += page.length;
    if (read !== EVENTS) throw new Error(`read ${read} of ${EVENTS} events`);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  }
}

/** The same rows from `n` node-postgres clients into the bare table: what the server and machine allow. */
async function runRaw(run: number, n: number, out: Rates): Promise<void> {
  const schema = freshSchema('scaleout_raw');
  const clients = Array.from({ length: n }, () => new Client({ connectionString: postgresUrl() }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    const { insert } = await createRawEventsTable(clients[0] as Client, schema);
    const work = shares(run, n);
    const started = process.hrtime.bigint();
    await Promise.all(
      clients.map(async (client, k) => {
        const events = work[k] ?? [];
        for (let i = 0; i < events.length; i += BATCH) {
          const batch = events.slice(i, i + BATCH);
          const docs = JSON.stringify(batch.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata ?? {} })));
          await client.query(insert, [k * EVENTS + i, `registry-a${k}-${i / BATCH}`, -1, docs]);
        }
      }),
    );
    out.get(n)?.push(perSecond(EVENTS, started));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await dropSchema(schema);
  }
}

/** Batch appends to different streams from 1, 2 and 4 appenders at once: does the store scale out? */
export async function storeScaleOutBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const unavailable = await postgresUnavailable();
  if (unavailable !== undefined) {
    ctx.log(`store-scaleout: skipped, PostgreSQL at ${postgresUrl()} is unreachable (${unavailable})`);
    return [];
  }
  const ours: Rates = new Map(APPENDERS.map((n) => [n, []]));
  const raw: Rates = new Map(APPENDERS.map((n) => [n, []]));
  let run = 0;
  const reps = capped(ctx, 3);
  // Interleaved, so that a disturbance of the machine falls on every count alike.
  await repeat(async () => {
    for (const n of APPENDERS) {
      await runStore(run++, n, ours);
      await runRaw(run++, n, raw);
    }
    return 0;
  }, reps);
  const measured = (samples: readonly number[] | undefined): number[] => (samples ?? []).slice(reps.warmup);
  return APPENDERS.filter((n) => n > 1).flatMap((n): Figure[] => [
    {
      name: `PostgreSQL append from ${n} appenders at once, different streams, batches of ${BATCH}`,
      unit: 'events/s',
      samples: measured(ours.get(n)),
      baseline: { label: 'the same adapter, 1 appender', samples: measured(ours.get(1)) },
      higherIsBetter: true,
      note: `the same rows from ${n} node-postgres clients into the bare table: ${ratioText(raw, n, reps.warmup)} of 1 client (what the server and this machine's 2 cores allow)`,
    },
  ]);
}

function ratioText(rates: Rates, n: number, warmup: number): string {
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const one = median(rates.get(1)?.slice(warmup) ?? []);
  const many = median(rates.get(n)?.slice(warmup) ?? []);
  return one > 0 ? `${(many / one).toFixed(2)}×` : 'n/a';
}
