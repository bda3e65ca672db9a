import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore, SqliteSnapshotStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { createLogger } from '@ifreg/platform';
import { waitFor } from '@ifreg/testing';
import { READ_MODEL_SNAPSHOT_KEY } from './read-model-snapshot';
import { ReadModelService, type ReadModelOptions } from './read-model-service';
import { ThreadSnapshotWriter, type ThreadSnapshotWriterOptions } from './thread-snapshot-writer';
import type { TestThreadConfig } from './testing/snapshot-thread';

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ level: 'silent', name: 'snapshot-thread-spec' });
const entry = require.resolve('./testing/snapshot-thread');
// Small bounds, so that the change log wraps and the LUID index drops positions and LUIDs.
const bounds: ReadModelOptions = { watchHistory: 5, luidHistory: { perLuid: 2, luidsPerScope: 4 }, snapshotEveryEvents: 1_000_000 };

let dir: string;
let store: SqliteEventStore;
/** The snapshots the thread writes, and those the in-process writer writes. */
let threadSnapshots: SqliteSnapshotStore;
let inProcessSnapshots: SqliteSnapshotStore;
let services: ReadModelService[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-snapshot-thread-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  threadSnapshots = new SqliteSnapshotStore({ path: join(dir, 'thread-snapshots.db') });
  inProcessSnapshots = new SqliteSnapshotStore({ path: join(dir, 'snapshots.db') });
  services = [];
});

afterEach(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await threadSnapshots.close();
  await inProcessSnapshots.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

const config = (fault?: TestThreadConfig['fault']): TestThreadConfig => ({ events: join(dir, 'events.db'), snapshots: join(dir, 'thread-snapshots.db'), marker: join(dir, 'faulted'), ...(fault ? { fault } : {}) });

const threadWriter = (fault?: TestThreadConfig['fault'], options: Partial<ThreadSnapshotWriterOptions> = {}): ThreadSnapshotWriter =>
  new ThreadSnapshotWriter({ entry, config: config(fault), log, lowPriority: false, ...options });

async function started(options: ReadModelOptions = {}): Promise<ReadModelService> {
  const service = new ReadModelService(store, log, { ...bounds, ...options });
  services.push(service);
  await service.start();
  return service;
}

function registered(ifIndex: number, scope: string, epoch: number): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex + epoch }, providerId: 'p', providerIfContext: '', info: info.value, causationId: `m-${scope}-${epoch}-${ifIndex}`, at: AT };
}

const boot = (scope: string, epoch: number): RegistryEvent => ({ type: 'BootEpochStarted', scope, epoch, causationId: `boot-${scope}-${epoch}`, at: AT });

/** Reboot rounds over three scopes (LUIDs move on each round), and one unreadable event per round. */
async function churn(rounds: number, from = 1): Promise<void> {
  for (let epoch = from; epoch < from + rounds; epoch++) {
    for (const scope of ['host-a', 'host-b', 'host-c']) {
      await store.append(`registry-${scope}`, [boot(scope, epoch), ...[1, 2, 3].map((i) => registered(i, scope, epoch))].map((e, n) => ({ id: `${scope}-${epoch}-${n}`, type: e.type, data: e })), ANY);
    }
    await store.append('registry-host-z', [{ id: `bad-${epoch}`, type: 'Garbage', data: { not: 'an event' } }], ANY);
  }
}

/** A snapshot's content (the gzip around it may differ). */
const content = async (snapshots: SqliteSnapshotStore): Promise<{ position: number; data: Buffer }> => {
  const snapshot = await snapshots.newest(READ_MODEL_SNAPSHOT_KEY);
  if (snapshot === undefined) throw new Error('no snapshot');
  return { position: snapshot.position, data: gunzipSync(snapshot.data) };
};

/** Everything a query can see of the model, comparable across instances. */
const answers = (service: ReadModelService): unknown => ({
  position: service.position,
  events: service.eventsFolded,
  scopes: [...service.model.scopes.values()].map((v) => ({ ...v, interfaces: [...v.interfaces.values()], byLuid: [...v.byLuid], luidIndexes: [...v.luidIndexes] })),
  luids: ['host-a', 'host-b'].flatMap((scope) => [1, 2, 3, 4, 5, 6].map((i) => service.luidPositions(scope, { ifType: 6, netLuidIndex: i }))),
  changes: service.changesSince(service.model.position - 30),
});

/** Waits for a call of `spy` whose message matches; the calls so far. */
async function logged(spy: jest.SpyInstance, message: RegExp, timeoutMs = 10_000): Promise<unknown[][]> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (spy.mock.calls.some((call: unknown[]) => message.test(String(call[1])))) return spy.mock.calls as unknown[][];
    if (Date.now() > deadline) throw new Error(`no log line ${message} within ${timeoutMs} ms`);
  }
}

/** Both services have folded the store's head. */
async function caughtUp(...services: ReadModelService[]): Promise<void> {
  const head = await store.headPosition();
  await Promise.all(services.map((s) => s.waitFor(head, 5000)));
}

