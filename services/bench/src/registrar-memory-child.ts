import '@ifreg/platform/require-supported-node';
import { DEFAULT_OPTIONS } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { InProcessTransport } from '@ifreg/messaging';
import { type InboundMessage } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { RegistrarService, ScopeCache, createRegistrarMetrics } from '@ifreg/registrar';

/*
 * One registrar in this process on a fresh SQLite file (BENCH_DB), fed BENCH_SCOPES scopes of
 * BENCH_PER_SCOPE detections each, with its scope cache bounded at BENCH_CACHE_ENTRIES (0: no
 * bound). Prints one JSON line: RSS and heap after GC, scopes and entries cached. With
 * BENCH_SCOPES=0 it measures the same process idle (the baseline).
 */
const scopes = Number(process.env['BENCH_SCOPES'] ?? 0);
const perScope = Number(process.env['BENCH_PER_SCOPE'] ?? 3);
const maxEntries = Number(process.env['BENCH_CACHE_ENTRIES'] ?? 0);
const log = createLogger({ level: 'silent', name: 'registrar-memory' });

const detection = (scope: string, n: number): InboundMessage => ({
  key: scope,
  value: JSON.stringify({
    type: 'InterfaceDetected', schemaVersion: 1, messageId: `${scope}-${n}`, scope, providerId: 'bench',
    luid: { ifType: 6, netLuidIndex: n }, info: { friendlyName: `eth${n}` }, detectedAt: '2026-11-24T12:00:00.000Z',
  }),
  headers: {},
  origin: { transport: 'bench' },
});

async function main(): Promise<void> {
  const store = new SqliteEventStore({ path: process.env['BENCH_DB'] ?? ':memory:', synchronous: 'NORMAL' });
  const cache = new ScopeCache(store, DEFAULT_OPTIONS, log, maxEntries);
  const transport = new InProcessTransport();
  const registrar = new RegistrarService({ store, scopes: cache, outcomes: transport, deadLetters: transport, log, metrics: createRegistrarMetrics(createMetricsRegistry('bench')), now: () => new Date() });
  const started = process.hrtime.bigint();
  let batch: InboundMessage[] = [];
  for (let s = 0; s < scopes; s++) {
    for (let n = 1; n <= perScope; n++) batch.push(detection(`host-${s}`, n));
    if (batch.length >= 500) {
      await registrar.handleBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await registrar.handleBatch(batch);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  console.log(JSON.stringify({ rss, heapUsed, scopesCached: cache.size, entriesCached: cache.entries, messages: scopes * perScope, seconds }));
  await store.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
