import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  PostgresEventStore, PostgresSnapshotStore, SqliteEventStore, SqliteSnapshotStore, type SnapshotSettings, type StoreSettings,
} from '@ifreg/event-store';
import type { EventStore, SnapshotStore } from '@ifreg/ports';
import { SERVICE_NODE_FLAGS } from '@ifreg/platform';
import { summarize, type Figure } from '../measure';
import type { BenchContext } from '../context';
import { growByRebootChurn, type ChurnShape } from '../support/history-store';
import { ROOT } from '../support/paths';
import { dropSchema, freshSchema, postgresUnavailable, postgresUrl } from '../support/postgres';
import { getJson, startQueryService } from '../support/query-service';

const run = promisify(execFile);

/** The live set of the measurement: 200 scopes of 10 interfaces, grown by reboots. */
const SHAPE: ChurnShape = { scopes: 200, interfaces: 10, roundsPerAppend: 10, scopeSnapshotEvery: 250 };
/** History lengths; IFREG_BENCH_HISTORY_SIZES overrides (e.g. 100000,1000000,5000000). */
const sizes = (): number[] => (process.env['IFREG_BENCH_HISTORY_SIZES'] ?? '100000,1000000').split(',').map(Number);
/** Stores measured; IFREG_BENCH_HISTORY_STORES narrows them (e.g. sqlite), for the long runs. */
const storesWanted = (): string[] => (process.env['IFREG_BENCH_HISTORY_STORES'] ?? 'sqlite,postgres').split(',');
const COLD_SCOPES = ['host-3', 'host-57', 'host-101', 'host-149', 'host-188'];
/** Restarts from the snapshot measured per store (the median is reported). */
const RESTARTS = 3;

interface Kind {
  readonly name: 'sqlite' | 'postgres';
  readonly open: () => Promise<{ store: EventStore; snapshots: SnapshotStore; settings: StoreSettings; env: Record<string, string>; drop: () => Promise<void> }>;
}

interface Measured {
  readonly events: number;
  /** Query service: ready after a restart without snapshots (folding from the start, as before snapshots), and with its snapshot. */
  readonly foldMs: number;
  readonly readyMs: number;
  readonly queryRss: number;
  readonly decisionMs: number;
  readonly registrarRss: number;
}

const snapshotSettings: SnapshotSettings = { kind: 'store', keep: 2, everyEvents: 100_000, everyMs: 600_000, scopeEvery: SHAPE.scopeSnapshotEvery };

const kinds = (ctx: BenchContext): Kind[] => [
  {
    name: 'sqlite',
    open: async () => {
      const path = join(mkdtempSync(join(ctx.tmpDir, 'history-')), 'events.db');
      return {
        store: new SqliteEventStore({ path, synchronous: 'NORMAL' }),
        snapshots: new SqliteSnapshotStore({ path }),
        settings: { kind: 'sqlite', sqlitePath: path, synchronous: 'NORMAL' },
        env: { IFREG_STORE: 'sqlite', IFREG_SQLITE_PATH: path, IFREG_SQLITE_SYNC: 'NORMAL' },
        drop: async () => undefined,
      };
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const schema = freshSchema('history');
      const url = postgresUrl();
      return {
        store: await PostgresEventStore.create({ connectionString: url, schema }),
        snapshots: new PostgresSnapshotStore({ connectionString: url, schema }),
        settings: { kind: 'postgres', url, schema },
        env: { IFREG_STORE: 'postgres', IFREG_POSTGRES_URL: url, IFREG_POSTGRES_SCHEMA: schema },
        drop: () => dropSchema(schema),
      };
    },
  },
];