describe('the snapshot thread', () => {
  it('writes what the in-process writer writes, from its own copy of the model, snapshot after snapshot', async () => {
    await churn(3);
    const inProcess = await started({ snapshots: inProcessSnapshots });
    const threaded = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    for (const rounds of [0, 2, 1]) {
      await churn(rounds, 10 + rounds);
      const head = await store.headPosition();
      await Promise.all([inProcess.waitFor(head, 5000), threaded.waitFor(head, 5000)]);
      await Promise.all([inProcess.snapshot(), threaded.snapshot()]);
      const [mine, theirs] = [await content(inProcessSnapshots), await content(threadSnapshots)];
      expect(theirs.position).toBe(head);
      expect(theirs.data.equals(mine.data)).toBe(true);
    }
  });

  it('writes a snapshot a service restores from and answers as the live model does', async () => {
    await churn(3);
    const threaded = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    await threaded.snapshot();
    const restored = await started({ snapshots: threadSnapshots });
    expect(restored.applied).toBe(0);
    expect(answers(restored)).toEqual(answers(threaded));
  });

  it('starts from the newest snapshot and folds only the tail, with the same result', async () => {
    await churn(3);
    const first = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    await first.snapshot();
    await first.stop();
    await churn(2, 4);
    const inProcess = await started({ snapshots: inProcessSnapshots });
    const second = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    await Promise.all([inProcess.snapshot(), second.snapshot()]);
    expect((await content(threadSnapshots)).data.equals((await content(inProcessSnapshots)).data)).toBe(true);
  });

  it('ends its thread when idle, and a new one starts from the newest snapshot with the same result', async () => {
    await churn(2);
    const writer = threadWriter(undefined, { idleMs: 20 });
    const inProcess = await started({ snapshots: inProcessSnapshots });
    const threaded = await started({ snapshots: threadSnapshots, snapshotWriter: writer });
    await threaded.snapshot();
    await waitFor(() => !writer.running, 5000, 'the idle thread to end', 10);
    await churn(2, 3);
    await caughtUp(inProcess, threaded);
    await Promise.all([inProcess.snapshot(), threaded.snapshot()]);
    expect(writer.running).toBe(true);
    expect((await content(threadSnapshots)).data.equals((await content(inProcessSnapshots)).data)).toBe(true);
  });

  it('writes a rebuild’s closing snapshot as the in-process writer does (its change log starts again)', async () => {
    await churn(2);
    const inProcess = await started({ snapshots: inProcessSnapshots });
    const threaded = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    await threaded.snapshot(); // the thread runs, its change log full
    await churn(1, 5);
    await caughtUp(inProcess, threaded);
    await Promise.all([inProcess.rebuild(), threaded.rebuild()]);
    expect(threaded.changesSince(threaded.position - 1)).toBeUndefined(); // the change log starts again at the swap
    const [mine, theirs] = [await content(inProcessSnapshots), await content(threadSnapshots)];
    expect(theirs.position).toBe(threaded.position);
    expect(theirs.data.equals(mine.data)).toBe(true);
    // and after it, changes are kept again
    await churn(1, 6);
    await caughtUp(inProcess, threaded);
    await Promise.all([inProcess.snapshot(), threaded.snapshot()]);
    expect((await content(threadSnapshots)).data.equals((await content(inProcessSnapshots)).data)).toBe(true);
  });

  it('writes a rebuild’s closing snapshot from a new thread started from an older snapshot', async () => {
    await churn(2);
    const writer = threadWriter(undefined, { idleMs: 20 });
    const inProcess = await started({ snapshots: inProcessSnapshots });
    const threaded = await started({ snapshots: threadSnapshots, snapshotWriter: writer });
    await threaded.snapshot();
    await waitFor(() => !writer.running, 5000, 'the idle thread to end', 10);
    await churn(2, 5);
    await caughtUp(inProcess, threaded);
    await Promise.all([inProcess.rebuild(), threaded.rebuild()]);
    expect((await content(threadSnapshots)).data.equals((await content(inProcessSnapshots)).data)).toBe(true);
  });

  it.each([
    ['its snapshot store fails', 'save' as const, /cannot save/],
    ['its event store fails', 'read' as const, /cannot read the store/],
    ['its stores cannot be opened', 'open' as const, /cannot open the store/],
  ])('reports the snapshot as not written when %s, and the service goes on', async (_case, fault, reason) => {
    await churn(2);
    const warn = jest.spyOn(log, 'warn');
    const service = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter(fault) });
    await service.snapshot();
    const calls = await logged(warn, /read model snapshot not written/);
    expect(JSON.stringify(calls.map((call) => (call[0] as { err?: Error }).err?.message))).toMatch(reason);
    expect(await threadSnapshots.newest(READ_MODEL_SNAPSHOT_KEY)).toBeUndefined();
    await churn(1, 3);
    await service.waitFor(await store.headPosition(), 5000);
    expect(service.model.scopes.get('host-a')?.epoch).toBe(3);
  });

  it('starts a new thread for the next snapshot after one failed', async () => {
    await churn(2);
    const warn = jest.spyOn(log, 'warn');
    const service = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter('first-save') });
    await service.snapshot();
    await logged(warn, /read model snapshot not written/);
    await service.snapshot();
    expect((await threadSnapshots.newest(READ_MODEL_SNAPSHOT_KEY))?.position).toBe(service.position);
  });

  it('stops while a snapshot is written: the thread is ended after the grace, the snapshot reported as not written', async () => {
    await churn(2);
    const warn = jest.spyOn(log, 'warn');
    const service = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter('hang', { closeGraceMs: 200 }) });
    const writing = service.snapshot();
    expect(service.isSnapshotting).toBe(true);
    await service.stop();
    await writing;
    expect(service.isSnapshotting).toBe(false);
    await logged(warn, /read model snapshot not written/);
  });

  it('stops cleanly while idle, and writes nothing after', async () => {
    await churn(1);
    const service = await started({ snapshots: threadSnapshots, snapshotWriter: threadWriter() });
    await service.snapshot();
    await service.stop();
    const warn = jest.spyOn(log, 'warn');
    await service.snapshot();
    expect(JSON.stringify(warn.mock.calls.map((call) => (call[0] as { err?: Error }).err?.message))).toMatch(/closed/);
  });
});
