import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { SqliteEventStore, SqliteSnapshotStore } from '@ifreg/event-store';
import { ANY } from '@ifreg/ports';
import { createLogger } from '@ifreg/platform';
import { READ_MODEL_SNAPSHOT_KEY, READ_MODEL_SNAPSHOT_VERSION } from './read-model-snapshot';
import { ReadModelService, type ReadModelOptions } from './read-model-service';

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ level: 'silent', name: 'read-model-snapshots-spec' });

let dir: string;
let store: SqliteEventStore;
let snapshots: SqliteSnapshotStore;
let services: ReadModelService[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-snapshots-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  snapshots = new SqliteSnapshotStore({ path: join(dir, 'events.db') });
  services = [];
});

afterEach(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await snapshots.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  jest.restoreAllMocks();
});

async function started(options: ReadModelOptions = {}): Promise<ReadModelService> {
  const service = new ReadModelService(store, log, options);
  services.push(service);
  await service.start();
  return service;
}

function registered(ifIndex: number, scope: string, epoch = 0): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return { type: 'InterfaceRegistered', scope, epoch, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex }, providerId: 'p', providerIfContext: '', info: info.value, causationId: `m-${scope}-${epoch}-${ifIndex}`, at: AT };
}

const boot = (scope: string, epoch: number): RegistryEvent => ({ type: 'BootEpochStarted', scope, epoch, causationId: `boot-${scope}-${epoch}`, at: AT });

/** A few reboot rounds over three scopes: the history is longer than the live set. */
async function churn(rounds: number, from = 1): Promise<void> {
  for (let epoch = from; epoch < from + rounds; epoch++) {
    for (const scope of ['host-a', 'host-b', 'host-c']) {
      await store.append(`registry-${scope}`, [boot(scope, epoch), ...[1, 2, 3].map((i) => registered(i, scope, epoch))].map((e, n) => ({ id: `${scope}-${epoch}-${n}`, type: e.type, data: e })), ANY);
    }
  }
}

/** Everything a query can see of the model, comparable across instances. */
const answers = (service: ReadModelService): unknown => ({
  position: service.position,
  events: service.eventsFolded,
  scopes: [...service.model.scopes.values()].map((v) => ({ ...v, interfaces: [...v.interfaces.values()], byLuid: [...v.byLuid], luidIndexes: [...v.luidIndexes] })),
  luid: service.luidPositions('host-a', { ifType: 6, netLuidIndex: 1 }),
  changes: service.changesSince(0),
});

describe('a query service with snapshots', () => {
  it('starts from its newest snapshot, folds only the events after it, and answers as one that folded everything', async () => {
    await churn(3);
    const first = await started({ snapshots, snapshotEveryEvents: 1_000_000 });
    await first.snapshot();
    await first.stop();
    await churn(2, 4);

    const resumed = await started({ snapshots });
    const folded = await started();
    expect(resumed.applied).toBe(2 * 3 * 4);
    expect(folded.applied).toBe(5 * 3 * 4);
    expect(answers(resumed)).toEqual(answers(folded));
  });

  it('writes snapshots in the background at its cadence of events', async () => {
    const service = await started({ snapshots, snapshotEveryEvents: 10 });
    await churn(2);
    await service.waitFor(await store.headPosition(), 5000);
    for (const deadline = Date.now() + 5000; !(await snapshots.newest(READ_MODEL_SNAPSHOT_KEY)); ) {
      if (Date.now() > deadline) throw new Error('no snapshot within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await snapshots.newest(READ_MODEL_SNAPSHOT_KEY))?.position).toBeGreaterThanOrEqual(10);
  });

  it('writes none while it catches up at start (each would hold folding up), and one once caught up', async () => {
    await churn(2);
    const save = jest.spyOn(snapshots, 'save');
    const service = await started({ snapshots, snapshotEveryEvents: 10, batchSize: 5 });
    for (const deadline = Date.now() + 5000; save.mock.calls.length === 0 || service.isSnapshotting; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > deadline) throw new Error('no snapshot within 5 s');
    }
    expect(save).toHaveBeenCalledTimes(1);
    expect((await snapshots.newest(READ_MODEL_SNAPSHOT_KEY))?.position).toBe(await store.headPosition());
  });

  it('serves a watch that resumes from a position before the restart, within its horizon', async () => {
    await churn(2);
    const first = await started({ snapshots, watchHistory: 100 });
    const from = first.position;
    await churn(1, 3);
    await first.waitFor(await store.headPosition(), 5000);
    const before = first.changesSince(from);
    await first.snapshot();
    await first.stop();

    const restarted = await started({ snapshots, watchHistory: 100 });
    expect(restarted.applied).toBe(0);
    expect(restarted.changesSince(from)).toEqual(before);
    expect(before?.length).toBe(3 * 4);
    // Beyond the horizon: too old, as before the restart.
    const small = await started({ snapshots, watchHistory: 5 });
    expect(small.changesSince(from)).toBeUndefined();
  });

  it('ignores a snapshot that is unreadable or of another version, with a warning, and folds the store', async () => {
    await churn(2);
    const warnings: unknown[] = [];
    const warn = jest.spyOn(log, 'warn').mockImplementation(((...args: unknown[]) => void warnings.push(args)));
    const head = await store.headPosition();
    await snapshots.save({ key: READ_MODEL_SNAPSHOT_KEY, version: READ_MODEL_SNAPSHOT_VERSION, position: head, data: Buffer.from('not a snapshot') });
    const unreadable = await started({ snapshots });
    await snapshots.save({ key: READ_MODEL_SNAPSHOT_KEY, version: READ_MODEL_SNAPSHOT_VERSION + 1, position: head, data: Buffer.from('from the future') });
    const otherVersion = await started({ snapshots });
    const folded = await started();
    expect(answers(unreadable)).toEqual(answers(folded));
    expect(answers(otherVersion)).toEqual(answers(folded));
    expect(warn).toHaveBeenCalledTimes(2);
    expect(JSON.stringify(warnings)).toMatch(/unreadable[\s\S]*another version/);
  });

  it('ends a rebuild with a snapshot', async () => {
    await churn(2);
    const service = await started({ snapshots, snapshotEveryEvents: 1_000_000 });
    expect(await snapshots.newest(READ_MODEL_SNAPSHOT_KEY)).toBeUndefined();
    await service.rebuild();
    expect((await snapshots.newest(READ_MODEL_SNAPSHOT_KEY))?.position).toBe(service.position);
  });

  it('ends a rebuild with a snapshot of the rebuilt model, also when one of the old model was being written as it swapped', async () => {
    // given: a snapshot of the live model whose save waits until the rebuild has swapped
    await churn(2);
    const saves: number[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const save = snapshots.save.bind(snapshots);
    jest.spyOn(snapshots, 'save').mockImplementation(async (snapshot) => {
      saves.push(saves.length);
      if (saves.length === 1) await held;
      return save(snapshot);
    });
    const service = await started({ snapshots, snapshotEveryEvents: 1_000_000 });
    const old = service.snapshot();
    // when
    const rebuilt = service.rebuild((p) => {
      if (p.done) release();
    });
    await Promise.all([old, rebuilt]);
    // then: a second save, begun after the swap
    expect(saves).toHaveLength(2);
    expect((await snapshots.newest(READ_MODEL_SNAPSHOT_KEY))?.position).toBe(service.position);
  });
});