/** Spawn to "caught up", in ms, and the service's RSS then; the service is stopped after `then`. */
async function queryStart(ctx: BenchContext, env: Record<string, string>, then: (url: string) => Promise<void> = async () => undefined): Promise<{ ms: number; rss: number }> {
  const started = process.hrtime.bigint();
  const { service, url } = await startQueryService(env, { timeoutMs: 1_800_000, ...(ctx.cpuProfDir === undefined ? {} : { cpuProfDir: ctx.cpuProfDir }) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  try {
    const rss = service.rssBytes();
    if (rss === undefined) throw new Error('the query service exited as it became ready');
    await then(url);
    return { ms, rss };
  } finally {
    await service.stop();
  }
}

async function registrarChild(settings: StoreSettings): Promise<{ decisionMs: number[]; rss: number }> {
  const script = join(ROOT, 'services', 'bench', 'dist', 'history-registrar-child.js');
  const { stdout } = await run(process.execPath, [...SERVICE_NODE_FLAGS, script], {
    env: { ...process.env, BENCH_STORE: JSON.stringify(settings), BENCH_SNAPSHOTS: JSON.stringify(snapshotSettings), BENCH_COLD_SCOPES: COLD_SCOPES.join(',') },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { decisionMs: number[]; rss: number };
}

async function measure(ctx: BenchContext, kind: Kind, size: number): Promise<Measured> {
  const opened = await kind.open();
  try {
    const started = process.hrtime.bigint();
    const events = await growByRebootChurn(opened.store, opened.snapshots, size, SHAPE, `history-${kind.name}-${size}`);
    await opened.snapshots.close();
    await opened.store.close();
    ctx.log(`history: ${kind.name}, ${events.toLocaleString('en-US')} events written in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
    // Before: no snapshot to start from, the whole history folded (what every start did before snapshots).
    const fold = await queryStart(ctx, { ...opened.env, IFREG_SNAPSHOTS: 'off' });
    // A first start with snapshots folds all too; it writes one on request before it stops.
    await queryStart(ctx, { ...opened.env, IFREG_SNAPSHOTS: 'store' }, async (url) => void (await getJson(`${url}/v1/admin/snapshot`, { method: 'POST' })));
    const restarts: { ms: number; rss: number }[] = [];
    for (let i = 0; i < RESTARTS; i++) restarts.push(await queryStart(ctx, { ...opened.env, IFREG_SNAPSHOTS: 'store' }));
    const ready = { ms: summarize(restarts.map((r) => r.ms)).median, rss: summarize(restarts.map((r) => r.rss)).median };
    const registrar = await registrarChild(opened.settings);
    const decisionMs = summarize(registrar.decisionMs).median;
    ctx.log(`history: ${kind.name} ${events.toLocaleString('en-US')}: query ready ${Math.round(ready.ms)} ms (without snapshot ${Math.round(fold.ms)} ms), RSS ${mib(ready.rss)} MiB; registrar cold-scope decision ${decisionMs.toFixed(1)} ms (${registrar.decisionMs.map((d) => d.toFixed(1)).join(', ')}), RSS ${mib(registrar.rss)} MiB`);
    return { events, foldMs: fold.ms, readyMs: ready.ms, queryRss: ready.rss, decisionMs, registrarRss: registrar.rss };
  } finally {
    await opened.drop();
  }
}

const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/**
 * `npm run bench -- history`: stores of 100,000 and 1,000,000 events (IFREG_BENCH_HISTORY_SIZES,
 * IFREG_BENCH_HISTORY_STORES)
 * grown by reboot churn over the same live set, on SQLite and PostgreSQL: the query service's
 * ready-after-restart time (from its snapshot) and RSS, the registrar's first decision in a cold
 * scope and its RSS, each against the smallest history (target ≤ 1.5× for 10× the history, i.e.
 * a ratio ≥ 0.67); and the restart without a snapshot against the restart with one.
 */
export async function historyBenchmark(ctx: BenchContext): Promise<Figure[]> {
  const figures: Figure[] = [];
  const unavailable = await postgresUnavailable();
  for (const kind of kinds(ctx).filter((k) => storesWanted().includes(k.name))) {
    if (kind.name === 'postgres' && unavailable !== undefined) {
      ctx.log(`history: PostgreSQL unavailable (${unavailable}), skipped`);
      continue;
    }
    const results: Measured[] = [];
    for (const size of sizes()) results.push(await measure(ctx, kind, size));
    const [smallest, ...larger] = results;
    if (smallest === undefined) continue;
    const label = (m: Measured): string => `${m.events.toLocaleString('en-US')} events`;
    for (const m of larger) {
      const against = (name: string, unit: string, ours: number, base: number): Figure => ({
        name: `${kind.name}, ${name}, ${label(m)}`, unit, samples: [ours], baseline: { label: label(smallest), samples: [base] }, higherIsBetter: false, target: 0.67,
      });
      figures.push(
        against('query service ready after a restart (from its snapshot)', 'ms', m.readyMs, smallest.readyMs),
        against('query service RSS', 'MiB', mib(m.queryRss), mib(smallest.queryRss)),
        against("registrar's first decision in a cold scope (median of 5)", 'ms', m.decisionMs, smallest.decisionMs),
        against('registrar RSS', 'MiB', mib(m.registrarRss), mib(smallest.registrarRss)),
      );
    }
    for (const m of results) {
      figures.push({
        name: `${kind.name}, query service ready after a restart, ${label(m)}: with its snapshot, against folding the whole store (no snapshot, as before)`,
        unit: 'ms', samples: [m.readyMs], baseline: { label: 'IFREG_SNAPSHOTS=off, same store', samples: [m.foldMs] }, higherIsBetter: false,
      });
    }
  }
  return figures;
}
