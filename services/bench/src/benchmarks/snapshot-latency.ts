import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '@ifreg/event-store';
import { NO_STREAM } from '@ifreg/ports';
import type { Figure } from '../measure';
import type { BenchContext } from '../context';
import { getJson, startQueryService } from '../support/query-service';
import { registrations, sequentialIds } from '../support/registry-events';
import { percentile, sortedCopy } from '../support/stats';

const SCOPES = 64;
const PER_SCOPE = 1000;
const CONCURRENCY = 4;
/** Windows with and without snapshots alternate, so that a busy spell of the machine falls on both. */
const WINDOW_MS = 2000;
const ROUNDS = 5;

/** GET one interface (a different one each time) from `CONCURRENCY` loops until `until` resolves; the latencies in ms. */
async function load(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  let n = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (!done) {
      const i = n++;
      const started = process.hrtime.bigint();
      const response = await fetch(`${url}/v1/scopes/host-${i % SCOPES}/interfaces/${1 + (i % PER_SCOPE)}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET one interface: ${response.status}`);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }));
  return latencies;
}

/**
 * The p99 of GET one interface while the read model's snapshot is written (POST
 * /v1/admin/snapshot back to back for the whole window), beside its p99 in a window without
 * one, on a model of 64 scopes × 1,000 interfaces (SQLite). Target: within 2×.
 */
export async function snapshotLatency(ctx: BenchContext): Promise<Figure> {
  const path = join(mkdtempSync(join(ctx.tmpDir, 'snapshot-latency-')), 'events.db');
  const store = new SqliteEventStore({ path, synchronous: 'NORMAL' });
  const eventId = sequentialIds('snap');
  for (let s = 0; s < SCOPES; s++) await store.append(`registry-host-${s}`, registrations(`host-${s}`, PER_SCOPE, eventId), NO_STREAM);
  await store.close();
  const { service, url } = await startQueryService({ IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: path, IFREG_SNAPSHOT_EVERY_EVENTS: '1000000000' });
  try {
    await load(url, new Promise((resolve) => setTimeout(resolve, 1000))); // warm-up
    const quiet: number[] = [];
    const during: number[] = [];
    let snapshots = 0;
    for (let round = 0; round < ROUNDS; round++) {
      quiet.push(percentile(sortedCopy(await load(url, new Promise((resolve) => setTimeout(resolve, WINDOW_MS)))), 99));
      const writing = (async () => {
        for (const end = Date.now() + WINDOW_MS; Date.now() < end; snapshots++) await getJson(`${url}/v1/admin/snapshot`, { method: 'POST' });
      })();
      during.push(percentile(sortedCopy(await load(url, writing)), 99));
    }
    ctx.log(`snapshot-latency: GET one interface p99 ${during.map((d) => d.toFixed(1)).join(', ')} ms while ${snapshots} snapshots were written back to back, ${quiet.map((d) => d.toFixed(1)).join(', ')} ms without`);
    return {
      name: `GET one interface, p99 while the read model's snapshot is written (${SCOPES} scopes × ${PER_SCOPE.toLocaleString('en-US')} interfaces, SQLite, ${CONCURRENCY} clients)`,
      unit: 'ms',
      samples: during,
      baseline: { label: 'p99 without a snapshot, same service', samples: quiet },
      higherIsBetter: false,
      target: 0.5,
    };
  } finally {
    await service.stop();
  }
}
