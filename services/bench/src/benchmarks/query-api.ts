import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SqliteEventStore } from '@ifreg/event-store';
import { NO_STREAM } from '@ifreg/ports';
import { repeat, type Figure } from '../measure';
import { capped, type BenchContext } from '../context';
import { bareServerMain } from '../support/paths';
import { getJson, startQueryService } from '../support/query-service';
import { registrations, sequentialIds } from '../support/registry-events';
import { ServiceProcess } from '@ifreg/testing';
import { percentile, sortedCopy } from '../support/stats';

const SCOPE = 'bench';
const INTERFACES = 65_535;

interface Case {
  readonly key: 'one' | 'page' | 'list';
  readonly name: string;
  readonly path: string;
  readonly connections: number;
  /** Seconds of load per sample. */
  readonly duration: number;
}

const CASES: readonly Case[] = [
  { key: 'one', name: 'GET one interface', path: `/v1/scopes/${SCOPE}/interfaces/32768`, connections: 10, duration: 3 },
  { key: 'page', name: 'GET list, a page of 100', path: `/v1/scopes/${SCOPE}/interfaces?limit=100&after=30000`, connections: 10, duration: 3 },
  // A full list is tens of megabytes: fewer connections, longer samples.
  { key: 'list', name: `GET list, all ${INTERFACES.toLocaleString('en-US')}`, path: `/v1/scopes/${SCOPE}/interfaces`, connections: 2, duration: 5 },
];

interface Load {
  readonly rps: number[];
  readonly p50: number[];
  readonly p99: number[];
}

async function load(url: string, c: Case, into: Load): Promise<void> {
  // autocannon's histograms keep whole milliseconds; the responses carry fractions.
  const times: number[] = [];
  const run = autocannon({ url, connections: c.connections, duration: c.duration, timeout: 60 });
  run.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) times.push(ms);
  });
  const result = await run;
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  const sorted = sortedCopy(times);
  into.rps.push(times.length / result.duration);
  into.p50.push(percentile(sorted, 50));
  into.p99.push(percentile(sorted, 99));
}

/** A store holding one scope with all 65,535 indexes registered, written with the adapter directly. */
async function fillStore(path: string): Promise<void> {
  const store = new SqliteEventStore({ path, synchronous: 'NORMAL' });
  try {
    const events = registrations(SCOPE, INTERFACES, sequentialIds('query-api'));
    let revision = NO_STREAM;
    for (let i = 0; i < events.length; i += 5000) revision = (await store.append(`registry-${SCOPE}`, events.slice(i, i + 5000), revision)).nextExpectedRevision;
  } finally {
    await store.close();
  }
}

/**
 * Requests per second and latency of the query service (spawned on a store of 65,535
 * registrations) against a bare fastify server (spawned too) answering the same paths with
 * static bodies of the same size. autocannon runs in this process: load tool and server
 * share the machine's cores, alike for both.
 */
export async function queryApiBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const dir = mkdtempSync(join(ctx.tmpDir, 'query-api-'));
  const storePath = join(dir, 'events.db');
  await fillStore(storePath);
  const { service, url } = await startQueryService({ IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: storePath }, ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir });
  let bare: ServiceProcess | undefined;
  try {
    const bodies: Record<string, string> = {};
    for (const c of CASES) {
      const text = JSON.stringify(await getJson(`${url}${c.path}`));
      const file = join(dir, `${c.key}.json`);
      writeFileSync(file, text);
      bodies[c.key] = file;
      ctx.log(`query-api: ${c.name} answers ${text.length.toLocaleString('en-US')} bytes`);
    }
    const list = await getJson<{ items: unknown[] }>(`${url}/v1/scopes/${SCOPE}/interfaces`);
    if (list.items.length !== INTERFACES) throw new Error(`the list has ${list.items.length} interfaces, not ${INTERFACES}`);
    bare = new ServiceProcess('bare-server', bareServerMain, { env: { BENCH_BARE_BODIES: JSON.stringify(bodies) } });
    const bareUrl = String((await bare.waitForLog('bare server listening', 30_000))['url']);

    const figures: Figure[] = [];
    const plan = capped(ctx, 3);
    const measured = (samples: number[]): number[] => samples.slice(plan.warmup);
    for (const c of CASES) {
      const ours: Load = { rps: [], p50: [], p99: [] };
      const base: Load = { rps: [], p50: [], p99: [] };
      // One sample of each in turn, so that a disturbance of the machine falls on both alike.
      await repeat(async () => {
        await load(`${url}${c.path}`, c, ours);
        await load(`${bareUrl}${c.path}`, c, base);
        return 0;
      }, plan);
      const baseline = (k: keyof Load) => ({ label: 'bare fastify, same-size static body', samples: measured(base[k]) });
      figures.push(
        { name: `${c.name} (${c.connections} connections, ${c.duration} s per sample)`, unit: 'requests/s', samples: measured(ours.rps), baseline: baseline('rps'), higherIsBetter: true, target: 0.6 },
        { name: `${c.name}, latency p50`, unit: 'ms', samples: measured(ours.p50), baseline: baseline('p50'), higherIsBetter: false },
        { name: `${c.name}, latency p99`, unit: 'ms', samples: measured(ours.p99), baseline: baseline('p99'), higherIsBetter: false },
      );
    }
    return figures;
  } finally {
    await bare?.stop();
    await service.stop();
  }
}
