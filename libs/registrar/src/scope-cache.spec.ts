import { DEFAULT_OPTIONS } from '@ifreg/domain';
import { SqliteEventStore, SqliteSnapshotStore } from '@ifreg/event-store';
import { InProcessTransport } from '@ifreg/messaging';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { createRegistrarMetrics } from './metrics';
import { RegistrarService } from './registrar-service';
import { ScopeCache } from './scope-cache';
import { SCOPE_SNAPSHOT_VERSION, scopeSnapshotKey } from './scope-snapshots';

const log = createLogger({ level: process.env.DBG ? 'warn' : 'silent', name: 'scope-cache-spec' });
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

  describe('with snapshots every 3 events of a scope', () => {
    let snapshots: SqliteSnapshotStore;
    beforeEach(() => {
      // The store's own file in the service; here a second in-memory database is as good.
      snapshots = new SqliteSnapshotStore({ path: ':memory:' });
    });
    afterEach(() => snapshots.close());
    const waitForSnapshot = async (scope: string, revision: number): Promise<void> => {
      for (const deadline = Date.now() + 5000; ((await snapshots.newest(scopeSnapshotKey(scope)))?.position ?? -1) < revision; await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() > deadline) throw new Error(`no snapshot of ${scope} at ${revision} within 5 s`);
      }
    };

    it('loads a scope from its snapshot and the stream after it, with the answers of a scope read whole', async () => {
      const first = registrarWith(new ScopeCache(store, DEFAULT_OPTIONS, log, 0, { store: snapshots, everyEvents: 3 }));
      for (let i = 1; i <= 7; i++) await first.service.handleBatch([detection('a', `a-${i}`, i)]);
      await waitForSnapshot('a', 5);
      const restarted = new ScopeCache(store, DEFAULT_OPTIONS, log, 0, { store: snapshots, everyEvents: 3 });
      const whole = new ScopeCache(store, DEFAULT_OPTIONS, log, 0);
      const fromSnapshot = await restarted.get('a');
      const readWhole = await whole.get('a');
      expect(fromSnapshot.snapshotRevision).toBeGreaterThanOrEqual(5);
      expect(fromSnapshot.revision).toBe(readWhole.revision);
      expect([...fromSnapshot.state.byLuid]).toEqual([...readWhole.state.byLuid]);
      expect(fromSnapshot.state.allocator).toEqual(readWhole.state.allocator);
      expect(fromSnapshot.state.luidIndexes).toEqual(readWhole.state.luidIndexes);

      // An old message again: answered from the store's lookup (its recorded ifIndex), a new one decided.
      const next = registrarWith(restarted);
      await next.service.handleBatch([detection('a', 'a-2', 2), detection('a', 'a-8', 8)]);
      expect(next.answers).toEqual([2, 8]);
      expect((await store.readStream('registry-a')).map((e) => (e.data as { causationId: string }).causationId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `a-${i}`));
    });

    it('ignores a snapshot it cannot read, with a warning, and reads the stream', async () => {
      const first = registrarWith(new ScopeCache(store, DEFAULT_OPTIONS, log, 0));
      for (let i = 1; i <= 3; i++) await first.service.handleBatch([detection('a', `a-${i}`, i)]);
      await snapshots.save({ key: scopeSnapshotKey('a'), version: SCOPE_SNAPSHOT_VERSION, position: 3, data: Buffer.from('garbage') });
      const warn = jest.spyOn(log, 'warn');
      const loaded = await new ScopeCache(store, DEFAULT_OPTIONS, log, 0, { store: snapshots, everyEvents: 3 }).get('a');
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ scope: 'a' }), 'scope snapshot ignored: the scope is read from its stream');
      expect(loaded.state.byLuid.size).toBe(3);
      expect(loaded.snapshotRevision).toBe(-1);
      warn.mockRestore();
    });
  });
});
