import { DEFAULT_OPTIONS } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { InProcessTransport } from '@ifreg/messaging';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { createRegistrarMetrics } from './metrics';
import { RegistrarService } from './registrar-service';
import { ScopeCache } from './scope-cache';

const log = createLogger({ level: 'silent', name: 'scope-cache-spec' });
const detection = (scope: string, messageId: string, netLuidIndex: number) => ({
  key: scope,
  value: JSON.stringify({
    type: 'InterfaceDetected', schemaVersion: 1, messageId, scope, providerId: 'p',
    luid: { ifType: 6, netLuidIndex }, info: { friendlyName: `eth${netLuidIndex}` }, detectedAt: '2026-11-24T11:59:59.000Z',
  }),
  headers: {},
  origin: { transport: 'test' },
});

describe('the scope cache', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
  });
  afterEach(() => store.close());

  function registrarWith(scopes: ScopeCache) {
    const transport = new InProcessTransport();
    const answers: number[] = [];
    transport.onOutcome((o) => answers.push(o.event.type === 'InterfaceRegistered' ? o.event.ifIndex : -1));
    const service = new RegistrarService({ store, scopes, outcomes: transport, deadLetters: transport, log, metrics: createRegistrarMetrics(createMetricsRegistry('t')), now: () => new Date() });
    return { service, answers };
  }

  it('keeps its entries within the bound, the least recently used scopes leaving first', async () => {
    const scopes = new ScopeCache(store, DEFAULT_OPTIONS, log, 50);
    const { service } = registrarWith(scopes);
    for (let s = 0; s < 40; s++) await service.handleBatch([detection(`s-${s}`, 'm-1', 1), detection(`s-${s}`, 'm-2', 2)]);

    expect(scopes.entries).toBeLessThanOrEqual(50);
    expect(scopes.size).toBeLessThan(40);
    expect(scopes.size).toBeGreaterThan(5);
  });

  it('reads a scope that left it again from the store, with the same answers', async () => {
    const scopes = new ScopeCache(store, DEFAULT_OPTIONS, log, 10);
    const { service, answers } = registrarWith(scopes);
    await service.handleBatch([detection('a', 'a-1', 1), detection('a', 'a-2', 2)]);
    for (let s = 0; s < 20; s++) await service.handleBatch([detection(`other-${s}`, 'm', 1)]);
    answers.length = 0;

    await service.handleBatch([detection('a', 'a-2', 2), detection('a', 'a-3', 3)]);

    expect(answers).toEqual([2, 3]);
    expect((await store.readStream('registry-a')).map((e) => (e.data as { causationId: string }).causationId)).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('has no bound when it is 0', async () => {
    const scopes = new ScopeCache(store, DEFAULT_OPTIONS, log, 0);
    const { service } = registrarWith(scopes);
    for (let s = 0; s < 30; s++) await service.handleBatch([detection(`s-${s}`, 'm-1', 1)]);
    expect(scopes.size).toBe(30);
  });
});
