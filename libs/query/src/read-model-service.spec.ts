import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completeInfo, type RegistryEvent } from '@ifreg/domain';
import { ReadAheadError, SqliteEventStore } from '@ifreg/event-store';
import { ANY, type EventData } from '@ifreg/ports';
import { createLogger } from '@ifreg/platform';
import { sleep, waitFor } from '@ifreg/testing';
import { listInterfaces } from './queries';
import { PositionTimeoutError, ReadModelService, type ReadModelOptions, type RebuildProgress } from './read-model-service';
import { RebuildTracker } from './rebuild-tracker';

const AT = '2026-11-24T12:00:00.000Z';
const log = createLogger({ level: 'silent', name: 'read-model-spec' });

let dir: string;
let store: SqliteEventStore;
let services: ReadModelService[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ifreg-read-model-'));
  store = new SqliteEventStore({ path: join(dir, 'events.db'), pollIntervalMs: 20 });
  services = [];
});

afterEach(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function readModel(options: ReadModelOptions = {}): ReadModelService {
  const service = new ReadModelService(store, log, options);
  services.push(service);
  return service;
}

function registered(ifIndex: number, scope = 'host-a', epoch = 0): RegistryEvent {
  const info = completeInfo({ friendlyName: `eth${ifIndex}` });
  if (!info.ok) throw new Error(info.reason);
  return {
    type: 'InterfaceRegistered',
    scope,
    epoch,
    ifIndex,
    luid: { ifType: 6, netLuidIndex: ifIndex },
    providerId: 'agent-linux',
    providerIfContext: '',
    info: info.value,
    causationId: `m-${scope}-${epoch}-${ifIndex}`,
    at: AT,
  };
}

const asData = (event: { type: string; causationId?: string }, id = `${event.causationId ?? 'x'}-0`): EventData => ({ id, type: event.type, data: event });

/** Appends events to the scope's stream as the registrar would; answers the position of the last. */
async function record(scope: string, ...events: RegistryEvent[]): Promise<number> {
  return (await store.append(`registry-${scope}`, events.map((e) => asData(e)), ANY)).position;
}

const ifIndexes = (service: ReadModelService, scope = 'host-a'): number[] => {
  const view = service.model.scopes.get(scope);
  return view ? listInterfaces(view).map((i) => i.ifIndex) : [];
};

describe('a read model started over an empty store', () => {
  it('is ready at position 0 with no scopes', async () => {
    const service = readModel();
    expect(service.ready).toBe(false);
    await service.start();
    expect(service.ready).toBe(true);
    expect(service.position).toBe(0);
    expect(service.model.scopes.size).toBe(0);
  });
});

describe('a read model started over a store with history', () => {
  it('has folded in every existing event when start() resolves', async () => {
    // given
    await record('host-a', registered(1), registered(2));
    const head = await record('host-b', registered(1, 'host-b'));
    const service = readModel();
    // when
    await service.start();
    // then
    expect(service.ready).toBe(true);
    expect(service.position).toBe(head);
    expect(ifIndexes(service, 'host-a')).toEqual([1, 2]);
    expect(ifIndexes(service, 'host-b')).toEqual([1]);
  });

  it('resets a scope at a BootEpochStarted in the history', async () => {
    await record('host-a', registered(1), registered(2));
    await record('host-a', { type: 'BootEpochStarted', scope: 'host-a', epoch: 1, causationId: 'boot-1', at: AT }, registered(1, 'host-a', 1));
    const service = readModel();
    await service.start();
    expect(service.model.scopes.get('host-a')?.epoch).toBe(1);
    expect(ifIndexes(service)).toEqual([1]);
  });
});

describe('a started read model', () => {
  it('follows events appended after it started', async () => {
    // given
    await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    // when
    const position = await record('host-a', registered(2), registered(3));
    await service.waitFor(position, 2000);
    // then
    expect(service.position).toBe(position);
    expect(ifIndexes(service)).toEqual([1, 2, 3]);
  });

  it('follows events appended through another connection to the same file', async () => {
    const service = readModel();
    await service.start();
    const other = new SqliteEventStore({ path: join(dir, 'events.db') });
    try {
      const position = (await other.append('registry-host-c', [asData(registered(1, 'host-c'))], ANY)).position;
      await service.waitFor(position, 2000);
      expect(ifIndexes(service, 'host-c')).toEqual([1]);
    } finally {
      await other.close();
    }
  });

  it('answers waitFor at once for a position already reached', async () => {
    const position = await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    await expect(service.waitFor(position, 0)).resolves.toBeUndefined();
    await expect(service.waitFor(0, 0)).resolves.toBeUndefined();
  });

  it('rejects waitFor with PositionTimeoutError for a position not reached in time', async () => {
    // given
    const position = await record('host-a', registered(1));
    const service = readModel();
    await service.start();
    // when
    const waiting = service.waitFor(position + 5, 30);
    // then
    await expect(waiting).rejects.toThrow(PositionTimeoutError);
    await expect(waiting).rejects.toMatchObject({ wanted: position + 5, reached: position, timeoutMs: 30 });
  });

  it('resolves a pending waitFor once the position is reached', async () => {
    const service = readModel();
    await service.start();
    const waiting = service.waitFor(2, 2000);
    await record('host-a', registered(1));
    await record('host-a', registered(2));
    await expect(waiting).resolves.toBeUndefined();
    expect(service.position).toBeGreaterThanOrEqual(2);
  });
});

describe('an unreadable event in the store', () => {
  it('is skipped and counted, and the events around it are folded in', async () => {
    // given: an event no registrar would write, between two good ones
    await record('host-a', registered(1));
    await store.append('registry-host-a', [{ id: 'garbage-0', type: 'InterfaceRegistered', data: { type: 'InterfaceRegistered', scope: 'host-a' } }], ANY);
    await store.append('registry-host-a', [{ id: 'unknown-0', type: 'SomethingNew', data: { type: 'SomethingNew' } }], ANY);
    const head = await record('host-a', registered(2));
    const service = readModel();
    // when
    await service.start();
    // then
    expect(service.skipped).toBe(2);
    expect(service.position).toBe(head);
    expect(ifIndexes(service)).toEqual([1, 2]);
  });

  it('as the last event, still advances the position so waitFor for it resolves', async () => {
    const service = readModel();
    await service.start();
    const position = (await store.append('registry-host-a', [{ id: 'garbage-1', type: 'X', data: null }], ANY)).position;
    await service.waitFor(position, 2000);
    expect(service.skipped).toBe(1);
    expect(service.ready).toBe(true);
    const next = await record('host-a', registered(1));
    await service.waitFor(next, 2000);
    expect(ifIndexes(service)).toEqual([1]);
  });
});

describe('a read model stopped', () => {
  it('no longer follows the store', async () => {
    const service = readModel();
    await service.start();
    await service.stop();
    await record('host-a', registered(1));
    await expect(service.waitFor(1, 60)).rejects.toThrow(PositionTimeoutError);
  });
});

describe('a rebuild while events keep being appended', () => {
  /** Lets the writer append a few more after the swap, so that following the store is tested. */
  async function someMore(writer: { readonly count: number }): Promise<void> {
    const target = writer.count + 3;
    await waitFor(() => writer.count >= target, 10_000, 'the writer to append more', 1);
  }
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  /**
   * Appends one registration at a time in scope `busy` until stopped, each one change,
   * through another connection to the file, as a registrar in another process does: the
   * read model sees them only when its subscription polls, a rebuild's reads at once.
   */
  function startWriting(): { readonly count: number; stop(): Promise<number> } {
    const other = new SqliteEventStore({ path: join(dir, 'events.db') });
    let writing = true;
    let count = 0;
    const done = (async () => {
      while (writing) {
        count++;
        await other.append('registry-busy', [asData(registered(count, 'busy'))], ANY);
        await sleep(1);
      }
    })();
    return {
      get count() {
        return count;
      },
      stop: async () => {
        writing = false;
        await done;
        await other.close();
        return count;
      },
    };
  }

  beforeEach(async () => {
    for (let scope = 0; scope < 10; scope++) {
      await record(`host-${scope}`, ...Array.from({ length: 300 }, (_, i) => registered(i + 1, `host-${scope}`)));
    }
  });

  it('swaps in a model equal to one folded from scratch, and keeps following the store', async () => {
    // given
    const service = readModel({ batchSize: 128 });
    await service.start();
    const writer = startWriting();
    // when
    await service.rebuild();
    await someMore(writer);
    const written = await writer.stop();
    const head = await store.headPosition();
    await service.waitFor(head, 2000);
    // then
    const reference = readModel();
    await reference.start();
    expect(written).toBeGreaterThan(0);
    expect(service.position).toBe(head);
    expect(service.model).toEqual(reference.model);
    expect(ifIndexes(service, 'busy')).toEqual(range(1, written));
  });

  it('gives onChange listeners every change exactly once across the swap', async () => {
    // given
    const service = readModel({ batchSize: 128 });
    await service.start();
    const seen: number[] = [];
    service.onChange((change) => seen.push(change.position));
    const from = service.position;
    const writer = startWriting();
    // when
    await service.rebuild();
    await someMore(writer);
    await writer.stop();
    const head = await store.headPosition();
    await service.waitFor(head, 2000);
    // then: every appended event is a registration, so every position is one change
    expect(seen).toEqual(range(from + 1, head));
    expect(service.changesSince(service.position)).toEqual([]);
  });

  it('reports progress up to the position it swapped in at', async () => {
    const service = readModel({ batchSize: 500 });
    await service.start();
    const progress: RebuildProgress[] = [];
    await service.rebuild((p) => progress.push(p));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual({ position: service.position, target: service.position, events: service.eventsFolded, total: service.eventsFolded, done: true });
    expect(progress.slice(0, -1).every((p) => !p.done && p.position <= p.target && p.events <= p.total)).toBe(true);
  });

  it('runs one rebuild at a time: a second call joins the first', async () => {
    const service = readModel({ batchSize: 128 });
    await service.start();
    const first = service.rebuild();
    const second = service.rebuild();
    expect(service.isRebuilding).toBe(true);
    expect(second).toBe(first);
    await first;
    expect(service.isRebuilding).toBe(false);
  });
});

describe('the per-LUID positions (history of one LUID)', () => {
  const deregistered = (ifIndex: number): RegistryEvent => ({
    type: 'InterfaceDeregistered', scope: 'host-a', epoch: 0, ifIndex, luid: { ifType: 6, netLuidIndex: ifIndex }, providerId: 'agent-linux', causationId: `gone-${ifIndex}`, at: AT,
  });
  const ETH1 = { ifType: 6, netLuidIndex: 1 };

  it('holds the positions of history and live events, and the same after a rebuild', async () => {
    const first = await record('host-a', registered(1), registered(2));
    const service = readModel();
    await service.start();
    const gone = await record('host-a', deregistered(1));
    await service.waitFor(gone, 5000);
    const expected = { positions: [first - 1, gone], complete: true };
    expect(service.luidPositions('host-a', ETH1)).toEqual(expected);
    await service.rebuild();
    expect(service.luidPositions('host-a', ETH1)).toEqual(expected);
    expect(service.luidPositions('host-b', ETH1)).toEqual({ positions: [], complete: true });
  });

  it('keeps only the newest positions of a LUID when told to, and says so', async () => {
    await record('host-a', registered(1));
    const last = await record('host-a', deregistered(1));
    const service = readModel({ luidHistory: { perLuid: 1, luidsPerScope: 10 } });
    await service.start();
    expect(service.luidPositions('host-a', ETH1)).toEqual({ positions: [last], complete: false });
  });
});

describe('a rebuild whose read fails', () => {
  /** The store, except that once broken its read-ahead fails after one page, as a reader thread that died would. */
  let broken: boolean;
  beforeEach(() => (broken = false));
  function failingAfterOnePage(): SqliteEventStore {
    const failing = Object.create(store) as SqliteEventStore;
    failing.readAhead = (range) => {
      const reader = store.readAhead(range);
      let pages = 0;
      return {
        next: async () => {
          if (broken && ++pages > 1) throw new ReadAheadError('the SQLite read-ahead thread exited (code 1) before the end of its range');
          return reader.next();
        },
        close: () => reader.close(),
      };
    };
    return failing;
  }

  it('fails with the reader\'s error and leaves the model it had; a later rebuild works', async () => {
    for (let i = 1; i <= 30; i++) await record('host-a', registered(i));
    const service = new ReadModelService(failingAfterOnePage(), log, { batchSize: 10 });
    services.push(service);
    await service.start();
    broken = true;
    const before = service.model;
    await expect(service.rebuild()).rejects.toThrow(/read-ahead thread exited/);
    expect(service.isRebuilding).toBe(false);
    expect(service.model).toBe(before);
    expect(ifIndexes(service)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    broken = false;
    await service.rebuild();
    expect(service.model).not.toBe(before);
    expect(ifIndexes(service)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('is told apart by the rebuild status, which stops running', async () => {
    await record('host-a', registered(1), registered(2));
    const service = new ReadModelService(failingAfterOnePage(), log, { batchSize: 1 });
    services.push(service);
    await service.start();
    broken = true;
    const tracker = new RebuildTracker(service, log);
    tracker.start();
    await waitFor(() => !tracker.current.running, 10_000, 'the rebuild to stop');
    expect(tracker.current.error).toMatch(/ReadAheadError: the SQLite read-ahead thread exited/);
  });
});

describe('the start-up catch-up', () => {
  it('fails start() with the reader\'s error instead of waiting for ever', async () => {
    await record('host-a', registered(1), registered(2));
    const failing = Object.create(store) as SqliteEventStore;
    failing.readAhead = () => ({ next: () => Promise.reject(new ReadAheadError('the SQLite read-ahead thread failed: gone')), close: async () => undefined });
    const service = new ReadModelService(failing, log);
    services.push(service);
    await expect(service.start()).rejects.toThrow('the SQLite read-ahead thread failed: gone');
    expect(service.ready).toBe(false);
  });

  it('leaves the lag metric the store time of the last event it folded', async () => {
    await record('host-a', registered(1), registered(2));
    const service = readModel();
    await service.start();
    const [last] = await store.readAll((await store.headPosition()) - 1, 1);
    expect(service.lastRecordedAt).toBe(last?.recordedAt);
    expect(service.applied).toBe(2);
  });
});
