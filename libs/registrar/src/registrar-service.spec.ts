import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OPTIONS, type RegistryEvent, type RegistryOptions } from '@ifreg/domain';
import { SqliteEventStore } from '@ifreg/event-store';
import { type RecordedEvent } from '@ifreg/ports';
import { InProcessTransport } from '@ifreg/messaging';
import { type InboundMessage, type Outcome } from '@ifreg/ports';
import { createLogger, createMetricsRegistry } from '@ifreg/platform';
import { createRegistrarMetrics, type RegistrarMetrics } from './metrics';
import { RegistrarService } from './registrar-service';
import { ScopeCache } from './scope-cache';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const log = createLogger({ level: 'silent', name: 'registrar-spec' });

let dir: string;
let stores: SqliteEventStore[];
let transport: InProcessTransport;
let outcomes: Outcome[];
let unsubscribe: () => void;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-registrar-'));
  stores = [];
  transport = new InProcessTransport();
  outcomes = [];
  unsubscribe = transport.onOutcome((outcome) => outcomes.push(outcome));
});

afterEach(async () => {
  unsubscribe();
  await Promise.all(stores.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** A store on the test's file; several calls give several connections, as several processes would have. */
function openStore(): SqliteEventStore {
  const store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  stores.push(store);
  return store;
}

/** One registrar instance with its own cache and a fresh metrics registry (names are per registry). */
function registrar(
  store: SqliteEventStore,
  options: RegistryOptions = DEFAULT_OPTIONS,
  metrics: RegistrarMetrics = createRegistrarMetrics(createMetricsRegistry('test')),
): RegistrarService {
  return new RegistrarService({
    store,
    scopes: new ScopeCache(store, options, log),
    outcomes: transport,
    deadLetters: transport,
    log,
    metrics,
    now: () => NOW,
  });
}

let offset = 0;
function inbound(body: unknown, headers: Record<string, string> = {}): InboundMessage {
  const value = typeof body === 'string' ? body : JSON.stringify(body);
  const scope = (body as { scope?: unknown }).scope;
  return {
    key: typeof scope === 'string' ? scope : undefined,
    value: Buffer.from(value),
    headers,
    origin: { transport: 'test', topic: 'ifreg.agent-messages', partition: 0, offset: String(++offset) },
  };
}

const detection = (messageId: string, netLuidIndex: number, scope = 'host-a') => ({
  type: 'InterfaceDetected',
  schemaVersion: 1,
  messageId,
  scope,
  providerId: 'agent-linux',
  luid: { ifType: 6, netLuidIndex },
  info: { friendlyName: `eth${netLuidIndex}` },
  detectedAt: '2026-11-24T11:59:59.000Z',
});
const boot = (messageId: string, scope = 'host-a') => ({ type: 'BootEpoch', schemaVersion: 1, messageId, scope });

const events = async (store: SqliteEventStore, scope = 'host-a'): Promise<RecordedEvent[]> => store.readStream(`registry-${scope}`);
const dataOf = (recorded: readonly RecordedEvent[]): RegistryEvent[] => recorded.map((r) => r.data as RegistryEvent);
const ifIndexOf = (event: RegistryEvent | undefined): number | undefined => (event?.type === 'InterfaceRegistered' ? event.ifIndex : undefined);

function registeredIndexes(recorded: readonly RecordedEvent[]): number[] {
  return dataOf(recorded).flatMap((e) => (e.type === 'InterfaceRegistered' ? [e.ifIndex] : []));
}

describe('a first detection in a scope', () => {
  it('is appended to the stream registry-<scope> and answered with InterfaceRegistered ifIndex 1', async () => {
    // given
    const store = openStore();
    const service = registrar(store);
    // when
    await service.handleBatch([inbound(detection('m-1', 32768), { correlationId: 'corr-1' })]);
    // then
    const recorded = await events(store);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      stream: 'registry-host-a',
      type: 'InterfaceRegistered',
      data: { type: 'InterfaceRegistered', scope: 'host-a', epoch: 0, ifIndex: 1, causationId: 'm-1', at: NOW.toISOString() },
      metadata: {
        causationId: 'm-1',
        correlationId: 'corr-1',
        schemaVersion: 1,
        origin: { transport: 'test', topic: 'ifreg.agent-messages', partition: 0 },
      },
    });
    expect(outcomes).toHaveLength(1);
    // with the event's JSON as the store was given it, for the publisher to reuse
    expect(outcomes[0]).toEqual({ scope: 'host-a', event: recorded[0]?.data, position: recorded[0]?.position, eventJson: JSON.stringify(recorded[0]?.data) });
  });

  it('takes the correlation id from the CloudEvents id header, else the message id', async () => {
    const store = openStore();
    const service = registrar(store);
    await service.handleBatch([inbound(detection('m-1', 1), { ce_id: 'ce-1' }), inbound(detection('m-2', 2))]);
    expect((await events(store)).map((r) => r.metadata['correlationId'])).toEqual(['ce-1', 'm-2']);
  });
});

describe('appendBatch', () => {
  it('resolves once the batch is appended, its outcomes still being sent; sent settles when the publisher acknowledges, or fails with it', async () => {
    // given: a publisher that acknowledges when the test says so
    const store = openStore();
    const acks: { resolve: () => void; reject: (error: Error) => void }[] = [];
    const service = new RegistrarService({
      store,
      scopes: new ScopeCache(store, DEFAULT_OPTIONS, log),
      outcomes: { publish: () => new Promise<void>((resolve, reject) => acks.push({ resolve, reject })) },
      deadLetters: transport,
      log,
      metrics: createRegistrarMetrics(createMetricsRegistry('test')),
      now: () => NOW,
    });
    // when
    const first = await service.appendBatch([inbound(detection('m-1', 1))]);
    const second = await service.appendBatch([inbound(detection('m-2', 2))]);
    // then: both appended, neither sent yet
    expect(registeredIndexes(await events(store))).toEqual([1, 2]);
    let firstSent = false;
    void first.sent.then(() => (firstSent = true));
    await new Promise(setImmediate);
    expect(firstSent).toBe(false);
    acks[0]?.resolve();
    await first.sent;
    acks[1]?.reject(new Error('broker unavailable'));
    await expect(second.sent).rejects.toThrow('broker unavailable');
  });
});

describe('a batch delivered twice (redelivery)', () => {
  it('appends nothing the second time and republishes the same outcomes', async () => {
    // given
    const store = openStore();
    const service = registrar(store);
    const batch = [inbound(detection('m-1', 1)), inbound(detection('m-2', 2))];
    await service.handleBatch(batch);
    const first = [...outcomes];
    const recorded = await events(store);
    // when
    await service.handleBatch(batch);
    // then
    expect(await events(store)).toEqual(recorded);
    expect(outcomes.slice(2).map((o) => o.event)).toEqual(first.map((o) => o.event));
    expect(outcomes.slice(2).every((o) => o.position >= recorded.at(-1)!.position)).toBe(true);
  });
});

describe('a batch redelivered to a registrar that restarted', () => {
  it('is treated as done: no duplicate events, the same ifIndexes answered', async () => {
    // given: the first instance recorded the batch, then died before committing its offsets
    const batch = [inbound(detection('m-1', 1)), inbound(detection('m-2', 2)), inbound(detection('m-3', 3))];
    const before = openStore();
    await registrar(before).handleBatch(batch);
    const recorded = await events(before);
    await before.close();
    outcomes.length = 0;
    // when: a new instance on a new connection gets the same batch again
    const after = openStore();
    await registrar(after).handleBatch(batch);
    // then
    expect(await events(after)).toEqual(recorded);
    expect(outcomes.map((o) => [o.event.causationId, ifIndexOf(o.event)])).toEqual([
      ['m-1', 1],
      ['m-2', 2],
      ['m-3', 3],
    ]);
  });

  it('answers every detection of a half-recorded run exactly once', async () => {
    // given: the first instance recorded the first message only (killed mid-stream)
    const batch = [inbound(detection('m-1', 1)), inbound(detection('m-2', 2))];
    const before = openStore();
    await registrar(before).handleBatch(batch.slice(0, 1));
    await before.close();
    // when
    const after = openStore();
    await registrar(after).handleBatch(batch);
    // then
    const recorded = dataOf(await events(after));
    expect(recorded.map((e) => e.causationId)).toEqual(['m-1', 'm-2']);
    expect(registeredIndexes(await events(after))).toEqual([1, 2]);
  });
});

describe('an invalid message whose scope is readable', () => {
  it('is recorded and published as RegistrationFailed INVALID_PARAMETER with the reason', async () => {
    // given
    const store = openStore();
    const bad = { ...detection('m-bad', 1), luid: { ifType: 6, netLuidIndex: 2 ** 24 } };
    // when
    await registrar(store).handleBatch([inbound(bad)]);
    // then
    const recorded = dataOf(await events(store));
    expect(recorded).toEqual([
      expect.objectContaining({
        type: 'RegistrationFailed',
        status: 'INVALID_PARAMETER',
        messageType: 'InterfaceDetected',
        causationId: 'm-bad',
        reason: expect.stringMatching(/^luid\.netLuidIndex /),
      }),
    ]);
    expect(outcomes.map((o) => o.event)).toEqual(recorded);
    expect(transport.deadLetters).toEqual([]);
  });

  it('is recorded once even when redelivered without a usable message id', async () => {
    const store = openStore();
    const service = registrar(store);
    const bad = inbound({ ...detection('m-x', 1), messageId: undefined, schemaVersion: 2 });
    await service.handleBatch([bad]);
    await registrar(store).handleBatch([bad]);
    expect(await events(store)).toHaveLength(1);
    expect(outcomes).toHaveLength(2);
    expect(outcomes[1]?.event).toEqual(outcomes[0]?.event);
  });
});

describe('an unreadable message', () => {
  it.each([
    ['not JSON', '{"scope": "host-a", '],
    ['a bad scope', JSON.stringify(detection('m-1', 1, 'bad scope!'))],
    ['a scope of 65 characters', JSON.stringify(detection('m-1', 1, 'a'.repeat(65)))],
  ])('given %s, goes to the dead-letter sink with the reason and nothing is appended', async (_, value) => {
    // given
    const store = openStore();
    const message = inbound(value);
    // when
    await registrar(store).handleBatch([message]);
    // then
    expect(transport.deadLetters).toEqual([{ reason: expect.any(String), message }]);
    expect(transport.deadLetters[0]?.reason).toMatch(/^(not JSON|scope must be)/);
    expect(await store.headPosition()).toBe(0);
    expect(outcomes).toEqual([]);
  });

  it('does not hold up the good messages of the same batch', async () => {
    const store = openStore();
    await registrar(store).handleBatch([inbound('nonsense'), inbound(detection('m-1', 1))]);
    expect(transport.deadLetters).toHaveLength(1);
    expect(outcomes.map((o) => ifIndexOf(o.event))).toEqual([1]);
  });
});

describe('detections in two scopes', () => {
  it('are independent: each scope starts at ifIndex 1 in its own stream', async () => {
    const store = openStore();
    await registrar(store).handleBatch([
      inbound(detection('a-1', 1, 'host-a')),
      inbound(detection('b-1', 1, 'host-b')),
      inbound(detection('a-2', 2, 'host-a')),
    ]);
    expect(registeredIndexes(await events(store, 'host-a'))).toEqual([1, 2]);
    expect(registeredIndexes(await events(store, 'host-b'))).toEqual([1]);
    expect(outcomes.map((o) => [o.scope, o.event.causationId, ifIndexOf(o.event)])).toEqual(
      expect.arrayContaining([
        ['host-a', 'a-1', 1],
        ['host-a', 'a-2', 2],
        ['host-b', 'b-1', 1],
      ]),
    );
  });
});

describe('a BootEpoch between detections of one batch', () => {
  it('applies in order: detections after it start again from ifIndex 1 in the next epoch', async () => {
    // given
    const store = openStore();
    // when
    await registrar(store).handleBatch([
      inbound(detection('m-1', 1)),
      inbound(detection('m-2', 2)),
      inbound(boot('boot-1')),
      inbound(detection('m-3', 1)),
      inbound(detection('m-4', 2)),
    ]);
    // then
    const recorded = dataOf(await events(store));
    expect(recorded.map((e) => [e.type, e.epoch, ifIndexOf(e)])).toEqual([
      ['InterfaceRegistered', 0, 1],
      ['InterfaceRegistered', 0, 2],
      ['BootEpochStarted', 1, undefined],
      ['InterfaceRegistered', 1, 1],
      ['InterfaceRegistered', 1, 2],
    ]);
    expect(outcomes.map((o) => o.event.causationId)).toEqual(['m-1', 'm-2', 'boot-1', 'm-3', 'm-4']);
  });
});

describe('two registrar instances appending to one scope', () => {
  it('never hand out one index twice when they take turns', async () => {
    // given: two instances, each with its own cache and connection
    const metrics = createRegistrarMetrics(createMetricsRegistry('test'));
    const one = registrar(openStore(), DEFAULT_OPTIONS, metrics);
    const two = registrar(openStore(), DEFAULT_OPTIONS, metrics);
    // when
    for (let i = 1; i <= 10; i++) {
      await (i % 2 === 0 ? two : one).handleBatch([inbound(detection(`m-${i}`, i))]);
    }
    // then
    const indexes = registeredIndexes(await events(stores[0]!));
    expect(indexes).toHaveLength(10);
    expect(new Set(indexes).size).toBe(10);
    expect(outcomes.map((o) => ifIndexOf(o.event))).toEqual(indexes);
    // and the stale instance found out through the expected revision, not by luck
    expect((await metrics.concurrencyRetries.get()).values[0]?.value).toBeGreaterThan(0);
  });

  it('never hand out one index twice when they run at the same time', async () => {
    // given: each instance handles its own batches one after another, as a consumer does
    const instances = [registrar(openStore()), registrar(openStore())];
    // when: both consume at the same time
    await Promise.all(
      instances.map(async (service, n) => {
        for (let i = 0; i < 10; i++) await service.handleBatch([inbound(detection(`m-${n}-${i}`, n * 100 + i))]);
      }),
    );
    // then
    const indexes = registeredIndexes(await events(stores[0]!));
    expect(indexes).toHaveLength(20);
    expect(new Set(indexes).size).toBe(20);
    expect(new Set(outcomes.map((o) => ifIndexOf(o.event))).size).toBe(20);
  });

  it('answer a message both received (a rebalance replay) with the recorded outcome, and stay consistent after it', async () => {
    // given: instance one knows the scope, then instance two registers more in it
    const one = registrar(openStore());
    const two = registrar(openStore());
    await one.handleBatch([inbound(detection('m-1', 1))]);
    await two.handleBatch([inbound(detection('m-2', 2))]);
    await two.handleBatch([inbound(detection('m-3', 3))]);
    outcomes.length = 0;
    // when: the stale instance gets m-3 again, then a new detection
    await one.handleBatch([inbound(detection('m-3', 3))]);
    await one.handleBatch([inbound(detection('m-4', 4))]);
    // then
    expect(outcomes.map((o) => [o.event.causationId, ifIndexOf(o.event)])).toEqual([
      ['m-3', 3],
      ['m-4', 4],
    ]);
    const indexes = registeredIndexes(await events(stores[0]!));
    expect(indexes).toEqual([1, 2, 3, 4]);
  });
});

describe('a scope whose index space is full', () => {
  it('answers the next detection with RegistrationFailed RESOURCES', async () => {
    // given
    const store = openStore();
    const service = registrar(store, { maxIfIndex: 3, dedupeWindow: 1000 });
    await service.handleBatch([inbound(detection('m-1', 1)), inbound(detection('m-2', 2)), inbound(detection('m-3', 3))]);
    // when
    await service.handleBatch([inbound(detection('m-4', 4))]);
    // then
    expect(outcomes.map((o) => ifIndexOf(o.event))).toEqual([1, 2, 3, undefined]);
    expect(outcomes[3]?.event).toMatchObject({
      type: 'RegistrationFailed',
      status: 'RESOURCES',
      causationId: 'm-4',
      luid: { ifType: 6, netLuidIndex: 4 },
    });
    expect(dataOf(await events(store)).at(-1)).toEqual(outcomes[3]?.event);
  });
});
