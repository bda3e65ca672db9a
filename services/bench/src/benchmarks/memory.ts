import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decide, emptyReadModel, evolve, initialState, project, type RegistryEvent } from '@ifreg/domain';
import type { Figure } from '../measure';
import type { BenchContext } from '../context';
import { bareServerMain } from '../support/paths';
import { startQueryService } from '../support/query-service';
import { ServiceProcess, sleep } from '@ifreg/testing';

const PER_SCOPE = 65_535;

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Bytes of heap per registered interface in the read model, at 65,535 × `scopes`. */
export async function memoryBenchmark(ctx: BenchContext, scopes = 4): Promise<Figure[]> {
  const events: RegistryEvent[] = [];
  for (let s = 0; s < scopes; s++) {
    const state = initialState(`scope-${s}`);
    for (let i = 1; i <= PER_SCOPE; i++) {
      const decision = decide(state, {
        message: { type: 'InterfaceDetected', messageId: `s${s}-m${i}`, scope: `scope-${s}`, providerId: 'bench', luid: { ifType: 6, netLuidIndex: i }, info: { friendlyName: `eth${i}`, physAddress: '02:42:ac:11:00:02' } },
        receivedAt: '2026-11-24T12:00:00.000Z',
      });
      for (const event of decision.events) {
        evolve(state, event);
        events.push(event);
      }
    }
  }
  // The read model gets fresh objects, as when it reads the store; nothing is shared.
  const lines = events.map((event) => JSON.stringify(event));
  events.length = 0;
  const count = lines.length;
  const ours: number[] = [];
  const naive: number[] = [];
  // `keep` holds what is measured until after the measurement, so no GC frees it early.
  const bytesPer = (build: () => unknown): number => {
    const keep: unknown[] = [];
    const before = heapAfterGc();
    keep.push(build());
    const bytes = (heapAfterGc() - before) / count;
    keep.length = 0;
    return bytes;
  };
  for (let r = 0; r < ctx.repeats.repeats; r++) {
    ours.push(
      bytesPer(() => {
        const model = emptyReadModel();
        lines.forEach((line, i) => project(model, { event: JSON.parse(line) as RegistryEvent, position: i + 1 }));
        if (model.scopes.size !== scopes) throw new Error('read model incomplete');
        return model;
      }),
    );
    // Baseline: a cache of each event's JSON text, what a naive read model would keep.
    naive.push(bytesPer(() => new Map(lines.map((line, i) => [i, JSON.stringify(JSON.parse(line))]))));
  }
  ctx.log(`memory: ${count.toLocaleString('en-US')} interfaces over ${scopes} scopes`);
  lines.length = 0;
  return [
    ...(await atZero(ctx)),
    {
      name: `read model heap per interface (65,535 × ${scopes} scopes)`,
      unit: 'bytes',
      samples: ours,
      baseline: { label: 'a Map of the events as JSON strings', samples: naive },
      higherIsBetter: false,
      limit: 1024,
    },
  ];
}

/**
 * At 0 interfaces: the heap of an empty read model (1,000 of them, divided), against an empty
 * Map measured the same way; and the resident memory of an idle query service on an empty
 * store, against the bare fastify server of the query-api benchmark.
 */
async function atZero(ctx: BenchContext): Promise<Figure[]> {
  const perModel = (build: () => unknown): number => {
    const keep: unknown[] = [];
    const before = heapAfterGc();
    for (let i = 0; i < 1000; i++) keep.push(build());
    const bytes = (heapAfterGc() - before) / 1000;
    keep.length = 0;
    return bytes;
  };
  const empty: number[] = [];
  const map: number[] = [];
  for (let r = 0; r < ctx.repeats.repeats; r++) {
    empty.push(perModel(() => emptyReadModel()));
    map.push(perModel(() => new Map()));
  }

  const dir = mkdtempSync(join(ctx.tmpDir, 'memory-'));
  const bodies = Object.fromEntries(['list', 'page', 'one'].map((k) => [k, join(dir, `${k}.json`)]));
  for (const file of Object.values(bodies)) writeFileSync(file, '{}');
  const { service } = await startQueryService({ IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: join(dir, 'empty.db') });
  const bare = new ServiceProcess('bare-server', bareServerMain, { env: { BENCH_BARE_BODIES: JSON.stringify(bodies) } });
  const rss = { query: [] as number[], bare: [] as number[] };
  try {
    await bare.waitForLog('bare server listening', 30_000);
    for (let r = 0; r < ctx.repeats.repeats; r++) {
      await sleep(200);
      rss.query.push((service.rssBytes() ?? Number.NaN) / 2 ** 20);
      rss.bare.push((bare.rssBytes() ?? Number.NaN) / 2 ** 20);
    }
  } finally {
    await bare.stop();
    await service.stop();
  }
  return [
    {
      name: 'read model heap at 0 interfaces (an empty model)',
      unit: 'bytes',
      samples: empty,
      baseline: { label: 'an empty Map, measured the same way', samples: map },
      higherIsBetter: false,
    },
    {
      name: 'query service resident memory at 0 interfaces (idle, empty SQLite store)',
      unit: 'MiB',
      samples: rss.query,
      baseline: { label: 'bare fastify server process', samples: rss.bare },
      higherIsBetter: false,
    },
  ];
}
