import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '@ifreg/event-store';
import { NO_STREAM } from '@ifreg/ports';
import { perSecond, repeat, type Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { getJson, startQueryService } from '../support/query-service';
import { churn, sequentialIds } from '../support/registry-events';
import { sleep } from '@ifreg/testing';

const EVENTS = 1_000_000;
const SCOPES = 64;
/** The read model's batch when it rebuilds (ReadModelService's default); the raw read uses the same pages. */
const PAGE = 1_000;

interface RebuildStatus {
  readonly running: boolean;
  readonly position: number;
  readonly target: number;
  readonly events?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly error?: string;
}

/**
 * 1,000,000 events over 64 scopes, as the registrar records them (registrations, removals,
 * conflicts, reboots; see churn()), appended scope by scope in rounds of 1,000-event batches.
 * synchronous=NORMAL and increasing event ids: this only prepares a file, fast.
 */
export async function generate(path: string): Promise<number> {
  const store = new SqliteEventStore({ path, synchronous: 'NORMAL' });
  try {
    const perScope = EVENTS / SCOPES;
    const eventId = sequentialIds('rebuild');
    const streams = Array.from({ length: SCOPES }, (_, s) => ({ name: `registry-host-${s}`, events: churn(`host-${s}`, perScope, 1000, eventId), revision: NO_STREAM, done: false }));
    let written = 0;
    while (streams.some((s) => !s.done)) {
      for (const stream of streams) {
        const next = stream.events.next();
        if (next.done) {
          stream.done = true;
          continue;
        }
        stream.revision = (await store.append(stream.name, next.value, stream.revision)).nextExpectedRevision;
        written += next.value.length;
      }
    }
    return written;
  } finally {
    await store.close();
  }
}

/** The store's own rate: SqliteEventStore.readAll in the rebuild's pages, over the same file, nothing else. */
async function readAllRate(path: string): Promise<number> {
  const store = new SqliteEventStore({ path });
  try {
    const started = process.hrtime.bigint();
    let from = 0;
    let read = 0;
    for (;;) {
      const page = await store.readAll(from, PAGE);
      if (page.length === 0) break;
      read += page.length;
      from = page.at(-1)?.position ?? from;
    }
    return perSecond(read, started);
  } finally {
    await store.close();
  }
}

/**
 * The rebuild's own read path alone, for the log: SqliteEventStore.readAhead (a reader thread,
 * pages parsed on this thread as they are taken) over the same file, nothing folded.
 */
async function readAheadRate(path: string): Promise<number> {
  const store = new SqliteEventStore({ path });
  const reader = store.readAhead({ from: 0, to: await store.headPosition(), pageSize: PAGE });
  try {
    const started = process.hrtime.bigint();
    let read = 0;
    for (let page = await reader.next(); page.length > 0; page = await reader.next()) read += page.length;
    return perSecond(read, started);
  } finally {
    await reader.close();
    await store.close();
  }
}

/** One rebuild through the running service's admin API; events/s from the service's own start and finish times. */
async function rebuildRate(url: string): Promise<number> {
  const endpoint = `${url}/v1/admin/rebuild`;
  let status = await getJson<RebuildStatus>(endpoint, { method: 'POST' });
  while (status.running) {
    await sleep(50);
    status = await getJson<RebuildStatus>(endpoint);
  }
  if (status.error !== undefined || status.startedAt === undefined || status.finishedAt === undefined) throw new Error(`rebuild failed: ${JSON.stringify(status)}`);
  const seconds = (Date.parse(status.finishedAt) - Date.parse(status.startedAt)) / 1000;
  return (status.events ?? 0) / seconds;
}

/**
 * Rebuild of the read model from a store of 1,000,000 events by a running query service
 * (POST /v1/admin/rebuild, then GET until done), against the store's raw read-all rate.
 * The file is generated once and reused by every repetition; the service's start-up
 * catch-up (the same events through the same reducer) serves as the warm-up.
 */
export async function rebuildBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const path = join(mkdtempSync(join(ctx.tmpDir, 'rebuild-')), 'events.db');
  let started = process.hrtime.bigint();
  const written = await generate(path);
  ctx.log(`rebuild: generated ${written.toLocaleString('en-US')} events over ${SCOPES} scopes at ${Math.round(perSecond(written, started)).toLocaleString('en-US')} events/s`);
  started = process.hrtime.bigint();
  const { service, url } = await startQueryService({ IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: path }, ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir });
  ctx.log(`rebuild: the query service caught up with them in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s (start-up)`);
  // A catch-up of more than 100,000 events ends with a snapshot, serialised between the folds
  // of whatever runs then: the first timed rebuild waits for it rather than sharing the thread.
  const snapshot = await service.waitForLog('read model snapshot written', 300_000);
  ctx.log(`rebuild: the start-up snapshot written in ${String(snapshot['ms'])} ms (${Math.round(Number(snapshot['bytes']) / 2 ** 20)} MiB)`);
  const plan = capped(ctx, 3, 0);
  const ours: number[] = [];
  const raw: number[] = [];
  const ahead: number[] = [];
  try {
    await repeat(async () => {
      ours.push(await rebuildRate(url));
      raw.push(await readAllRate(path));
      ahead.push(await readAheadRate(path));
      return 0;
    }, plan);
    const rates = (samples: number[]): string => samples.slice(plan.warmup).map((r) => Math.round(r).toLocaleString('en-US')).join(', ');
    ctx.log(`rebuild: its read path alone (SqliteEventStore.readAhead: a reader thread, data parsed here, nothing folded) ${rates(ahead)} events/s; readAll (the baseline) ${rates(raw)}`);
    ctx.log(`rebuild: query service RSS after the rebuilds ${((service.rssBytes() ?? Number.NaN) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await service.stop();
  }
  return [
    {
      name: `read model rebuild, ${written.toLocaleString('en-US')} events over ${SCOPES} scopes (SQLite, POST /v1/admin/rebuild)`,
      unit: 'events/s',
      samples: ours.slice(plan.warmup),
      baseline: { label: `SqliteEventStore.readAll in pages of ${PAGE.toLocaleString('en-US')}, same file`, samples: raw.slice(plan.warmup) },
      higherIsBetter: true,
      target: 0.8,
    },
  ];
}
