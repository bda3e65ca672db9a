import '@ifreg/platform/require-supported-node';
import { DEFAULT_OPTIONS } from '@ifreg/domain';
import { openEventStore, openSnapshotStore, type SnapshotSettings, type StoreSettings } from '@ifreg/event-store';
import { InProcessTransport } from '@ifreg/messaging';
import type { InboundMessage } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { RegistrarService, ScopeCache, createRegistrarMetrics } from '@ifreg/registrar';

/*
 * A registrar in this process on an existing store (BENCH_STORE, BENCH_SNAPSHOTS: JSON store and
 * snapshot settings): the time of its first decision in each of BENCH_COLD_SCOPES cold scopes
 * (a new interface detected; the scope loaded from its snapshot and the stream's tail), then its
 * RSS. Prints one JSON line.
 */
const log = createLogger({ level: 'warn', name: 'history-registrar' });
const scopes = (process.env['BENCH_COLD_SCOPES'] ?? 'host-0').split(',');

const detection = (scope: string): InboundMessage => ({
  key: scope,
  value: JSON.stringify({
    type: 'InterfaceDetected', schemaVersion: 1, messageId: `cold-${scope}-${Date.now()}`, scope, providerId: 'bench-agent',
    luid: { ifType: 6, netLuidIndex: 1000 }, info: { friendlyName: 'cold0' }, detectedAt: '2026-11-24T12:00:00.000Z',
  }),
  headers: {},
  origin: { transport: 'bench' },
});

async function main(): Promise<void> {
  const settings = JSON.parse(process.env['BENCH_STORE'] ?? '{}') as StoreSettings;
  const snapshotSettings = JSON.parse(process.env['BENCH_SNAPSHOTS'] ?? '{}') as SnapshotSettings;
  const store = await openEventStore(settings);
  const snapshots = openSnapshotStore(settings, snapshotSettings);
  const cache = new ScopeCache(store, DEFAULT_OPTIONS, log, 0, { store: snapshots, everyEvents: snapshotSettings.scopeEvery });
  const transport = new InProcessTransport();
  const registrar = new RegistrarService({ store, scopes: cache, outcomes: transport, deadLetters: transport, log, metrics: createRegistrarMetrics(createMetricsRegistry('bench')), now: () => new Date() });
  const decisionMs: number[] = [];
  for (const scope of scopes) {
    const started = process.hrtime.bigint();
    await registrar.handleBatch([detection(scope)]);
    decisionMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const { rss } = process.memoryUsage();
  console.log(JSON.stringify({ decisionMs, rss }));
  await snapshots.close();
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
