import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DEFAULT_OPTIONS, type RegistryEvent } from '@ifreg/domain';
import { PostgresEventStore, SqliteEventStore } from '@ifreg/event-store';
import { type EventStore } from '@ifreg/ports';
import { InProcessTransport } from '@ifreg/messaging';
import { BatchRetryError, type InboundMessage, type Outcome } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { RegistrarService, ScopeCache, createRegistrarMetrics, legacyEventIdFor, type RegistrarMetrics } from '@ifreg/registrar';
import { FlakyStore } from './testing/flaky-store';

// DESIGN §2.4: the store decides what is already recorded, for the store's whole life; no
// message can stop the registry. Each case runs on SQLite and on the machine's PostgreSQL.
const url = process.env['IFREG_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = createLogger({ level: 'silent', name: 'no-message-stops' });
const WINDOW = { ...DEFAULT_OPTIONS, dedupeWindow: 1000 };

interface Backend {
  open(): Promise<EventStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'ifreg-no-stop-'));
  return {
    open: async () => new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  const schema = `t_${randomUUID().replaceAll('-', '')}`;
  return {
    open: () => PostgresEventStore.create({ connectionString: url, schema, pollIntervalMs: 20, poolSize: 4 }),
    cleanup: async () => {
      const admin = new Pool({ connectionString: url, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => admin.end());
    },
  };
}

let offset = 0;
const inbound = (body: Record<string, unknown>): InboundMessage => ({
  key: String(body['scope']),
  value: Buffer.from(JSON.stringify(body)),
  headers: {},
  origin: { transport: 'test', topic: 'ifreg.agent-messages', partition: 0, offset: String(++offset) },
});
const detection = (messageId: string, netLuidIndex: number, scope = 'host-a', friendlyName = `eth${netLuidIndex}`) =>
  inbound({
    type: 'InterfaceDetected', schemaVersion: 1, messageId, scope, providerId: 'agent-linux',
    luid: { ifType: 6, netLuidIndex }, info: { friendlyName }, detectedAt: '2026-11-24T11:59:59.000Z',
  });
type AnyOutcome = Partial<Record<'type' | 'causationId' | 'status', string>> & { ifIndex?: number };
const answer = (o: Outcome | undefined) => {
  const e: AnyOutcome | undefined = o?.event;
  return { type: e?.type, causationId: e?.causationId, ifIndex: e?.ifIndex, status: e?.status };
};

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
])('the registrar on %s', (_name, makeBackend) => {
  let backend: Backend;
  let stores: EventStore[];
  let transport: InProcessTransport;
  let outcomes: Outcome[];
  let metrics: RegistrarMetrics;

  beforeEach(() => {
    backend = makeBackend();
    stores = [];
    transport = new InProcessTransport();
    outcomes = [];
    transport.onOutcome((o) => outcomes.push(o));
    metrics = createRegistrarMetrics(createMetricsRegistry('test'));
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await backend.cleanup();
  });

  const open = async (): Promise<EventStore> => {
    const store = await backend.open();
    stores.push(store);
    return store;
  };
  const registrar = (store: EventStore, options = WINDOW) =>
    new RegistrarService({ store, scopes: new ScopeCache(store, options, log), outcomes: transport, deadLetters: transport, log, metrics, now: () => new Date('2026-11-24T12:00:00.000Z'), backoffMs: () => 0 });
  const eventsOf = async (store: EventStore, scope = 'host-a') => (await store.readStream(`registry-${scope}`)).map((e) => e.data as RegistryEvent);

  /** m-0 registered first, then 1,001 other detections of the same scope, 100 per batch. */
  async function history(service: RegistrarService): Promise<void> {
    await service.handleBatch([detection('m-0', 1)]);
    for (let start = 1; start <= 1001; start += 100) {
      const batch = [];
      for (let i = start; i < Math.min(start + 100, 1002); i++) batch.push(detection(`m-${i}`, i + 1));
      await service.handleBatch(batch);
    }
  }

  it('answers the first id again after 1,001 other messages with its first outcome, recording nothing', async () => {
    const store = await open();
    const service = registrar(store);
    await history(service);
    const first = outcomes[0];
    const recorded = (await eventsOf(store)).length;

    outcomes.length = 0;
    await service.handleBatch([detection('m-0', 1)]);

    expect(outcomes.map((o) => o.event)).toEqual([first?.event]);
    expect(await eventsOf(store)).toHaveLength(recorded);
    expect((await metrics.messageIdReuses.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('answers an old id re-used for different content with the recorded outcome, and counts the re-use', async () => {
    const store = await open();
    const service = registrar(store);
    await history(service);
    const recorded = (await eventsOf(store)).length;

    outcomes.length = 0;
    await service.handleBatch([detection('m-0', 5000, 'host-a', 'other')]);

    expect(outcomes.map(answer)).toEqual([{ type: 'InterfaceRegistered', causationId: 'm-0', ifIndex: 1, status: undefined }]);
    expect(await eventsOf(store)).toHaveLength(recorded);
    expect((await metrics.messageIdReuses.get()).values[0]?.value).toBe(1);
  });

  it('answers a batch mixing recorded and new ids: the new ones get what a clean run gives', async () => {
    const store = await open();
    await history(registrar(store));
    outcomes.length = 0;
    // A registrar that just started (empty cache), so the recorded ids are met on the store only.
    await registrar(store).handleBatch([detection('m-0', 1), detection('n-1', 3000), detection('m-5', 6), detection('n-2', 3001)]);
    const mixed = outcomes.map(answer);

    const clean = await backendRun(async (service) => {
      await history(service);
      outcomes.length = 0;
      await service.handleBatch([detection('n-1', 3000), detection('n-2', 3001)]);
    });

    expect(mixed).toEqual([
      { type: 'InterfaceRegistered', causationId: 'm-0', ifIndex: 1, status: undefined },
      clean[0],
      { type: 'InterfaceRegistered', causationId: 'm-5', ifIndex: 6, status: undefined },
      clean[1],
    ]);
    expect(clean.map((a) => a.ifIndex)).toEqual([1003, 1004]);
  });

  it('answers messages another instance recorded meanwhile, and decides the rest on the state re-read from the store', async () => {
    const store = await open();
    const behind = registrar(store);
    await behind.handleBatch([detection('a-1', 1)]); // loads the scope into its cache
    await registrar(store).handleBatch([detection('a-2', 2), detection('a-3', 3)]);
    outcomes.length = 0;

    await behind.handleBatch([detection('a-2', 2), detection('a-4', 4), detection('a-3', 3)]);

    expect(outcomes.map(answer).map((a) => [a.causationId, a.ifIndex])).toEqual([['a-2', 2], ['a-4', 4], ['a-3', 3]]);
    expect((await eventsOf(store)).map((e) => e.causationId)).toEqual(['a-1', 'a-2', 'a-3', 'a-4']);
  });

  it('finds messages recorded under the first event-id scheme (without the scope)', async () => {
    const store = await open();
    await registrar(store).handleBatch([detection('old-1', 1)]);
    const [event] = await store.readStream('registry-host-a');
    const older = await open(); // a store written before the scope was part of event ids
    const legacy = { id: legacyEventIdFor('old-1', 0), type: event!.type, data: event!.data, metadata: { causationId: 'old-1' } };
    await older.append('registry-host-v1', [{ ...legacy, data: { ...(event!.data as object), scope: 'host-v1' } }], -1);
    const service = registrar(older);
    for (let start = 0; start < 1001; start += 250) {
      await service.handleBatch(Array.from({ length: Math.min(250, 1001 - start) }, (_, i) => detection(`v-${start + i}`, start + i + 2, 'host-v1')));
    }
    outcomes.length = 0;

    await service.handleBatch([detection('old-1', 1, 'host-v1')]);

    expect(outcomes.map(answer)).toEqual([{ type: 'InterfaceRegistered', causationId: 'old-1', ifIndex: 1, status: undefined }]);
    expect((await eventsOf(older, 'host-v1')).filter((e) => e.causationId === 'old-1')).toHaveLength(1);
  });

  it('refuses only the message whose append fails for a lasting reason; the rest of the batch goes on', async () => {
    const store = new FlakyStore(await open(), { lasting: (event) => event.type === 'InterfaceRegistered' && event.causationId === 'poison' });
    const service = registrar(store);

    await service.handleBatch([detection('p-1', 1), detection('poison', 2), detection('p-3', 3), detection('q-1', 1, 'host-b')]);

    expect(outcomes.map(answer)).toEqual(expect.arrayContaining([
      { type: 'InterfaceRegistered', causationId: 'p-1', ifIndex: 1, status: undefined },
      { type: 'RegistrationFailed', causationId: 'poison', ifIndex: undefined, status: 'INVALID_PARAMETER' },
      { type: 'InterfaceRegistered', causationId: 'p-3', ifIndex: 2, status: undefined },
      { type: 'InterfaceRegistered', causationId: 'q-1', ifIndex: 1, status: undefined },
    ]));
    const refusal = outcomes.find((o) => o.event.causationId === 'poison')?.event as { reason?: string };
    expect(refusal.reason).toContain('could not be recorded: injected lasting failure');
    expect((await metrics.poisonMessages.get()).values).toEqual([expect.objectContaining({ labels: { result: 'refused' }, value: 1 })]);
  });

  it('dead-letters a message whose refusal cannot be recorded either, with both reasons', async () => {
    const store = new FlakyStore(await open(), { lasting: (event) => event.causationId === 'poison' });
    await registrar(store).handleBatch([detection('poison', 1), detection('p-2', 2)]);

    expect(outcomes.map(answer)).toEqual([{ type: 'InterfaceRegistered', causationId: 'p-2', ifIndex: 1, status: undefined }]);
    expect(transport.deadLetters.map((d) => d.reason)).toEqual([expect.stringMatching(/could not be recorded: injected lasting failure; refusing it failed too: injected lasting failure/)]);
  });

  it('holds back only the scope whose store failure is transient, and records it once the store recovers', async () => {
    const store = new FlakyStore(await open(), { transientFor: 'registry-host-a', transientFailures: 3 });
    const service = registrar(store);
    const batch = [detection('t-1', 1), detection('u-1', 1, 'host-b')];

    const failure = await service.handleBatch(batch).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(BatchRetryError);
    expect((failure as BatchRetryError).retry).toEqual([batch[0]]);
    expect(outcomes.map(answer)).toEqual([{ type: 'InterfaceRegistered', causationId: 'u-1', ifIndex: 1, status: undefined }]);
    await expect(service.handleBatch([batch[0]!])).rejects.toBeInstanceOf(BatchRetryError);
    await expect(service.handleBatch([batch[0]!])).rejects.toBeInstanceOf(BatchRetryError);
    await service.handleBatch([batch[0]!]);
    expect(outcomes.map(answer).map((a) => a.causationId)).toEqual(['u-1', 't-1']);
  });

  /** The outcomes of a run on a store of its own (the clean run to compare with). */
  async function backendRun(run: (service: RegistrarService) => Promise<void>) {
    const other = makeBackend();
    const store = await other.open();
    try {
      await run(registrar(store));
      return outcomes.map(answer);
    } finally {
      await store.close();
      await other.cleanup();
    }
  }
});

describe('a detection PostgreSQL cannot store (a NUL character, which jsonb refuses)', () => {
  const backend = postgresBackend();
  let store: EventStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
    await backend.cleanup();
  });

  it('is refused with the server\'s reason, and the messages beside it, in its scope and others, are registered', async () => {
    const transport = new InProcessTransport();
    const outcomes: Outcome[] = [];
    transport.onOutcome((o) => outcomes.push(o));
    const metrics = createRegistrarMetrics(createMetricsRegistry('test'));
    const service = new RegistrarService({ store, scopes: new ScopeCache(store, WINDOW, log), outcomes: transport, deadLetters: transport, log, metrics, now: () => new Date() });

    await service.handleBatch([detection('n-1', 1), detection('nul', 2, 'host-a', 'eth\u0000x'), detection('n-3', 3), detection('o-1', 1, 'host-b')]);

    expect(outcomes.map(answer)).toEqual(expect.arrayContaining([
      { type: 'InterfaceRegistered', causationId: 'n-1', ifIndex: 1, status: undefined },
      { type: 'RegistrationFailed', causationId: 'nul', ifIndex: undefined, status: 'INVALID_PARAMETER' },
      { type: 'InterfaceRegistered', causationId: 'n-3', ifIndex: 2, status: undefined },
      { type: 'InterfaceRegistered', causationId: 'o-1', ifIndex: 1, status: undefined },
    ]));
    expect((outcomes.find((o) => o.event.causationId === 'nul')?.event as { reason?: string }).reason).toMatch(/could not be recorded: .*\\u0000/);
  });
});
